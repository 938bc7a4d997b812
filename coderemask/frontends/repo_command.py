"""`coderemask repo [PATH]`: find and fix the functions behind a repo's failing tests.

Thin: parse and check the arguments, call ``repo.fix_repo``, print per-function outcomes and the
accepted patches as unified diffs (or ``--json``), and with ``--write`` apply them atomically
(``coderemask undo`` takes a write back). Exit codes: 0 every failing test is fixed (or none failed), 1 some still fail,
2 bad input (no such folder, the suite does not run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coderemask.frontends.common import EXIT_NOT_SOLVED, EXIT_OK, Command, UsageError, load_model_from_args
from coderemask.frontends.numbers import COUNT, SECONDS
from coderemask.frontends.repair_commands import add_repair_arguments, repair_config, time_limits


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", type=Path, default=Path("."), help="the repository (default: .)")
    p.add_argument("--max-functions", type=COUNT.arg, default=3, help="suspects to repair, best first (default 3)")
    p.add_argument("--timeout", type=SECONDS.arg, default=900.0, help="seconds for the whole run (default 900)")
    p.add_argument("--function-timeout", type=SECONDS.arg, default=300.0, help="seconds per function (default 300)")
    p.add_argument("-k", dest="keyword", default=None, help="pytest -k expression: which tests to consider")
    p.add_argument("--test", action="append", dest="tests", metavar="NODEID", help="only these tests (repeatable)")
    p.add_argument(
        "--pytest-arg",
        action="append",
        dest="pytest_args",
        default=[],
        metavar="ARG",
        help="an extra pytest argument, e.g. --pytest-arg=--runslow (repeatable)",
    )
    add_repair_arguments(p, per=" per function")
    p.add_argument(
        "--write",
        action="store_true",
        help="apply the accepted patches (atomically; `coderemask undo FILE` takes one back)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _run(args: argparse.Namespace) -> int:
    from coderemask.interpreter import test_python
    from coderemask.policy import policy_config
    from coderemask.project import select_project
    from coderemask.repo import RepoError, fix_repo

    if not args.path.is_dir():
        raise UsageError(f"{str(args.path)!r}: no such folder")
    # pytest's rootdir as if run inside PATH; ids typed here are relative to this folder
    selection = select_project(args.path, args.tests or (), cwd=Path.cwd(), invocation_dir=args.path)
    tests = selection.tests or None
    if tests is None and selection.root != args.path.resolve():  # a config above PATH: only PATH's tests
        tests = [args.path.resolve().relative_to(selection.root).as_posix()]
    policy_config(args.policy)
    python = test_python(args.python)
    config = repair_config(args, args.function_timeout)
    extra = [*(["-k", args.keyword] if args.keyword else []), *args.pytest_args]
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        report = fix_repo(
            selection.root,
            lambda: load_model_from_args(args),
            config=config,
            max_functions=args.max_functions,
            total_seconds=args.timeout,
            tests=tests,
            extra_args=extra,
            on_event=log,
            time_limits=time_limits(args),
            fork=args.fork,
            python=python,
        )
    except RepoError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for o in report.outcomes:
            fixed = f"; fixes {len(o.tests_fixed)} test(s)" if o.tests_fixed else ""
            print(
                f"{o.status:9} {o.file}::{o.qualname} (suspicion {o.score:.2f}): {o.why}{fixed} "
                f"[NFE {o.nfe}, {o.seconds:.1f}s]"
            )
        for o in report.outcomes:
            if o.diff:
                print(o.diff, end="")
        print(
            f"failing tests: {len(report.failing_before)} before, {len(report.failing_after)} after "
            f"({report.seconds:.1f}s)"
        )
    if args.write:
        for backup in report.write():  # refuses (exit 2) a file that changed since the run read it
            log(f"wrote {backup.file} (undo: coderemask undo {backup.file})")
    return EXIT_OK if not report.failing_after else EXIT_NOT_SOLVED


COMMAND = Command(
    "repo", "find the functions behind a repo's failing tests, fix them, check for regressions", _add_arguments, _run
)
