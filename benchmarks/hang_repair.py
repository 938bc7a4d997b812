"""A hang-prone repair, end to end through the real CLI: a binary search with an off-by-one
comparison (``while lo < hi`` where ``<=`` belongs), fixed by ``coderemask fix`` against its
pytest tests with the embedded model.

    python benchmarks/hang_repair.py                       # default validation, then --no-fork
    python benchmarks/hang_repair.py --old                 # also the old fixed limits (slow)

Many of the edits the repair tries make the loop run forever (``lo = mid``, ``lo != hi``...):
with calibrated per-test limits and failing tests first, each of those costs a fraction of a
second instead of the fixed per-test limit. Each row is one run of the command; the columns are
its exit status, wall seconds, and the validation line it prints. ``--old`` adds the behaviour
before calibrated limits: every test of every candidate may run 10 s, one fresh process each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEARCH = '''\
def find(xs, x):
    """Index of x in the sorted list xs, or -1 when it is not there."""
    lo, hi = 0, len(xs) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        elif xs[mid] > x:
            hi = mid - 1
        else:
            return mid
    return -1
'''

TESTS = """\
from search import find


def test_middle():
    assert find([1, 3, 5, 7, 9], 5) == 2


def test_first():
    assert find([1, 3, 5, 7, 9], 1) == 0


def test_last():
    assert find([1, 3, 5, 7, 9], 9) == 4


def test_single():
    assert find([4], 4) == 0


def test_missing():
    assert find([1, 3, 5, 7, 9], 4) == -1


def test_empty():
    assert find([], 1) == -1


def test_many():
    xs = list(range(0, 200, 2))
    assert [find(xs, v) for v in (0, 98, 198, 7)] == [0, 49, 99, -1]
"""

RUNS = {
    "default (forked sessions, calibrated limits)": [],
    "--no-fork (fresh process per candidate, calibrated limits)": ["--no-fork"],
}
OLD = {
    "old: fresh process per candidate, 10 s per test": [
        "--no-fork",
        "--test-timeout-floor",
        "10",
        "--hung-test-timeout",
        "10",
    ]
}


def run(flags: list[str], timeout: float) -> tuple[int, float, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "search.py").write_text(SEARCH, encoding="utf-8")
        (root / "test_search.py").write_text(TESTS, encoding="utf-8")
        (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
        began = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "coderemask.frontends.cli",
                "fix",
                "search.py::find",
                "--timeout",
                str(timeout),
                *flags,
            ],
            cwd=root,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - began
    status = next(
        (line for line in proc.stderr.splitlines() if line.startswith(("solved", "gave_up", "failed"))),
        proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "",
    )
    validation = next((line for line in proc.stderr.splitlines() if line.startswith("validation:")), "")
    return proc.returncode, seconds, status, validation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="the command's --timeout (default 120)")
    parser.add_argument("--old", action="store_true", help="also run with the old fixed 10 s limits")
    args = parser.parse_args()
    runs = {**RUNS, **(OLD if args.old else {})}
    print("| validation | exit | wall s | result | validation line |")
    print("|---|---:|---:|---|---|")
    for name, flags in runs.items():
        code, seconds, status, validation = run(flags, args.timeout)
        print(f"| {name} | {code} | {seconds:.1f} | {status} | {validation.removeprefix('validation: ')} |", flush=True)


if __name__ == "__main__":
    main()
