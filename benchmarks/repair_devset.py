"""The repair dev set (examples/bugs): plausible fixes, seconds, candidates tested and the rank
of the winning patch, per setting, with the embedded model on this machine.

    python benchmarks/repair_devset.py                       # combined, tests, best-of-N; 30 s per bug
    python benchmarks/repair_devset.py --settings combined --ids leaderboard_best,nearest_value
    python benchmarks/repair_devset.py --timeout 60 --out runs/devset.jsonl
    python benchmarks/repair_devset.py --settings combined,combined+detector --model runs/i16/latest

Settings (the same model, seed and per-bug seconds):
    combined   the default agent: the edit search, then the combined policy's span resampling
               (it hears the model's detector/ when it has one)
    combined_no_detector  the same with the detector's weight set to 0
    tests      the same with the ``tests`` policy (evidence from tests only)
    combined+detector  the same with the ``combined+detector`` policy (since the detector's
               weight was measured, the same weights as combined)
    best_of_n  whole-function resampling, the tests pick and stop (eval's ``scaling`` setting)

A fix is *plausible* when every test of the bug's test file passes; it is *the reference* when
its function has the same syntax tree as the one in the bug's ``.fixed`` module. Each bug runs
in a fresh copy of its folder; the model loads once. Seconds are the wall time of setting up
the task (the baseline test run included) and repairing it; a bug that exits early (its test
cannot be collected, ...) is reported as an error. Prints one line per bug and setting, then
a table; --out writes the lines as JSON.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUGS = ROOT / "examples" / "bugs"
SETTINGS = ("combined", "tests", "best_of_n", "combined+detector", "combined_no_detector")
DEFAULT_SETTINGS = ("combined", "tests", "best_of_n")


def _config(setting: str, timeout: float):
    from coderemask.evaluation.settings import setting_config
    from coderemask.policy import policy_config
    from coderemask.repair import RepairConfig
    from coderemask.results import Budget

    base = RepairConfig(budget=Budget(max_nfe=100_000, max_seconds=timeout))
    if setting == "combined":
        return base
    if setting in ("tests", "combined+detector"):
        return replace(base, policy=setting)
    if setting == "combined_no_detector":
        weights = {**policy_config("combined").weights, "detector": 0.0}
        return replace(base, policy_overrides={"weights": weights})
    scaling = setting_config("scaling", base, 100_000)
    return replace(scaling, budget=replace(scaling.budget, max_rounds=1000))


def find_node(tree: ast.AST, qualname: str) -> ast.AST | None:
    """The definition ``qualname`` (``Class.method``) names in ``tree``, or None."""
    node: ast.AST | None = tree
    for part in qualname.split("."):
        node = next((n for n in ast.iter_child_nodes(node) if getattr(n, "name", None) == part), None)
        if node is None:
            return None
    return node


def _function_key(source: str, qualname: str) -> str | None:
    try:
        node = find_node(ast.parse(source), qualname)
    except (SyntaxError, ValueError):
        return None
    return ast.dump(node) if node is not None else None


def run_one(entry: dict, setting: str, model, timeout: float) -> dict:
    from coderemask.results import Solved
    from coderemask.tasks import file_task, run_task

    src = BUGS / entry["file"]
    with tempfile.TemporaryDirectory(prefix="devset-") as tmp:
        folder = Path(tmp) / entry["id"]
        shutil.copytree(src.parent, folder)
        (folder / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
        target = folder / src.name
        t0 = time.monotonic()
        try:
            task = file_task(f"{target}::{entry['function']}", "fix", project=folder)
            left = max(timeout - (time.monotonic() - t0), 0.01)  # the baseline run counts too
            done = run_task(task, "fix", model, _config(setting, left))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
            return {"id": entry["id"], "setting": setting, "error": f"{type(exc).__name__}: {exc}"}
        seconds = time.monotonic() - t0
        result, new_text = done.result, done.new_text
        reference = (src.parent / (src.name + ".fixed")).read_text()
        same = _function_key(new_text, entry["function"]) == _function_key(reference, entry["function"])
        search = result.search
        return {
            "id": entry["id"],
            "setting": setting,
            "families": entry["families"],
            "hangs": entry["hangs"],
            "plausible": isinstance(result, Solved),
            "reference": isinstance(result, Solved) and same,
            "seconds": round(seconds, 2),
            "rounds": len(result.rounds),
            "nfe": result.nfe,
            "tested": search.tested if search and search.searches else sum(len(r.attempts) for r in result.rounds),
            "rank": search.winning_rank if search else None,
            "edit": search.winning_edit if search else "",
            "reason": result.reason,
        }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default=",".join(DEFAULT_SETTINGS), help=f"comma-separated, of {', '.join(SETTINGS)}")
    p.add_argument(
        "--model", default="embedded", help="the model (default: the embedded one), e.g. a checkpoint folder"
    )
    p.add_argument("--ids", default="", help="comma-separated bug ids (default: all)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per bug (default 30)")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    settings = [s for s in args.settings.split(",") if s]
    bad = [s for s in settings if s not in SETTINGS]
    if bad:
        print(f"--settings: unknown {bad}; known: {', '.join(SETTINGS)}", file=sys.stderr)
        return 2
    entries = json.loads((BUGS / "manifest.json").read_text())
    if args.ids:
        wanted = args.ids.split(",")
        entries = [e for e in entries if e["id"] in wanted]
    from coderemask.model.loading import load_model

    model = load_model(args.model)
    rows = []
    out = args.out.open("w") if args.out else None
    for setting in settings:
        for entry in entries:
            row = run_one(entry, setting, model, args.timeout)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()
    print()
    print("| setting | plausible | reference fix | median s | median tested | median rank of the fix |")
    print("|---|---|---|---|---|---|")
    for setting in settings:
        mine = [r for r in rows if r["setting"] == setting and "error" not in r]
        if not mine:
            print(f"| {setting} | every bug ended in an error | | | | |")
            continue
        solved = [r for r in mine if r["plausible"]]
        ranks = [r["rank"] for r in solved if r.get("rank")]
        print(
            f"| {setting} | {len(solved)}/{len(entries)} | {sum(r['reference'] for r in mine)}/{len(entries)} | "
            f"{statistics.median(r['seconds'] for r in mine):.1f} | "
            f"{statistics.median(r['tested'] for r in mine):.0f} | "
            f"{statistics.median(ranks) if ranks else '-'} |"
        )
    errors = [r for r in rows if "error" in r]
    for r in errors:
        print(f"error: {r['id']} ({r['setting']}): {r['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
