"""ScriptChecker's per-test time limits: calibrated from the original's run, as PytestChecker's are
(signals.timing), so a candidate that loops forever costs a fraction of a second, not the ceiling.
Everything runs in the real sandbox."""

from __future__ import annotations

import time

import pytest

from coderemask.checkers import ScriptChecker, as_test_run
from coderemask.signals.sandbox import CandidateResult
from coderemask.signals.timing import TimeLimits, timed_out

TESTS = ["assert f(1) == 2", "assert f(2) == 4", "assert f(3) == 6"]
ORIGINAL = "def f(x):\n    return x + x if x > 1 else x\n"  # fails the first test, fast
FIXED = "def f(x):\n    return 2 * x\n"
HANGS = "def f(x):\n    while x:\n        pass\n    return x\n"
SLOW_ORIGINAL = "import time\ndef f(x):\n    time.sleep(0.05)\n    return x + x\n"


def test_the_originals_run_sets_each_tests_limit_and_is_not_run_again() -> None:
    checker = ScriptChecker(TESTS, timeout=5.0, original=ORIGINAL)
    verdicts = checker.check([ORIGINAL, FIXED])
    assert [v.passed for v in verdicts] == [2, 3]
    assert checker.limits == (0.25, 0.25, 0.25)  # millisecond tests: the floor
    assert checker.runs == 2  # the original once (calibration), then the fresh candidate
    checker.check([ORIGINAL, FIXED])
    assert checker.runs == 2  # both cached


def test_a_hanging_candidate_is_stopped_at_the_calibrated_limit_not_the_ceiling() -> None:
    checker = ScriptChecker(TESTS, timeout=5.0, original=ORIGINAL)
    checker.check([ORIGINAL])
    started = time.monotonic()
    verdict = checker.check([HANGS])[0]
    seconds = time.monotonic() - started
    assert verdict.passed == 0 and "timeout" in verdict.summary.lower()
    assert seconds < 5.0, seconds  # three tests at 0.25 s (uncalibrated: 15 s)


def test_a_candidate_that_hung_once_gets_the_floor_for_its_later_tests() -> None:
    """The original is slow (limits about 4 x 0.3 s); a candidate that hangs on five of six
    tests costs one limit and four floors (0.1 s), not five limits."""
    slow = "import time\ndef f(x):\n    time.sleep(0.3)\n    return x + x\n"
    tests = [f"assert f({i}) == {2 * i}" for i in range(6)]
    limits = TimeLimits(floor=0.1, factor=4.0, ceiling=5.0)
    checker = ScriptChecker(tests, timeout=5.0, original=slow, time_limits=limits)
    checker.check([slow])
    assert checker.limits is not None and min(checker.limits) > 1.0
    started = time.monotonic()
    assert checker.check([HANGS])[0].passed == 1  # f(0) returns; f(1) hangs, and so on
    assert time.monotonic() - started < 4.0  # five limits would be over 6 s
    assert checker.check([FIXED])[0].passed == 6  # a fast fix is not cut short


def test_limits_follow_the_originals_durations() -> None:
    limits = TimeLimits(floor=0.1, factor=4.0, ceiling=5.0)
    checker = ScriptChecker(TESTS[1:], timeout=5.0, original=SLOW_ORIGINAL, time_limits=limits)
    checker.check([SLOW_ORIGINAL])
    assert checker.limits is not None
    assert all(0.19 < limit < 1.0 for limit in checker.limits), checker.limits  # 4 x (0.05 s + overhead)


def test_an_original_that_hangs_costs_the_ceiling_once_then_the_short_limit() -> None:
    """Its first hanging test runs to the ceiling, the next ones to ``hung`` (0.5 s, the limit a
    candidate gets there anyway), not to AFTER_HANG_TIMEOUT (1 s, pytest's) or the ceiling."""
    tests = [f"assert f({i}) == {2 * i}" for i in range(1, 8)]
    checker = ScriptChecker(tests, timeout=2.0, original=HANGS)
    started = time.monotonic()
    assert checker.check([HANGS])[0].passed == 0
    assert time.monotonic() - started < 2.0 + 6 * 1.0 - 1.0  # about 2 + 6 x 0.5 s (1 s each: over 8 s)
    assert checker.limits == (0.5,) * 7
    assert checker.check([FIXED])[0].passed == 7  # a fast fix still passes under the short limits


def test_without_an_original_every_test_gets_the_ceiling() -> None:
    checker = ScriptChecker(TESTS[:1], timeout=0.7)
    assert checker.check([SLOW_ORIGINAL])[0].passed == 1
    assert checker.limits is None


@pytest.mark.parametrize(
    "status, exc_type, is_timeout",
    [("timeout", None, True), ("timeout", "CandidateTimeout", True), ("failed", "AssertionError", False)],
)
def test_a_batch_timeout_reads_as_a_timeout_to_the_time_limits(status, exc_type, is_timeout) -> None:
    run = as_test_run([CandidateResult(0, "0:0", status, exc_type, seconds=0.3)], first_line=1, n_lines=2)
    assert timed_out(run.tests[0]) is is_timeout


def test_a_completions_docstring_examples_run_under_the_users_test_timeout(tmp_path) -> None:
    """Defect found in issue 16: the docstring checker of `complete` ignored --test-timeout (fixed 5 s)."""
    from coderemask.tasks import file_task

    source = tmp_path / "calc.py"
    source.write_text('def double(x):\n    """Twice x.\n\n    >>> double(2)\n    4\n    """\n    pass\n')
    task = file_task(f"{source}::double", "complete", test_timeout=1.5, project=tmp_path)
    assert isinstance(task.checker, ScriptChecker)
    assert task.checker.timeout == 1.5 and task.checker.original is None
    assert task.checker.check([FIXED.replace("f(", "double(")])[0].passed == 1


def test_codes_spread_over_workers_keep_their_own_verdicts(monkeypatch) -> None:
    """Two runners at once (each code's tests in one of them): the same verdicts as one runner,
    in the order asked, a hanging code included."""
    import coderemask.checkers as checkers

    batches: list[int] = []
    real = checkers.run_batch

    def spy(batch, **kw):
        batches.append(len(batch))
        return real(batch, **kw)

    monkeypatch.setattr(checkers, "run_batch", spy)
    wrong = "def f(x):\n    return x + 1\n"
    codes = [FIXED, HANGS, ORIGINAL, wrong, "def f(x):\n    return x * 2\n"]
    verdicts = {}
    for workers in (1, 2):
        batches.clear()
        checker = ScriptChecker(TESTS, timeout=5.0, original=ORIGINAL, workers=workers)
        verdicts[workers] = [(v.passed, v.total) for v in checker.check(codes)]
        assert sorted(batches) == ([3, 12] if workers == 1 else [3, 6, 6])  # calibration, then the 4 fresh codes
    assert verdicts[1] == verdicts[2] == [(3, 3), (0, 3), (2, 3), (1, 3), (3, 3)]


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_bad_workers_is_refused(workers) -> None:
    from coderemask.errors import ConfigError

    with pytest.raises(ConfigError, match="ScriptChecker.workers"):
        ScriptChecker(TESTS, workers=workers)
