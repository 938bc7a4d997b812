"""`coderemask complete` and `coderemask fix`: thin front-ends over repair.complete / repair.repair.

Prints a unified diff (stdout), progress (stderr), the JSON result (--json) or a round-by-round
explanation (--explain); --write applies the diff atomically, with a backup that `coderemask undo`
restores (``backups``). Exit codes: 0 solved, 1 not solved, 2 bad input, 130 interrupted (no file
changed), 3 interrupted after the file was written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderemask.frontends.common import (
    EXIT_INTERRUPTED,
    EXIT_NOT_SOLVED,
    EXIT_OK,
    Command,
    add_model_arguments,
    add_python_argument,
    load_model_from_args,
)
from coderemask.frontends.numbers import BATCH, COUNT, POSITIVE, SECONDS, SEED
from coderemask.signals.timing import TimeLimits

if TYPE_CHECKING:
    from coderemask.repair import RepairConfig
    from coderemask.results import RepairResult
    from coderemask.tasks import FileTask


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="FILE::FUNC", help="the function, e.g. pkg/mod.py::Class.method or FILE:LINE")
    p.add_argument(
        "--test",
        action="append",
        dest="tests",
        metavar="NODEID",
        help="a pytest node id to run (repeatable); default: see the command's help",
    )
    p.add_argument(
        "--project",
        type=Path,
        default=None,
        help="project root (default: pytest's rootdir for FILE and the --test ids run from here)",
    )
    add_repair_arguments(p, per="")
    p.add_argument(
        "--timeout",
        type=SECONDS.arg,
        default=300.0,
        help="seconds in all, from start-up (baseline tests and model load included; default 300)",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="apply the change to FILE (atomically; `coderemask undo FILE` takes it back)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of a diff")
    p.add_argument("--explain", action="store_true", help="print which spans were remasked each round, and why")


def add_repair_arguments(p: argparse.ArgumentParser, *, per: str) -> None:
    """The model, policy, budget and sampling flags shared by fix, complete and repo.

    ``per``: how the NFE and round budgets count, e.g. " per function" ("" = in all).
    """
    from coderemask.policy import POLICIES

    add_model_arguments(p)
    p.add_argument(
        "--policy",
        default="combined",
        help="remask policy: " + "; ".join(f"{name} ({preset.help})" for name, preset in POLICIES.items()),
    )
    p.add_argument("--max-nfe", type=COUNT.arg, default=512, help=f"forward passes{per or ' in all'} (default 512)")
    p.add_argument(
        "--max-rounds",
        type=COUNT.arg,
        default=1000,
        help=f"rounds{per}, a cap: a search round tests one batch of candidates, so the seconds decide (default 1000)",
    )
    p.add_argument(
        "--max-candidates",
        type=COUNT.arg,
        default=100_000,
        help=f"candidates the tests check{per or ' in all'}: search edits and rewrites (default 100000)",
    )
    p.add_argument("--candidates", type=BATCH.arg, default=4, help="candidates per round, one batch (default 4)")
    p.add_argument("--seed", type=SEED.arg, default=0)
    limits = TimeLimits()
    p.add_argument(
        "--test-timeout",
        type=SECONDS.arg,
        default=limits.ceiling,
        help=f"seconds per test, the ceiling of every limit below (default {limits.ceiling:g})",
    )
    p.add_argument(
        "--test-timeout-factor",
        type=POSITIVE.arg,
        default=limits.factor,
        help=f"a candidate's test may take this many times the original's duration (default {limits.factor:g})",
    )
    p.add_argument(
        "--test-timeout-floor",
        type=SECONDS.arg,
        default=limits.floor,
        help=f"but never less than this many seconds (default {limits.floor:g})",
    )
    p.add_argument(
        "--hung-test-timeout",
        type=SECONDS.arg,
        default=limits.hung,
        help=f"seconds for a test that already times out on the original (default {limits.hung:g})",
    )
    add_python_argument(p)
    p.add_argument(
        "--no-fork",
        dest="fork",
        action="store_false",
        help="test every candidate in a fresh pytest process, not in forked sessions (slower; for "
        "test setups a fork cannot keep)",
    )


def time_limits(args: argparse.Namespace) -> TimeLimits:
    """The per-test time limits the flags ask for (their values were checked as they were parsed)."""
    return TimeLimits(
        floor=args.test_timeout_floor,
        factor=args.test_timeout_factor,
        hung=args.hung_test_timeout,
        ceiling=args.test_timeout,
    )


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse an unknown policy (ConfigError) without importing torch; the numbers were checked
    as they were parsed (``numbers``)."""
    from coderemask.policy import policy_config

    policy_config(args.policy)  # an unknown name fails here, before the model loads


def repair_config(args: argparse.Namespace, max_seconds: float) -> RepairConfig:
    """The RepairConfig of ``add_repair_arguments``' flags (fix, complete, repo), with
    ``max_seconds`` per function; the policy name is checked first (imports torch after)."""
    from coderemask.repair import RepairConfig  # imports torch
    from coderemask.results import Budget

    _check_arguments(args)
    return RepairConfig(
        policy=args.policy,
        candidates=args.candidates,
        seed=args.seed,
        budget=Budget(
            max_nfe=args.max_nfe,
            max_rounds=args.max_rounds,
            max_seconds=max_seconds,
            max_candidates=args.max_candidates,
        ),
    )


def _progress(args: argparse.Namespace):
    """Per-round progress on stderr: a tqdm bar over the NFE budget on a terminal, else lines."""
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=args.max_nfe, unit="NFE", file=sys.stderr, dynamic_ncols=True, leave=False)

    def on_round(rnd) -> None:
        best = rnd.best
        tests = f"tests {best.passed}/{best.total}" if best.total is not None else "no tests"
        searched = best.rank is not None
        what = rnd.plan.reason if searched else f"{len(rnd.plan.spans)} span(s), {rnd.steps} steps"
        line = (
            f"round {rnd.index + 1}: {what}, {rnd.cost_text()}, "
            f"{rnd.seconds:.1f}s; best: {'parses' if best.parses else 'does not parse'}, {tests}"
            f"{'' if searched else f', confidence {best.confidence:.2f}'}"
            f"{'' if rnd.adopted else ' (kept the previous)'}"
        )
        if bar is not None:
            bar.update(rnd.nfe)
            bar.set_postfix_str(f"round {rnd.index + 1}, {tests}")
            bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    return on_round


def explain(result, code_before: str) -> str:
    """Round by round: the spans remasked (marked with »« in the code), the evidence, the outcome."""
    lines = []
    code = code_before
    for rnd in result.rounds:
        lines.append(f"== round {rnd.index + 1}: {rnd.plan.reason}; {rnd.steps} steps, {rnd.cost_text()}")
        marked = code
        for s in sorted(rnd.plan.spans, key=lambda s: -s.span.start):
            marked = marked[: s.span.start] + "»" + marked[s.span.start : s.span.end] + "«" + marked[s.span.end :]
        lines += ["   | " + line for line in marked.splitlines()]
        for s in rnd.plan.spans:
            why = "; ".join(f"{e.source} {e.score:.2f} {e.message}".strip() for e in s.evidence[:4]) or "no evidence"
            lines.append(f"   span {s.span.start}-{s.span.end} ({s.slots} slots): {why}")
        for a in rnd.attempts:
            if a.rank is not None:
                verdict = "does not parse" if not a.parses else f"tests {a.passed}/{a.total}"
                lines.append(f"   #{a.rank:<4} score {a.score:7.2f}  {verdict:<14} {a.edit}")
        best = rnd.best
        lines.append(
            f"   -> best candidate: {'parses' if best.parses else 'does not parse'}"
            f"{'' if best.total is None else f', tests {best.passed}/{best.total}'}"
        )
        if rnd.adopted:
            code = best.code
    return "\n".join(lines)


def json_report(mode: str, task: FileTask, result: RepairResult, new_text: str) -> dict[str, Any]:
    """The ``--json`` document (schema ``coderemask.fix/1`` or ``coderemask.complete/1``): the
    file (relative to ``project``), the function, the diff ``fix`` prints, then the result's
    fields (``coderemask.result/1``) and how candidates were validated."""
    from coderemask.results import schema, to_dict

    stats = getattr(task.checker, "stats", None)
    result_fields = {k: v for k, v in to_dict(result).items() if k != "schema"}
    return {
        "schema": schema(mode),
        "file": task.relpath,
        "project": str(task.project),
        "qualname": task.target.qualname,
        "diff": task.diff(new_text),
        **result_fields,
        **({"validation": stats.to_json()} if stats else {}),
    }


def _run(mode: str):
    def run(args: argparse.Namespace) -> int:
        from coderemask.backups import write_atomically
        from coderemask.interpreter import test_python
        from coderemask.results import Failed, Solved, cost_text
        from coderemask.tasks import file_task, run_task
        from coderemask.writeback import check_writable, digest

        # Bad input is refused before torch is imported: the flags, then the target and the
        # --test ids (file_task runs the named tests once on the original: the baseline).
        started = time.monotonic()  # --timeout counts from here: the baseline and the model load too
        _check_arguments(args)
        limits = time_limits(args)
        python = test_python(args.python)
        task = file_task(
            args.target,
            "complete" if mode == "complete" else "fix",
            tests=args.tests,
            project=args.project,
            test_timeout=limits.ceiling,
            time_limits=limits,
            fork=args.fork,
            cwd=Path.cwd(),
            python=python,
        )
        if args.write:
            check_writable(task.file_path)  # a read-only file is refused now, and again when writing

        config = repair_config(args, args.timeout)
        if mode == "complete" and not task.target.is_stub:
            print(
                f"note: {task.target.qualname} has a body; complete rewrites it (use fix to repair it)", file=sys.stderr
            )
        before = digest(task.file_text)
        print(f"{mode} {task.target.qualname} ({task.file_path}); checked by {task.tests_described}", file=sys.stderr)
        model = load_model_from_args(args)
        left = max(args.timeout - (time.monotonic() - started), 0.01)
        config = replace(config, budget=replace(config.budget, max_seconds=left))
        done = run_task(task, mode, model, config, on_round=_progress(args))
        result, new_text = done.result, done.new_text
        if args.json:
            print(json.dumps(json_report(mode, task, result, new_text), indent=2))
        elif args.explain:
            print(explain(result, task.problem.code))
            print(task.diff(new_text), end="")
        else:
            print(task.diff(new_text), end="")
        cost = cost_text(result)
        print(
            f"{result.status}: {result.reason} (NFE {result.nfe}, {result.seconds:.1f}s, {len(result.rounds)} rounds"
            f"{'; ' + cost if cost else ''})",
            file=sys.stderr,
        )
        if result.search is not None and result.search.searches:
            print(f"search: {result.search.describe()}", file=sys.stderr)
        stats = getattr(task.checker, "stats", None)
        if stats is not None and (stats.forked or stats.fresh):
            print(f"validation: {stats.describe()}", file=sys.stderr)
        if isinstance(result, Failed):
            return EXIT_INTERRUPTED if result.reason == "interrupted" else EXIT_NOT_SOLVED
        if args.write:
            if not isinstance(result, Solved):
                print(f"not written: {task.target.qualname} is not solved", file=sys.stderr)
            elif new_text == task.file_text:
                print("nothing to write: the code is unchanged", file=sys.stderr)
            else:
                backup = write_atomically(task.file_path, new_text, expected_digest=before)
                print(f"wrote {backup.file} (undo: coderemask undo {backup.file})", file=sys.stderr)
        return EXIT_OK if isinstance(result, Solved) else EXIT_NOT_SOLVED

    return run


COMMANDS = [
    Command(
        "complete",
        "fill a stub function from its signature and docstring (checked by its examples or --test)",
        _add_arguments,
        _run("complete"),
    ),
    Command(
        "fix", "repair a function until its tests pass (default: the project's tests)", _add_arguments, _run("fix")
    ),
]
