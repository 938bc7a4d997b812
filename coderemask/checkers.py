"""Checkers: how the repair loop learns whether candidate functions pass their tests.

A checker turns candidate function texts into ``Verdict``s (tests passed / total, and Evidence
spans in the candidate's own characters). All candidate code runs in the sandbox.

- ``ScriptChecker``: self-contained tests (HumanEval ``check(candidate)``, docstring examples)
  run by the sandbox's batch runner: one interpreter start for all candidates x tests.
- ``PytestChecker``: the project's pytest tests on a temp copy with the candidate's file
  overlaid; per-test coverage and tracebacks become evidence through fault localization.

This module knows the signals and how a function sits inside its file; it does not know
models, the sampler or the policy.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from .repair import Verdict
from .signals.localize import fault_evidence
from .signals.sandbox import Candidate, CandidateResult, run_batch
from .signals.tests import Frame, TestOutcome, TestRun, run_tests
from .types import Evidence, Span

# ------------------------------------------------------------------------- script tests


@dataclass
class ScriptChecker:
    """Runs ``tests`` (snippets executed after the module) against ``prefix + code + suffix``.

    prefix/suffix: the module text around the function (e.g. a HumanEval prompt's imports).
    Evidence: the innermost candidate line of each failing test's traceback.
    """

    tests: Sequence[str]
    prefix: str = ""
    suffix: str = ""
    timeout: float = 5.0
    project_dir: str | None = None
    runs: int = field(default=0, init=False)

    def check(self, codes: Sequence[str]) -> list[Verdict]:
        first_line = self.prefix.count("\n") + 1  # the function's first line in the module
        batch = [Candidate(self.prefix + code + self.suffix, test, name=f"{i}:{j}")
                 for i, code in enumerate(codes) for j, test in enumerate(self.tests)]
        results = run_batch(batch, timeout=self.timeout, project_dir=self.project_dir).results if batch else ()
        self.runs += 1
        verdicts = []
        n = len(self.tests)
        for i, code in enumerate(codes):
            mine = results[i * n : (i + 1) * n]
            run = as_test_run(mine, first_line, code.count("\n") + 1)
            evidence = fault_evidence(run, first_line, code) if any(not r.passed for r in mine) else []
            passed = sum(r.passed for r in mine)
            summary = "; ".join(f"{r.exc_type or r.status}: {r.message[:80]}" for r in mine if not r.passed)[:300]
            verdicts.append(Verdict(passed, n, tuple(evidence), summary))
        return verdicts


def as_test_run(results: Sequence[CandidateResult], first_line: int, n_lines: int) -> TestRun:
    """Batch-runner results as a TestRun (one test each), so fault localization can read them."""
    last = first_line + n_lines - 1
    outcomes = []
    for j, r in enumerate(results):
        frames = tuple(Frame(name, line, "", name == "<candidate>" and first_line <= line <= last)
                       for name, line in r.frames)
        outcome = "passed" if r.passed else ("failed" if r.status == "failed" else "error")
        covered = frozenset(x for x in r.lines if first_line <= x <= last)
        outcomes.append(TestOutcome(f"test_{j}", outcome, r.exc_type, r.message, frames, covered, r.seconds))
    return TestRun("ok", tuple(outcomes), target_file="<candidate>", target_lines=(first_line, last))


# ------------------------------------------------------------------------- pytest


Localizer = Callable[[TestRun, str, int], list[Evidence]]
"""localize(test_run, candidate_code, first_line_of_function_in_file) -> evidence in code chars."""


def sbfl_evidence(run: TestRun, code: str, first_line: int) -> list[Evidence]:
    """The default localizer: spectrum-based scores + traceback + def-use (signals.localize)."""
    return fault_evidence(run, first_line, code)


@dataclass
class PytestChecker:
    """Runs the project's tests with the candidate function placed in its file (sandboxed copy).

    file_text: the file as read; span: the function's characters in it; relpath: the file's
    path relative to ``project_dir``; tests: node ids (None: the project's default discovery).
    """

    project_dir: Path
    relpath: str
    file_text: str
    span: Span
    tests: Sequence[str] | None = None
    timeout: float = 120.0
    test_timeout: float = 10.0
    localize: Localizer = sbfl_evidence
    workers: int | None = None  # candidates tested at once (default: one per CPU core)
    last_runs: list[TestRun] = field(default_factory=list, init=False)

    def place(self, code: str) -> str:
        """The file text with ``code`` in place of the function."""
        return self.file_text[: self.span.start] + code + self.file_text[self.span.end :]

    def run(self, code: str) -> TestRun:
        first = self.file_text.count("\n", 0, self.span.start) + 1
        return run_tests(self.project_dir, target_file=self.relpath, tests=self.tests,
                         target_lines=(first, first + code.count("\n")),
                         overlay={self.relpath: self.place(code)}, timeout=self.timeout,
                         test_timeout=self.test_timeout)

    def check(self, codes: Sequence[str]) -> list[Verdict]:
        first = self.file_text.count("\n", 0, self.span.start) + 1
        verdicts = []
        workers = max(1, min(len(codes), self.workers or os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:  # each run is its own sandboxed process
            self.last_runs = list(pool.map(self.run, codes))
        for code, run in zip(codes, self.last_runs):
            considered = [t for t in run.tests if t.outcome != "skipped"]
            if run.status != "ok" or not considered:
                verdicts.append(Verdict(0, max(1, len(considered)), (), f"{run.status}: {run.message[:200]}"))
                continue
            passed = sum(t.outcome == "passed" for t in considered)
            summary = "; ".join(f"{t.nodeid}: {t.exc_type}" for t in run.failing)[:300]
            verdicts.append(Verdict(passed, len(considered), tuple(self.localize(run, code, first)), summary))
        return verdicts
