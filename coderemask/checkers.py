"""Checkers: how the repair loop learns whether candidate functions pass their tests.

A checker turns candidate function texts into ``Verdict``s (tests passed / total, and Evidence
spans in the candidate's own characters). All candidate code runs in the sandbox.

- ``ScriptChecker``: self-contained tests (HumanEval ``check(candidate)``, docstring examples)
  run by the sandbox's batch runner: one interpreter start per worker for all its candidates x tests.
- ``PytestChecker``: the project's pytest tests on a temp copy with the candidate's file
  overlaid; per-test coverage and tracebacks become evidence through fault localization.

This module knows the signals and how a function sits inside its file; it does not know
models, the sampler or the policy.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from coderemask.errors import ConfigError
from coderemask.problem import Verdict
from coderemask.signals.localize import fault_evidence
from coderemask.signals.pytest_session import (
    SessionCandidate,
    SessionResult,
    TestPlan,
    fork_available,
    run_session,
    swap_blocker,
)
from coderemask.signals.sandbox import Candidate, CandidateResult, run_batch
from coderemask.signals.tests import AFTER_HANG_TIMEOUT, Frame, Outcome, TestOutcome, TestRun, _inside, run_tests
from coderemask.signals.timing import TimeLimits, timed_out
from coderemask.types import Evidence, Span

# ------------------------------------------------------------------------- script tests


@dataclass
class ScriptChecker:
    """Runs ``tests`` (snippets executed after the module) against ``prefix + code + suffix``.

    prefix/suffix: the module text around the function (e.g. a HumanEval prompt's imports).
    Evidence: the innermost candidate line of each failing test's traceback.

    Time limits: with ``original`` (the code a repair starts from), its first run times each test
    at ``timeout`` (a test after one that hung gets ``time_limits.hung``, at most
    ``AFTER_HANG_TIMEOUT``: the limit a candidate gets there anyway) and ``time_limits``
    turns those durations into each test's limit for every later candidate, as ``PytestChecker``
    does: a candidate that loops forever is stopped in a fraction of a second, not at ``timeout``;
    once it hung, its later tests get at most ``time_limits.floor`` (a HumanEval task split by
    assert has a dozen tests: a mutant that hangs on all costs about a dozen floors, not limits).
    Without ``original`` (a completion has none) every test gets ``timeout``. A code is run once.

    Codes are spread over ``workers`` batch runners at once (default: one per CPU core; an
    evaluation running N tasks side by side gives each cores / N); a code's tests stay in one
    runner, in order, so its hang shortens its later tests.
    """

    tests: Sequence[str]
    prefix: str = ""
    suffix: str = ""
    timeout: float = 5.0  # seconds per test: the ceiling of every limit
    project_dir: str | None = None
    original: str | None = None
    time_limits: TimeLimits | None = None  # default: TimeLimits(ceiling=timeout)
    workers: int | None = None  # batch runners at once (default: one per CPU core)
    runs: int = field(default=0, init=False)
    limits: tuple[float, ...] | None = field(default=None, init=False)  # per test, once calibrated
    _verdicts: dict[str, Verdict] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.time_limits is None:
            self.time_limits = TimeLimits(ceiling=self.timeout)
        if self.workers is not None and not (isinstance(self.workers, int) and self.workers >= 1):
            raise ConfigError(f"ScriptChecker.workers={self.workers!r}: must be an integer >= 1 (or None)")

    def check(self, codes: Sequence[str]) -> list[Verdict]:
        if self.original is not None and self.limits is None:
            self.limits = self._calibrate(self.original)
        fresh = [c for c in dict.fromkeys(codes) if c not in self._verdicts]
        if fresh:
            assert self.time_limits is not None
            after = self.time_limits.floor if self.limits else None  # uncalibrated: no test is cut short
            self._run(fresh, self.limits or (self.timeout,) * len(self.tests), after_timeout=after)
        return [self._verdicts[c] for c in codes]

    def _calibrate(self, original: str) -> tuple[float, ...]:
        """Run ``original`` at the ceiling; each test's limit from its duration there."""
        assert self.time_limits is not None
        after = min(AFTER_HANG_TIMEOUT, self.time_limits.hung)  # a script test has no pytest start-up to wait for
        runs = self._run([original], (self.timeout,) * len(self.tests), after_timeout=after)
        return tuple(self.time_limits.limit(t) for t in runs[0].tests)

    def _run(self, codes: Sequence[str], limits: Sequence[float], after_timeout: float | None = None) -> list[TestRun]:
        """Every test of every code in one batch (test j gets ``limits[j]`` seconds); verdicts cached."""
        first_line = self.prefix.count("\n") + 1  # the function's first line in the module
        n = len(self.tests)
        groups = max(1, min(self.workers or os.cpu_count() or 1, len(codes)))
        chunks = [list(range(g, len(codes), groups)) for g in range(groups)]  # code indices per runner

        def run_chunk(chunk: list[int]) -> list[CandidateResult]:
            batch = [
                Candidate(self.prefix + codes[i] + self.suffix, test, name=f"{i}:{j}", timeout=limits[j])
                for i in chunk
                for j, test in enumerate(self.tests)
            ]
            if not batch:
                return []
            return list(
                run_batch(
                    batch, timeout=self.timeout, project_dir=self.project_dir, after_timeout=after_timeout
                ).results
            )

        with ThreadPoolExecutor(max_workers=groups) as pool:
            chunk_results = list(pool.map(run_chunk, chunks))
        per_code: dict[int, list[CandidateResult]] = {}
        for chunk, results in zip(chunks, chunk_results):
            for k, i in enumerate(chunk):
                per_code[i] = results[k * n : (k + 1) * n]
        self.runs += 1
        runs = []
        for i, code in enumerate(codes):
            mine = per_code[i]
            run = as_test_run(mine, first_line, code.count("\n") + 1)
            evidence = fault_evidence(run, first_line, code) if any(not r.passed for r in mine) else []
            passed = sum(r.passed for r in mine)
            summary = "; ".join(f"{r.exc_type or r.status}: {r.message[:80]}" for r in mine if not r.passed)[:300]
            self._verdicts[code] = Verdict(passed, n, tuple(evidence), summary)
            runs.append(run)
        return runs


def as_test_run(results: Sequence[CandidateResult], first_line: int, n_lines: int) -> TestRun:
    """Batch-runner results as a TestRun (one test each), so fault localization and time limits can
    read them (a candidate stopped by its limit: exc_type "Timeout")."""
    last = first_line + n_lines - 1
    outcomes = []
    for j, r in enumerate(results):
        frames = tuple(
            Frame(name, line, "", name == "<candidate>" and first_line <= line <= last) for name, line in r.frames
        )
        outcome: Outcome = "passed" if r.passed else ("failed" if r.status == "failed" else "error")
        covered = frozenset(x for x in r.lines if first_line <= x <= last)
        exc_type = "Timeout" if r.status == "timeout" else r.exc_type  # as signals.timing.timed_out reads it
        outcomes.append(TestOutcome(f"test_{j}", outcome, exc_type, r.message, frames, covered, r.seconds))
    return TestRun("ok", tuple(outcomes), target_file="<candidate>", target_lines=(first_line, last))


# ------------------------------------------------------------------------- pytest


Localizer = Callable[[TestRun, str, int], list[Evidence]]
"""localize(test_run, candidate_code, first_line_of_function_in_file) -> evidence in code chars."""


def sbfl_evidence(run: TestRun, code: str, first_line: int) -> list[Evidence]:
    """The default localizer: spectrum-based scores + traceback + def-use (signals.localize)."""
    return fault_evidence(run, first_line, code)


@dataclass
class ValidationStats:
    """How a PytestChecker tested its candidates: in forked sessions or in fresh processes, why,
    and the seconds spent."""

    forked: int = 0
    fresh: int = 0
    reruns: int = 0  # promising candidates stopped early, then run in full
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)  # why candidates took a fresh process

    def describe(self) -> str:
        text = (
            f"{self.forked + self.fresh} candidate(s) tested in {self.seconds:.1f} s: {self.forked} in forked "
            f"pytest sessions, {self.fresh} in fresh processes"
        )
        if self.reasons:
            text += " (" + "; ".join(f"{n}x {why}" for why, n in self.reasons.most_common(3)) + ")"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "forked": self.forked,
            "fresh": self.fresh,
            "reruns": self.reruns,
            "seconds": round(self.seconds, 3),
            "fresh_reasons": dict(self.reasons),
        }


@dataclass
class PytestChecker:
    """Runs the project's tests with the candidate function placed in its file (sandboxed copy).

    file_text: the file as read; span: the function's characters in it; relpath: the file's
    path relative to ``project_dir``; tests: node ids (None: the project's default discovery).
    qualname: the function's qualified name (``Class.method``); "" turns the forked session off.

    Validation works as mutation-testing tools do (``signals.pytest_session``, ``signals.timing``):

    - the original code's run (``baseline``, or one run at ``test_timeout`` on first use) gives
      each test a calibrated time limit and splits the tests into phase 1 (failing on the
      original: run first, stop at the first that still fails) and phase 2 (the rest);
    - candidates that only change the function's body run in forked pytest sessions (one
      process collects the tests once, a child per candidate), spread over ``workers``
      sessions; the others, and any a session cannot take, run in a fresh process each
      (``stats`` counts both and says why);
    - a candidate stopped before phase 2 after fixing some failing tests (and hanging nowhere)
      is run again in full, so the loop can rank it by every test;
    - a code already checked is never run again.
    """

    project_dir: Path
    relpath: str
    file_text: str
    span: Span
    tests: Sequence[str] | None = None
    timeout: float = 120.0
    test_timeout: float = 10.0
    localize: Localizer = sbfl_evidence
    workers: int | None = None  # candidates (or sessions) tested at once (default: one per CPU core)
    qualname: str = ""
    baseline: TestRun | None = None
    time_limits: TimeLimits | None = None  # default: TimeLimits(ceiling=test_timeout)
    stop_early: bool = True
    fork: bool = True  # False: every candidate in a fresh process (for setups a fork cannot keep)
    python: str | None = None  # the interpreter that runs the tests (None: coderemask's)
    last_runs: list[TestRun] = field(default_factory=list, init=False)
    stats: ValidationStats = field(default_factory=ValidationStats, init=False)
    _verdicts: dict[str, Verdict] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.time_limits is None:
            self.time_limits = TimeLimits(ceiling=self.test_timeout)

    @property
    def first_line(self) -> int:
        """The function's first line in the file (its first decorator's)."""
        return self.file_text.count("\n", 0, self.span.start) + 1

    @property
    def original(self) -> str:
        return self.file_text[self.span.start : self.span.end]

    def place(self, code: str) -> str:
        """The file text with ``code`` in place of the function."""
        return self.span.splice(self.file_text, code)

    def _lines(self, code: str) -> tuple[int, int]:
        return self.first_line, self.first_line + code.count("\n")

    def run(self, code: str, limits: Mapping[str, float] | None = None) -> TestRun:
        """One fresh sandboxed pytest process for ``code``, every test (per-test ``limits``)."""
        return run_tests(
            self.project_dir,
            target_file=self.relpath,
            tests=self.tests,
            target_lines=self._lines(code),
            overlay={self.relpath: self.place(code)},
            timeout=self.timeout,
            test_timeout=self.test_timeout,
            test_timeouts=limits,
            python=self.python,
        )

    def ensure_baseline(self) -> TestRun:
        """The original code's run (made once, at the user's ceiling, when none was given)."""
        if self.baseline is None:
            self.baseline = self.run(self.original)
        return self.baseline

    def plan(self) -> TestPlan | None:
        """Phases and limits from the baseline; None when the baseline did not run cleanly
        (collection errors, a crash): then every candidate gets a fresh process."""
        baseline = self.ensure_baseline()
        if baseline.status not in ("ok", "collection_error"):  # other modules' errors do not matter
            return None
        tests = [t for t in baseline.tests if t.outcome != "skipped" and self._selected(t.nodeid)]
        if not tests:
            return None
        by_time = sorted(tests, key=lambda t: t.duration)
        assert self.time_limits is not None
        return TestPlan(
            phase1=tuple(t.nodeid for t in by_time if t.outcome in ("failed", "error")),
            phase2=tuple(t.nodeid for t in by_time if t.outcome == "passed"),
            limits=self.time_limits.calibrate(baseline),
            default_limit=self.time_limits.ceiling,
            stop_early=self.stop_early,
        )

    def _selected(self, nodeid: str) -> bool:
        """Whether ``nodeid`` is one of ``tests`` (a node id, one of a parametrized test's cases, or
        inside a named file, folder or class)."""
        if self.tests is None:
            return True
        for test in self.tests:
            rel = _inside(Path(self.project_dir).resolve(), test.split("::")[0])
            name = (rel or test.split("::")[0]) + test[len(test.split("::")[0]) :]
            if rel == "." or nodeid == name or nodeid.startswith((name + "::", name + "[", name.rstrip("/") + "/")):
                return True
        return False

    def check(self, codes: Sequence[str]) -> list[Verdict]:
        started = time.monotonic()
        plan = self.plan()
        if self.original not in self._verdicts and self.baseline is not None:
            self._verdicts[self.original] = self._verdict(self.original, self.baseline, plan)
        fresh = [c for c in dict.fromkeys(codes) if c not in self._verdicts]
        runs = self._run_all(fresh, plan)
        if plan is not None and plan.stop_early:
            promising = [c for c in fresh if _stopped_after_progress(runs[c], plan)]
            if promising:
                self.stats.reruns += len(promising)
                runs.update(self._run_all(promising, replace(plan, stop_early=False)))
        self.last_runs = [runs[c] for c in fresh]
        for code in fresh:
            self._verdicts[code] = self._verdict(code, runs[code], plan)
        self.stats.seconds += time.monotonic() - started
        return [self._verdicts[c] for c in codes]

    def _run_all(self, codes: Sequence[str], plan: TestPlan | None) -> dict[str, TestRun]:
        """Each code's run: forked sessions where possible, fresh processes for the rest."""
        workers = max(1, self.workers or os.cpu_count() or 1)
        runs: dict[str, TestRun] = {}
        limits = plan.limits if plan is not None else None
        pending: list[tuple[str, str]] = []  # (code, why it needs a fresh process)
        forkable: list[str] = []
        for code in codes:
            why = self._fresh_reason(code, plan)
            if why:
                pending.append((code, why))
            else:
                forkable.append(code)
        if forkable and plan is not None:
            sessions = max(1, min(workers, len(forkable) // 4))
            chunks = [forkable[i::sessions] for i in range(sessions)]
            with ThreadPoolExecutor(max_workers=sessions) as pool:
                results = list(pool.map(lambda chunk: self._session(chunk, plan), chunks))
            for chunk, result in zip(chunks, results):
                for code, run, why in zip(chunk, result.runs, result.reasons):
                    if run is None:
                        pending.append((code, why))
                    else:
                        runs[code] = run
                        self.stats.forked += 1
        if pending:
            with ThreadPoolExecutor(max_workers=max(1, min(len(pending), workers))) as pool:
                fresh_runs = list(pool.map(lambda item: self.run(item[0], limits), pending))
            for (code, why), run in zip(pending, fresh_runs):
                runs[code] = run
                self.stats.fresh += 1
                self.stats.reasons[why] += 1
        return runs

    def _fresh_reason(self, code: str, plan: TestPlan | None) -> str:
        """Why ``code`` must run in a fresh process ("" when a forked session can take it)."""
        if plan is None:
            return f"the original's run was not clean ({self.ensure_baseline().status})"
        if not self.fork:
            return "forked sessions are turned off"
        if not self.qualname:
            return "no function name for the forked session"
        if not fork_available():
            return "this platform cannot fork"
        return swap_blocker(self.file_text, self.place(code), self.first_line) or ""

    def _session(self, codes: Sequence[str], plan: TestPlan) -> SessionResult:
        return run_session(
            self.project_dir,
            target_file=self.relpath,
            qualname=self.qualname,
            first_line=self.first_line,
            plan=plan,
            candidates=[SessionCandidate(self.place(c), self._lines(c)) for c in codes],
            python=self.python,
        )

    def _verdict(self, code: str, run: TestRun, plan: TestPlan | None) -> Verdict:
        considered = [t for t in run.tests if t.outcome != "skipped"]
        total = len(plan.tests) if plan is not None else len(considered)
        if run.status not in ("ok", "timeout", "crashed") or not considered:
            return Verdict(0, max(1, total), (), f"{run.status}: {run.message[:200]}")
        passed = sum(t.outcome == "passed" for t in considered)
        summary = "; ".join(f"{t.nodeid}: {t.exc_type}" for t in run.failing)[:300]
        complete = plan is None or {t.nodeid for t in run.tests} >= set(plan.tests)
        return Verdict(
            passed,
            max(total, len(considered)),
            tuple(self.localize(run, code, self.first_line)),
            summary,
            complete=complete,
            passed_tests=frozenset(t.nodeid for t in considered if t.outcome == "passed"),
        )


def _stopped_after_progress(run: TestRun, plan: TestPlan) -> bool:
    """A run that stopped before phase 2 although some test that failed on the original now
    passes, and that hung nowhere (a hanging candidate is not worth a second, longer run)."""
    ran = {t.nodeid: t for t in run.tests}
    fixed = any(ran[n].outcome == "passed" for n in plan.phase1 if n in ran)
    hung = run.status != "ok" or any(timed_out(t) for t in run.tests)
    return fixed and not hung and not set(plan.tests) <= set(ran)
