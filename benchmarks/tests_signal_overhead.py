"""Cost of the test signal: one sandboxed pytest run, with and without the per-test line tracer.

    python benchmarks/tests_signal_overhead.py [--tests 100] [--loop 200000] [--repeats 3]

A generated project has ``--tests`` small tests of a target function plus one test that runs a
``--loop``-iteration loop inside the target (the tracer's worst case: a line event per line).
Printed: seconds per ``run_tests`` call (best of ``--repeats``) with the tracer on and off,
with pytest plugin autoload off (the fast setting) and on (the default).

This script measures only the test signal; it knows nothing about models or policies.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from coderemask.signals.tests import run_tests

TARGET = """\
def mean(xs):
    total = 0
    for x in xs:
        total += x
    return total / len(xs)
"""


def make_project(root: Path, tests: int, loop: int) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "target.py").write_text(TARGET)
    body = ["import pytest", "from target import mean", ""]
    body += [
        f"@pytest.mark.parametrize('k', range({tests}))",
        "def test_small(k):",
        "    assert mean([k, k + 2]) == k + 1",
        "",
    ]
    body += ["def test_hot_loop():", f"    assert mean(list(range({loop}))) == {(loop - 1) / 2}", ""]
    (root / "tests" / "test_target.py").write_text("\n".join(body))


def best(repeats: int, **kw: object) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run = run_tests(**kw)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        assert run.all_passed, run.message
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--loop", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_project(Path(tmp), args.tests, args.loop)
        print(f"{args.tests + 1} tests, hot loop of {args.loop} iterations in the target")
        for autoload in (False, True):
            row = {}
            for trace in (False, True):
                row[trace] = best(
                    args.repeats, project_dir=tmp, target_file="target.py", coverage=trace, plugin_autoload=autoload
                )
            extra = row[True] - row[False]
            print(
                f"  plugin autoload {'on ' if autoload else 'off'}: no tracer {row[False]:.2f} s,"
                f" tracer {row[True]:.2f} s (+{extra:.2f} s, +{100 * extra / row[False]:.0f}%)"
            )


if __name__ == "__main__":
    main()
