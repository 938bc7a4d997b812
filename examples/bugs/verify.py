"""Check the buggy-module development set described in manifest.json.

For every entry:
  * static checks: the files exist, the families are known, the named function exists in the
    buggy and the fixed module, and the two modules differ only inside that function;
  * the buggy module, copied with its test file into a temporary folder, makes pytest fail
    (or hang, when the entry says "hangs": true; a run still going after --timeout seconds
    is killed and counts as a hang, and a hang is required exactly for those entries);
  * the fixed module passes every test.

Usage: python examples/bugs/verify.py [--timeout SECONDS] [--static-only] [ID ...]
Prints one line per bug and a summary; exits 1 on any problem. Stdlib only, plus pytest
(run as `sys.executable -m pytest` in a subprocess).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"

FAMILIES = ("identifier", "attribute", "operator", "literal", "swap", "condition", "wrap", "statement")
FIELDS = ("id", "file", "function", "families", "bugs", "hangs", "description")


def function_span(source: str, qualname: str) -> tuple[int, int] | None:
    """1-based (first, last) line of the function `qualname` (e.g. 'Cart.total'), decorators included."""
    body = ast.parse(source).body
    node = None
    for part in qualname.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part
            ),
            None,
        )
        if node is None:
            return None
        body = node.body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def static_problems(entry: dict) -> list[str]:
    """Everything wrong with one entry that can be seen without running its tests."""
    problems = [f"missing field {f!r}" for f in FIELDS if f not in entry]
    if problems:
        return problems
    families = entry["families"]
    if not families or any(f not in FAMILIES for f in families):
        problems.append(f"unknown or empty families {families!r}")
    if entry["bugs"] not in (1, 2) or not 1 <= len(families) <= entry["bugs"]:
        problems.append(f"bugs={entry['bugs']!r} does not fit families {families!r}")
    if not isinstance(entry["hangs"], bool):
        problems.append("hangs must be true or false")
    buggy_path = HERE / entry["file"]
    if Path(entry["file"]).parent.name != entry["id"]:
        problems.append("file is not inside the folder named by id")
    fixed_path = buggy_path.with_name(buggy_path.name + ".fixed")
    test_path = buggy_path.with_name("test_" + buggy_path.name)
    for path in (buggy_path, fixed_path, test_path):
        if not path.is_file():
            problems.append(f"missing {path.relative_to(HERE)}")
    if problems:
        return problems
    buggy, fixed = buggy_path.read_text(), fixed_path.read_text()
    if buggy == fixed:
        return ["the fixed module is identical to the buggy one"]
    try:
        span_b, span_f = function_span(buggy, entry["function"]), function_span(fixed, entry["function"])
    except SyntaxError as exc:
        return [f"syntax error: {exc}"]
    if span_b is None or span_f is None:
        return [f"function {entry['function']!r} not found in the {'buggy' if span_b is None else 'fixed'} module"]
    lines_b, lines_f = buggy.splitlines(), fixed.splitlines()
    if lines_b[: span_b[0] - 1] != lines_f[: span_f[0] - 1] or lines_b[span_b[1] :] != lines_f[span_f[1] :]:
        problems.append(f"the fixed module differs outside {entry['function']}")
    if lines_b[span_b[0] - 1 : span_b[1]] == lines_f[span_f[0] - 1 : span_f[1]]:
        problems.append(f"{entry['function']} is the same in both modules")
    return problems


def run_pytest(folder: Path, timeout: float) -> tuple[str, str]:
    """('passed' | 'failed' | 'hang' | 'error', output tail) for the tests in folder."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(folder)]
    proc = subprocess.Popen(
        cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        return "hang", out[-2000:]
    status = {0: "passed", 1: "failed"}.get(proc.returncode, "error")
    return status, out[-2000:]


def check_entry(entry: dict, timeout: float) -> tuple[list[str], str]:
    """(problems, short summary of the runs)."""
    buggy_path = HERE / entry["file"]
    test_name = "test_" + buggy_path.name
    with tempfile.TemporaryDirectory(prefix="bugdev_") as tmp:
        folder = Path(tmp)
        shutil.copy(buggy_path, folder / buggy_path.name)
        shutil.copy(buggy_path.with_name(test_name), folder / test_name)
        (folder / "pytest.ini").write_text("[pytest]\n")
        start = time.monotonic()
        buggy_status, buggy_out = run_pytest(folder, timeout)
        buggy_s = time.monotonic() - start
        shutil.copy(buggy_path.with_name(buggy_path.name + ".fixed"), folder / buggy_path.name)
        start = time.monotonic()
        fixed_status, fixed_out = run_pytest(folder, timeout)
        fixed_s = time.monotonic() - start
    problems = []
    expected = "hang" if entry["hangs"] else "failed"
    if buggy_status != expected:
        problems.append(f"buggy version: expected {expected}, got {buggy_status}")
        if buggy_status == "error":
            problems.append(buggy_out.strip().splitlines()[-1] if buggy_out.strip() else "no output")
    if fixed_status != "passed":
        problems.append(f"fixed version: expected passed, got {fixed_status}")
        problems.extend(line for line in fixed_out.strip().splitlines()[-5:])
    return problems, f"buggy={buggy_status} ({buggy_s:.1f}s) fixed={fixed_status} ({fixed_s:.1f}s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="only these ids (default: all)")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds before a pytest run counts as a hang (default 20)"
    )
    parser.add_argument("--static-only", action="store_true", help="skip running the tests")
    args = parser.parse_args(argv)

    entries = json.loads(MANIFEST.read_text())
    failures: list[str] = []
    ids = [e.get("id") for e in entries]
    modules = [Path(e.get("file", "")).name for e in entries]
    for label, names in (("id", ids), ("module name", modules)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            failures.append(f"duplicate {label}s: {dupes}")
    unknown = set(args.ids) - set(ids)
    if unknown:
        failures.append(f"unknown ids: {sorted(unknown)}")
    selected = [e for e in entries if not args.ids or e.get("id") in args.ids]

    for entry in selected:
        problems = static_problems(entry)
        summary = "static checks only"
        if not problems and not args.static_only:
            problems, summary = check_entry(entry, args.timeout)
        mark = "FAIL" if problems else "ok  "
        families = "+".join(entry.get("families", []))
        print(f"{mark} {entry.get('id', '?'):28s} {families:20s} {summary}", flush=True)
        for problem in problems:
            print(f"       {problem}")
        if problems:
            failures.append(entry.get("id", "?"))

    bugs = sum(e.get("bugs", 0) for e in selected)
    counts = {f: sum(f in e.get("families", []) for e in selected) for f in FAMILIES}
    print(
        f"\n{len(selected)} entries, {bugs} bugs, "
        f"{sum(e.get('bugs') == 2 for e in selected)} with two bugs, "
        f"{sum(bool(e.get('hangs')) for e in selected)} hanging"
    )
    print("families: " + ", ".join(f"{f}={n}" for f, n in counts.items()))
    if failures:
        print(f"PROBLEMS: {len(failures)}: {', '.join(failures)}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
