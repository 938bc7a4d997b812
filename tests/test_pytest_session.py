"""The forked pytest session and the calibrated, two-phase validation of PytestChecker, through
real sandboxed pytest runs: same verdicts as one process per candidate, fresh module state per
candidate, hangs stopped at calibrated limits, crashes reported as crashes, forged reports
ignored, and the cases that must fall back to a fresh process."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from coderemask.checkers import PytestChecker
from coderemask.signals.pytest_session import SessionCandidate, TestPlan, run_session, swap_blocker
from coderemask.signals.tests import AFTER_HANG_TIMEOUT, TestOutcome, TestRun, run_tests
from coderemask.signals.timing import TimeLimits
from coderemask.source import load_target

BUGGY = Path(__file__).parent / "data" / "buggy"
BUGS = sorted(p.name for p in BUGGY.iterdir() if (p / "bug.json").is_file())

SEARCH = """\
import functools

CALLS = []


def bsearch(xs, x):
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] < x:
            lo = mid + 1
        elif xs[mid] > x:
            hi = mid - 1
        else:
            return mid
    return -1


class Box:
    def __init__(self, items):
        self.items = items

    @property
    def size(self):
        return len(self.items)

    @staticmethod
    def double(x):
        return 2 * x


@functools.lru_cache(maxsize=None)
def square(x):
    return x * x
"""

SEARCH_TESTS = """\
from search import CALLS, Box, bsearch, square


def test_found():
    assert bsearch([1, 3, 5, 7], 5) == 2


def test_missing():
    assert bsearch([1, 3, 5, 7], 4) == -1


def test_first():
    assert bsearch([1, 3, 5, 7], 1) == 0


def test_module_state_is_fresh():
    CALLS.append(1)
    assert CALLS == [1]


def test_box():
    assert Box([1, 2]).size == 2 and Box.double(3) == 6


def test_square():
    assert square(4) == 16
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text) if name.endswith(".ini") else text, encoding="utf-8")
    return root


def checker_for(root: Path, file: str, qualname: str, **kwargs) -> PytestChecker:
    target, text = load_target(f"{root / file}::{qualname}")
    return PytestChecker(root, file, text, target.span, qualname=target.qualname, **kwargs)


@pytest.fixture
def search(tmp_path: Path) -> Path:
    return write_project(tmp_path, {"search.py": SEARCH, "test_search.py": SEARCH_TESTS})


def body(checker: PytestChecker, old: str, new: str) -> str:
    assert old in checker.original, old
    return checker.original.replace(old, new, 1)


# ------------------------------------------------------------------ same verdicts as fresh processes


def bug(name: str) -> dict:
    return json.loads((BUGGY / name / "bug.json").read_text(encoding="utf-8"))


def bug_candidates(checker: PytestChecker, name: str) -> list[str]:
    """The buggy function, its fix, and two mutants of the fix: one raises, one returns early."""
    info = bug(name)
    first = checker.first_line
    lines = checker.original.splitlines(keepends=True)
    fixed_lines = list(lines)
    fixed_lines[info["line"] - first] = info["fix"] + "\n"
    fixed = "".join(fixed_lines)
    header = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1
    indent = lines[header][: len(lines[header]) - len(lines[header].lstrip())]
    raises = "".join(lines[:header]) + f"{indent}raise ValueError('mutant')\n" + "".join(lines[header:])
    early = "".join(lines[:header]) + f"{indent}return None\n" + "".join(lines[header:])
    return [checker.original, fixed, raises, early]


@pytest.mark.slow
@pytest.mark.parametrize("name", BUGS)
def test_session_verdicts_equal_fresh_process_verdicts(name: str) -> None:
    file, _, func = bug(name)["target"].partition("::")
    forked = checker_for(BUGGY / name, file, func, stop_early=False)
    fresh = checker_for(BUGGY / name, file, func, stop_early=False)
    fresh.qualname = ""  # no name: every candidate takes a fresh process
    codes = bug_candidates(forked, name)
    got, want = forked.check(codes), fresh.check(codes)
    assert forked.stats.forked == len(codes) - 1 and forked.stats.fresh == 0  # the original is the baseline
    assert fresh.stats.forked == 0 and fresh.stats.fresh == len(codes) - 1
    for code, a, b in zip(codes, got, want):
        assert (a.passed, a.total, a.passed_tests) == (b.passed, b.total, b.passed_tests), code
        assert a.complete and b.complete
        # per-test coverage and tracebacks work in a forked child: fault localization agrees
        assert [(e.span, round(e.score, 6)) for e in a.evidence] == [(e.span, round(e.score, 6)) for e in b.evidence]
    assert got[1].ok, "the fix passes every test"
    assert not got[0].ok and not got[2].ok


# ------------------------------------------------------------------ isolation and limits


def test_each_candidate_sees_a_fresh_module_and_the_swapped_function(search: Path) -> None:
    checker = checker_for(search, "search.py", "bsearch")
    same = body(checker, "return -1", "return -1  # same code, another text")
    broken = body(checker, "return mid", "return mid + 1")
    verdicts = checker.check([same, broken, same + "\n"])
    assert [v.ok for v in verdicts] == [True, False, True]
    # the test module did `from search import bsearch`: it sees the candidate's code
    assert verdicts[1].passed_tests >= {"test_search.py::test_missing", "test_search.py::test_module_state_is_fresh"}
    assert checker.stats.forked == 3


def test_a_module_the_tests_import_late_is_read_from_the_candidates_file(tmp_path: Path) -> None:
    tests = "def test_late():\n    import late\n    assert late.f(2) == 4\n"
    root = write_project(tmp_path, {"late.py": "def f(x):\n    return x + x + 1\n", "test_late.py": tests})
    checker = checker_for(root, "late.py", "f")
    verdicts = checker.check([checker.original, body(checker, "x + x + 1", "x + x"), body(checker, "x + x + 1", "x")])
    assert [v.ok for v in verdicts] == [False, True, False] and checker.stats.forked == 2


@pytest.mark.parametrize(
    "qualname, old, new",
    [
        ("Box.size", "return len(self.items)", "return len(self.items) + 1"),  # property
        ("Box.double", "return 2 * x", "return 3 * x"),  # staticmethod
        ("square", "return x * x", "return x + x"),  # functools.lru_cache wrapper
    ],
)
def test_methods_and_decorated_functions_are_swapped(search: Path, qualname: str, old: str, new: str) -> None:
    checker = checker_for(search, "search.py", qualname)
    verdict = checker.check([body(checker, old, new)])[0]
    assert checker.stats.forked == 1 and not verdict.ok, verdict.summary
    assert verdict.passed == verdict.total - 1


def test_a_hanging_candidate_stops_at_its_calibrated_limit_and_neighbours_run(search: Path) -> None:
    checker = checker_for(search, "search.py", "bsearch", time_limits=TimeLimits(floor=0.25, ceiling=10.0))
    busy = body(checker, "lo = mid + 1", "lo = mid")  # loops forever on test_missing
    sleeping = body(checker, "return -1", "import time; time.sleep(60)")
    c_level = body(checker, "return -1", "return sum(range(10 ** 12))")  # the alarm cannot interrupt C code
    good = body(checker, "return -1", "return -1 ")
    checker.check([checker.original])  # the baseline
    limits = checker.plan().limits
    verdicts = checker.check([busy, good, sleeping, good + "\n", c_level, good + "\n\n"])
    assert [v.ok for v in verdicts] == [False, True, False, True, False, True]
    runs = dict(zip([busy, good, sleeping, good + "\n", c_level, good + "\n\n"], checker.last_runs))
    hung = {t.nodeid: t for t in runs[busy].tests}
    missing = hung["test_search.py::test_missing"]
    assert missing.exc_type == "TimeLimitExceeded" and limits["test_search.py::test_missing"] == 0.25
    assert f"longer than {0.25:g} s" in missing.message  # its calibrated limit, not the 10 s ceiling
    assert hung["test_search.py::test_found"].outcome == "passed"  # the other tests still ran
    assert runs[c_level].status == "timeout"  # killed by the session, not by the test's alarm


def test_crashes_are_reported_as_crashed_not_passed(search: Path) -> None:
    checker = checker_for(search, "search.py", "bsearch")
    segfault = body(checker, "return mid", "import ctypes; return ctypes.string_at(0)")
    exits = body(checker, "return mid", "import os; os._exit(0)")
    verdicts = checker.check([segfault, exits])
    assert checker.stats.forked == 2
    for verdict, run in zip(verdicts, checker.last_runs):
        assert not verdict.ok and run.status == "crashed"
        assert any(t.exc_type == "Crash" for t in run.tests), run.tests


FORGER = """\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""


@pytest.mark.parametrize("forked", [True, False])
def test_a_conftest_that_forges_passed_reports_does_not_pass_a_failing_candidate(search: Path, forked: bool) -> None:
    (search / "conftest.py").write_text(FORGER, encoding="utf-8")
    checker = checker_for(search, "search.py", "bsearch")
    if not forked:
        checker.qualname = ""
    verdict = checker.check([body(checker, "return mid", "return mid + 1")])[0]
    assert not verdict.ok and "test_search.py::test_found" not in verdict.passed_tests
    assert (checker.stats.forked, checker.stats.fresh) == ((1, 0) if forked else (0, 1))


def test_phase_two_runs_only_after_phase_one_passes_and_progress_is_rerun_in_full(tmp_path: Path) -> None:
    source = "def f(x):\n    if x == 1:\n        return 0\n    if x == 2:\n        return 0\n    return x\n"
    tests = "from m import f\n\n" + "".join(
        f"def test_{name}():\n    assert f({arg}) == {arg}\n\n\n"
        for name, arg in (("one", 1), ("two", 2), ("three", 3), ("four", 4))
    )
    root = write_project(tmp_path, {"m.py": source, "test_m.py": tests})
    checker = checker_for(root, "m.py", "f")
    nothing = body(checker, "return x", "return x ")  # fixes neither failing test
    half = body(checker, "if x == 1:", "if x == -1:")  # fixes test_one only
    both = half.replace("if x == 2:", "if x == -2:")
    verdicts = checker.check([checker.original, nothing, half, both])
    assert [(v.passed, v.total) for v in verdicts] == [(2, 4), (0, 4), (3, 4), (4, 4)]
    assert not verdicts[1].complete  # a failing test left in phase 1: phase 2 never ran
    assert verdicts[2].complete and checker.stats.reruns == 1  # fixed one of two: run in full


def test_phase_one_stops_at_a_hang_and_runs_every_fast_failure(tmp_path: Path) -> None:
    source = "import time\n\n\ndef f(x):\n    return x\n"
    tests = (
        "from m import f\n\n"
        + "".join(f"def test_{i}():\n    assert f({i}) == {i + 1}\n\n\n" for i in range(3))
        + "def test_ok():\n    assert f(0) == 0\n"
    )
    root = write_project(tmp_path, {"m.py": source, "test_m.py": tests})
    checker = checker_for(root, "m.py", "f")
    hangs = body(checker, "return x", "time.sleep(60)")
    wrong = body(checker, "return x", "return x - 1")
    checker.check([checker.original])
    checker.check([hangs, wrong])
    hung, failed = ([t.nodeid for t in run.tests] for run in checker.last_runs)
    assert len(hung) == 1 and hung[0].startswith("test_m.py::test_"), hung  # one limit, then stop
    assert sorted(failed) == [f"test_m.py::test_{i}" for i in range(3)]  # all of phase 1, no phase 2


# ------------------------------------------------------------------ when a fresh process is used


@pytest.mark.parametrize(
    "old, new, why",
    [
        ("def bsearch(xs, x):", "def bsearch(xs, x, key=None):", "signature"),
        ("def bsearch(xs, x):", "@staticmethod\ndef bsearch(xs, x):", "decorators"),
        ("    return -1\n", "    return -1\n\n\ndef extra():\n    pass\n", "more than the function"),
        ("    lo, hi = 0, len(xs) - 1\n", "    lo, hi = 0, len(xs) - 1\n    def key(i):\n        return xs[i]\n", None),
    ],
)
def test_swap_blocker(old: str, new: str, why: str | None) -> None:
    candidate = SEARCH.replace(old, new, 1)
    blocker = swap_blocker(SEARCH, candidate, SEARCH[: SEARCH.index("def bsearch")].count("\n") + 1)
    assert (blocker is None) if why is None else (why in (blocker or "")), blocker


def test_a_closure_change_blocks_the_swap() -> None:
    source = "def outer():\n    y = 1\n    def inner(x):\n        return x\n    return inner\n"
    assert "closure" in swap_blocker(source, source.replace("return x", "return x + y"), 3)


@pytest.mark.parametrize(
    "tests, search_tests",
    [(["test_search.py::test_found"], 1), (["test_search.py"], 6), (["."], 6), (["test_more.py::test_square"], 0)],
)
def test_named_tests_select_their_part_of_a_whole_suite_baseline(search: Path, tests: list, search_tests: int) -> None:
    (search / "test_more.py").write_text(
        "import pytest\nfrom search import square\n\n\n@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_square(x):\n    assert square(x) == x * x\n"
    )
    whole = checker_for(search, "search.py", "square").ensure_baseline()  # as `fix` runs the suite
    checker = checker_for(search, "search.py", "square", tests=tests + ["test_more.py::test_square"], baseline=whole)
    plan = checker.plan()
    assert plan is not None and {"test_more.py::test_square[1]", "test_more.py::test_square[2]"} <= set(plan.tests)
    assert sum(n.startswith("test_search.py::") for n in plan.tests) == search_tests, plan.tests
    verdict = checker.check([body(checker, "return x * x", "return x + x")])[0]
    assert not verdict.ok and checker.stats.forked == 1


def test_a_signature_change_takes_a_fresh_process_and_says_why(search: Path) -> None:
    checker = checker_for(search, "search.py", "bsearch")
    verdict = checker.check([body(checker, "def bsearch(xs, x):", "def bsearch(xs, x, unused=0):")])[0]
    assert verdict.ok and (checker.stats.forked, checker.stats.fresh) == (0, 1)
    assert "signature" in checker.stats.describe()


def test_threads_started_by_a_conftest_make_the_session_fall_back(search: Path) -> None:
    (search / "conftest.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    )
    checker = checker_for(search, "search.py", "bsearch")
    verdicts = checker.check([body(checker, "return mid", "return mid + 1"), body(checker, "return -1", "return -1 ")])
    assert [v.ok for v in verdicts] == [False, True]
    assert checker.stats.fresh == 2 and "threads" in checker.stats.describe()


def test_run_session_reports_a_test_it_could_not_collect(search: Path) -> None:
    plan = TestPlan((), ("test_search.py::test_nope",), {}, 1.0)
    result = run_session(
        search,
        target_file="search.py",
        qualname="bsearch",
        first_line=6,
        candidates=[SessionCandidate(SEARCH, (6, 16))],
        plan=plan,
    )
    assert not result.forked and result.runs == (None,) and "not found" in result.message, result.message


# ------------------------------------------------------------------ calibration


@pytest.mark.parametrize(
    "outcome, exc_type, duration, limit",
    [
        ("passed", None, 0.001, 0.25),  # the floor
        ("passed", None, 0.2, 2.0),  # factor x duration
        ("passed", None, 5.0, 10.0),  # the ceiling
        ("failed", "AssertionError", 0.001, 0.25),
        ("failed", "TimeLimitExceeded", 10.0, 0.5),  # hung on the original: its own short limit
        ("error", "Timeout", 10.0, 0.5),
    ],
)
def test_calibrated_limits(outcome: str, exc_type: str | None, duration: float, limit: float) -> None:
    test = TestOutcome("t.py::t", outcome, exc_type, duration=duration)  # type: ignore[arg-type]
    assert TimeLimits().calibrate(TestRun("ok", (test,))) == {"t.py::t": pytest.approx(limit)}


@pytest.mark.parametrize("field", ["floor", "factor", "hung", "ceiling"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf")])
def test_time_limits_refuse_bad_values(field: str, value: float) -> None:
    with pytest.raises(Exception, match=field):
        TimeLimits(**{field: value})


@pytest.mark.slow
def test_after_one_test_hangs_the_others_get_the_after_hang_limit(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (tmp_path / "loop.py").write_text("def spin():\n    while True:\n        pass\n")
    (tmp_path / "test_loop.py").write_text(
        "".join(f"from loop import spin\n\ndef test_{i}():\n    spin()\n\n" for i in range(3))
    )
    t0 = time.monotonic()
    run = run_tests(tmp_path, target_file="loop.py", test_timeout=4.0)
    seconds = time.monotonic() - t0
    durations = sorted(t.duration for t in run.tests)
    assert [t.outcome for t in run.tests] == ["failed"] * 3
    assert durations[-1] == pytest.approx(4.0, abs=0.5)  # the first hang: the full limit
    assert durations[:2] == [pytest.approx(AFTER_HANG_TIMEOUT, abs=0.5)] * 2  # the rest: after-hang
    assert seconds < 4.0 + 3 * AFTER_HANG_TIMEOUT + 5
