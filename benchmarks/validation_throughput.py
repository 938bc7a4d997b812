"""Candidates validated per second by PytestChecker: forked pytest sessions against one fresh
sandboxed pytest process per candidate, on a small project with a pytest suite of 11 tests.

    python benchmarks/validation_throughput.py                 # 60 candidates per mix
    python benchmarks/validation_throughput.py --candidates 120 --fresh 12

The project: ``search.py`` holds a binary search with a planted bug (``return mid + 1``) and a
few other functions; ``test_search.py`` has 11 tests, 3 of which fail on the original. Mixes of
candidates for the buggy function (each candidate's text differs, so nothing is cached):

    pass       the correct function: phase 1 (3 failing tests) then phase 2 (8 more) all pass
    fail-fast  still wrong (returns mid + k): stops at phase 1's first test
    half-hang  half fail fast, half loop forever (``lo = mid``) on the tests that search
    all-hang   every candidate loops forever: the cost of one hanging candidate

Seconds are the median of ``--repeats`` runs (this machine's timings vary by tens of percent
from run to run). Both paths use the same calibrated per-test limits (``signals.timing.TimeLimits`` defaults) and
the same number of workers (one per core); the fresh-process path runs on ``--fresh`` candidates
of each mix only, since it is slow. ``--old-limits`` adds the fresh-process path as it was before
calibrated limits (10 s per test; one run, since it is slower still). This script measures validation only: no model runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from coderemask.checkers import PytestChecker
from coderemask.signals.timing import TimeLimits
from coderemask.source import load_target

SEARCH = '''\
def bsearch(xs, x):
    """Index of x in the sorted list xs, or -1."""
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        elif xs[mid] > x:
            hi = mid - 1
        else:
            return mid + 1
    return -1


def clamp(value, low, high):
    return max(low, min(value, high))


def mean(xs):
    return sum(xs) / len(xs)
'''

TESTS = """\
import pytest

from search import bsearch, clamp, mean


def test_found_middle():
    assert bsearch([1, 3, 5, 7, 9], 5) == 2


def test_found_first():
    assert bsearch([1, 3, 5, 7, 9], 1) == 0


def test_found_last():
    assert bsearch([1, 3, 5, 7, 9], 9) == 4


def test_missing_between():
    assert bsearch([1, 3, 5, 7, 9], 4) == -1


def test_missing_below():
    assert bsearch([1, 3, 5], 0) == -1


def test_missing_above():
    assert bsearch([1, 3, 5], 8) == -1


def test_empty():
    assert bsearch([], 3) == -1


@pytest.mark.parametrize("value, want", [(-5, 0), (5, 5), (50, 10)])
def test_clamp(value, want):
    assert clamp(value, 0, 10) == want
"""

MIXES = ("pass", "fail-fast", "half-hang", "all-hang")


def project(root: Path) -> Path:
    (root / "search.py").write_text(SEARCH, encoding="utf-8")
    (root / "test_search.py").write_text(
        TESTS + "\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n", encoding="utf-8"
    )
    return root


def candidates(original: str, mix: str, n: int) -> list[str]:
    """``n`` distinct candidate texts of the function for one mix."""
    fixed = original.replace("return mid + 1", "return mid")
    out = []
    for k in range(n):
        kind = mix
        if mix == "half-hang":
            kind = "all-hang" if k % 2 else "fail-fast"
        if kind == "pass":
            code = fixed
        elif kind == "fail-fast":
            code = original.replace("return mid + 1", f"return mid + {k % 7 + 2}")
        else:
            code = original.replace("lo = mid + 1", "lo = mid").replace("return mid + 1", "return mid")
        out.append(code.replace('"""Index', f'"""({k}) Index'))
    return out


def checker(root: Path, fork: bool, old_limits: bool = False) -> PytestChecker:
    """A checker for the planted bug; ``old_limits``: every test may run 10 s, as before calibration."""
    target, text = load_target(f"{root / 'search.py'}::bsearch")
    limits = TimeLimits(floor=10.0, hung=10.0, ceiling=10.0) if old_limits else None
    c = PytestChecker(
        root, "search.py", text, target.span, qualname=target.qualname if fork else "", time_limits=limits
    )
    c.check([c.original])  # the baseline run: calibrates the limits (not timed)
    return c


def timed(root: Path, fork: bool, mix: str, n: int, repeats: int, old_limits: bool = False) -> tuple[float, int]:
    """Median seconds to check ``n`` candidates of ``mix`` (a fresh checker and fresh texts each
    repeat, so nothing is cached), and how many of the last repeat's passed."""
    times, ok = [], 0
    for repeat in range(repeats):
        c = checker(root, fork, old_limits)
        codes = [code.replace('"""(', f'"""[{repeat}](') for code in candidates(c.original, mix, n)]
        began = time.monotonic()
        verdicts = c.check(codes)
        times.append(time.monotonic() - began)
        ok = sum(v.ok for v in verdicts)
        assert not fork or c.stats.fresh == 0, c.stats.describe()
    return statistics.median(times), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=60, help="candidates per mix, forked sessions")
    parser.add_argument("--fresh", type=int, default=8, help="candidates per mix, one fresh process each")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell; the median is shown (default 3)")
    parser.add_argument(
        "--old-limits",
        action="store_true",
        help="also time the fresh-process path with 10 s per test, as before calibration (one run)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp))
        print(
            f"{os.cpu_count()} cores; 9 test functions (11 items), 3 failing on the original; "
            f"{args.candidates} candidates per mix (forked), {args.fresh} (fresh processes); "
            f"median of {args.repeats} runs\n"
        )
        old = " fresh, 10 s per test: s per candidate | ratio to it |" if args.old_limits else ""
        print(
            "| mix | forked: candidates/s | s per candidate | fresh process: candidates/s | "
            f"s per candidate | ratio | solved (forked, fresh) |{old}"
        )
        print("|---|---:|---:|---:|---:|---:|---|" + ("---:|---:|" if args.old_limits else ""))
        for mix in MIXES:
            t_fork, ok_fork = timed(root, True, mix, args.candidates, args.repeats)
            t_fresh, ok_fresh = timed(root, False, mix, args.fresh, args.repeats)
            rate_fork, rate_fresh = args.candidates / t_fork, args.fresh / t_fresh
            old = ""
            if args.old_limits:
                t_old, _ = timed(root, False, mix, args.fresh, 1, old_limits=True)
                old = f" {t_old / args.fresh:.3f} | {(t_old / args.fresh) / (t_fork / args.candidates):.0f}x |"
            print(
                f"| {mix} | {rate_fork:.1f} | {t_fork / args.candidates:.3f} | {rate_fresh:.2f} | "
                f"{t_fresh / args.fresh:.3f} | {rate_fork / rate_fresh:.1f}x | {ok_fork}/{args.candidates}, "
                f"{ok_fresh}/{args.fresh} |{old}",
                flush=True,
            )


if __name__ == "__main__":
    main()
