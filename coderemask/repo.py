"""Repo mode: from a repository's failing tests to checked patches, one function at a time.

1. ``run_suite`` runs the whole suite once in the sandbox (the baseline), with per-test coverage
   of every source file of the repo.
2. ``rank_functions`` scores each function of the repo's source (never tests or site-packages)
   by spectrum-based fault localization over the covered lines (the best line's score), raised
   when a failing test's traceback passes through it.
3. ``fix_repo`` repairs the top functions one at a time (``tasks.file_task`` + ``repair``) within
   a per-function and a total budget, each checked by the failing tests that cover it and the
   passing ones too; a plausible patch (those tests pass) is then checked against the whole
   suite, with every patch accepted so far applied, and rejected if a test that passed in the
   baseline now fails.

The result is a ``RepoReport`` of per-function outcomes (patch or not, and why). Files change
only through ``RepoReport.write`` (``backups.write_atomically``), which front-ends call when asked.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from coderemask.backups import Backup, write_atomically
from coderemask.errors import CoderemaskError
from coderemask.model.base import Denoiser
from coderemask.project import TestSelectionError, check_test_run
from coderemask.repair import RepairConfig
from coderemask.results import Failed, Solved, schema
from coderemask.signals.localize import Spectrum, get_formula
from coderemask.signals.tests import TestRun, run_suite
from coderemask.signals.timing import TimeLimits
from coderemask.source import SourceError, list_functions, read_source
from coderemask.tasks import file_task, run_task
from coderemask.writeback import digest


class RepoError(CoderemaskError):
    """The repository cannot be worked on (no tests ran, the suite does not collect, ...)."""


@dataclass(frozen=True)
class Suspect:
    """A function of the repo and why it is suspected."""

    file: str  # relative to the repo
    qualname: str
    score: float
    line: int  # the most suspicious line
    failing_tests: tuple[str, ...]  # failing tests that ran it
    passing_tests: tuple[str, ...]  # passing tests that ran it (a patch must keep them passing)
    in_traceback: bool


@dataclass
class FunctionOutcome:
    """What happened to one suspect: ``status`` is patched, rejected, not_fixed or skipped."""

    file: str
    qualname: str
    score: float
    status: str
    why: str
    tests_fixed: list[str] = field(default_factory=list)
    diff: str = ""
    new_text: str | None = None  # the whole file with the patch, for writing
    nfe: int = 0
    seconds: float = 0.0


@dataclass
class RepoReport:
    """Baseline counts, the outcomes in rank order, and the totals."""

    root: str
    failing_before: list[str]
    passing_before: int
    outcomes: list[FunctionOutcome]
    failing_after: list[str]
    seconds: float
    read_digests: dict[str, str] = field(default_factory=dict)  # file -> digest of the text read

    def patched_files(self) -> dict[str, tuple[str, str]]:
        """file -> (new text with every accepted patch, digest of the text it was made from)."""
        out: dict[str, tuple[str, str]] = {}
        for o in self.outcomes:
            if o.status == "patched" and o.new_text is not None:
                out[o.file] = (o.new_text, self.read_digests[o.file])
        return out

    def write(self) -> list[Backup]:
        """Apply the accepted patches to the repo's files atomically (stale and read-only checks,
        backups kept for ``backups.undo``). Raises StaleFileError for a file that changed since it
        was read, CoderemaskError for a read-only one."""
        return [
            write_atomically(Path(self.root) / file, text, expected_digest=read)
            for file, (text, read) in self.patched_files().items()
        ]

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("read_digests")
        for o in d["outcomes"]:
            o.pop("new_text", None)
        return {"schema": schema("repo"), **d}


def rank_functions(
    run: TestRun,
    root: Path,
    *,
    formula: str = "ochiai",
    traceback_bonus: float = 0.2,
) -> list[Suspect]:
    """Functions of the repo's source covered by failing tests, most suspicious first."""
    f = get_formula(formula)
    counted = [t for t in run.tests if t.outcome in ("passed", "failed", "error")]
    failing = [t for t in counted if t.outcome != "passed"]
    total_failed, total_passed = len(failing), len(counted) - len(failing)
    ef: dict[tuple[str, int], list[str]] = defaultdict(list)  # (file, line) -> failing tests that ran it
    passed_at: dict[tuple[str, int], list[str]] = defaultdict(list)  # ... and passing ones
    for t in counted:
        for at in t.covered_at:
            (passed_at if t.outcome == "passed" else ef)[at].append(t.nodeid)
    in_traceback = {(fr.file, fr.line) for t in failing for fr in t.frames if fr.in_target}
    suspects: list[Suspect] = []
    for file in sorted({file for file, _ in ef}):
        try:
            functions = list_functions(read_source(root / file), path=file)
        except (SourceError, OSError):
            continue  # a file that does not parse is reported by the tests' collection errors
        for fn in functions:
            nested = [
                g for g in functions if g is not fn and fn.start_line < g.start_line and g.end_line <= fn.end_line
            ]
            own = [
                n
                for n in range(fn.start_line, fn.end_line + 1)
                if not any(g.start_line <= n <= g.end_line for g in nested)
            ]  # nested ones rank themselves
            best, best_line = 0.0, fn.start_line
            failed_tests: set[str] = set()
            passed_tests: set[str] = set()
            for n in own:
                passed_tests.update(passed_at.get((file, n), ()))
                failed_here = ef.get((file, n), [])
                if not failed_here:
                    continue
                ep = len(passed_at.get((file, n), ()))
                s = Spectrum(len(failed_here), ep, total_failed - len(failed_here), total_passed - ep)
                score = f.bounded(f.score(s))
                failed_tests.update(failed_here)
                if score > best:
                    best, best_line = score, n
            if not failed_tests:
                continue
            traced = any((file, n) in in_traceback for n in own)
            suspects.append(
                Suspect(
                    file,
                    fn.qualname,
                    min(1.0, best + (traceback_bonus if traced else 0.0)),
                    best_line,
                    tuple(sorted(failed_tests)),
                    tuple(sorted(passed_tests)),
                    traced,
                )
            )
    return sorted(suspects, key=lambda s: (-s.score, s.file, s.line))


def fix_repo(
    root: str | Path,
    load_model: Callable[[], Denoiser],
    *,
    config: RepairConfig | None = None,
    max_functions: int = 3,
    total_seconds: float = 900.0,
    tests: Sequence[str] | None = None,
    extra_args: Sequence[str] = (),
    on_event: Callable[[str], None] = lambda message: None,
    time_limits: TimeLimits | None = None,
    fork: bool = True,
    python: str | None = None,
) -> RepoReport:
    """Find, repair and check the functions behind the repo's failing tests (see the module doc).

    ``load_model`` is called once, when the first function is repaired (never when no test fails).
    ``time_limits``: per-test limits of candidates, calibrated from the baseline (its ceiling is
    each test's limit in the baseline too). ``fork=False``: candidates in fresh processes only.
    ``python``: the interpreter that runs the tests (None: coderemask's).
    Raises RepoError when the suite does not run, no test could be collected, or a ``tests`` id
    is one pytest cannot find (``project.check_test_run``; modules that fail to collect are
    left out and reported through ``on_event``).
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise RepoError(f"{root}: no such folder")
    t0 = time.monotonic()
    config = config or RepairConfig()
    time_limits = time_limits or TimeLimits()
    baseline = run_suite(root, tests=tests, extra_args=extra_args, test_timeout=time_limits.ceiling, python=python)
    if tests:
        try:
            check_test_run(baseline, tests, root, collect_errors=False)  # before any model work
        except TestSelectionError as exc:
            raise RepoError(str(exc)) from None
    if baseline.status in ("error", "timeout", "crashed", "no_tests") or not baseline.tests:
        raise RepoError(f"the test suite of {root} did not run: {baseline.status}: {baseline.message}")
    for error in baseline.collect_errors:
        on_event(
            f"collection error (its tests are left out): {error.nodeid}: {error.exc_type}: "
            f"{error.message.strip().splitlines()[-1] if error.message.strip() else ''}"
        )
    failing_before = sorted(t.nodeid for t in baseline.failing)
    passing_before = {t.nodeid for t in baseline.passing}
    on_event(
        f"baseline: {len(passing_before)} passed, {len(failing_before)} failing"
        + (f", {len(baseline.collect_errors)} collection error(s)" if baseline.collect_errors else "")
    )
    report = RepoReport(str(root), failing_before, len(passing_before), [], failing_before, 0.0)
    if not failing_before:
        report.seconds = time.monotonic() - t0
        return report
    suspects = rank_functions(baseline, root)
    on_event(
        "suspects: " + ", ".join(f"{s.file}::{s.qualname} ({s.score:.2f})" for s in suspects[:max_functions])
        if suspects
        else "no function of the repo is run by a failing test"
    )
    overlay: dict[str, str] = {}  # accepted patches so far: file -> text
    model: list[Denoiser] = []  # loaded on first use
    still_failing = set(failing_before)
    attempted = 0  # --max-functions counts repairs attempted, not suspects skipped
    for suspect in suspects:
        outcome = FunctionOutcome(suspect.file, suspect.qualname, round(suspect.score, 4), "skipped", "")
        report.outcomes.append(outcome)
        left = total_seconds - (time.monotonic() - t0)
        if not still_failing.intersection(suspect.failing_tests):
            outcome.status, outcome.why = "skipped", "its failing tests pass after earlier patches"
            continue
        if attempted >= max_functions:
            outcome.why = f"beyond --max-functions {max_functions} (functions attempted)"
            continue
        if left <= 5:
            outcome.why = "the total time budget is spent"
            continue
        attempted += 1
        if not model:
            model.append(load_model())
        _repair_one(
            root,
            model[0],
            config,
            suspect,
            overlay,
            passing_before,
            still_failing,
            outcome,
            left,
            extra_args,
            on_event,
            report.read_digests,
            baseline,
            time_limits,
            fork,
            python,
        )
    report.failing_after = sorted(still_failing)
    report.seconds = time.monotonic() - t0
    return report


def _repair_one(
    root: Path,
    model: Denoiser,
    config: RepairConfig,
    suspect: Suspect,
    overlay: dict[str, str],
    passing_before: set[str],
    still_failing: set[str],
    outcome: FunctionOutcome,
    seconds_left: float,
    extra_args: Sequence[str],
    on_event: Callable[[str], None],
    read_digests: dict[str, str],
    baseline: TestRun,
    time_limits: TimeLimits,
    fork: bool,
    python: str | None,
) -> None:
    """Repair one suspect; on a plausible patch, check the whole suite and accept or reject it.

    The suite's baseline calibrates the candidates' time limits while no earlier patch changed
    the file (after one, the function's tests run once more on the patched file)."""
    spec = f"{root / suspect.file}::{suspect.qualname}"
    text = overlay.get(suspect.file)
    per_function = replace(config.budget, max_seconds=min(config.budget.max_seconds, seconds_left))
    covering = sorted(set(suspect.failing_tests) | set(suspect.passing_tests))
    task = file_task(
        spec,
        "fix",
        tests=covering,
        project=root,
        text=text,
        test_timeout=time_limits.ceiling,
        time_limits=time_limits,
        baseline=baseline if text is None else None,
        fork=fork,
        python=python,
    )
    read_digests.setdefault(suspect.file, digest(task.file_text))
    on_event(f"repairing {suspect.file}::{suspect.qualname} with {len(covering)} test(s)")
    done = run_task(task, "fix", model, replace(config, budget=per_function))
    result, new_text = done.result, done.new_text
    outcome.nfe, outcome.seconds = result.nfe, round(result.seconds, 3)
    if not isinstance(result, Solved):
        reason = result.reason if not isinstance(result, Failed) else f"failed: {result.reason}"
        outcome.status, outcome.why = "not_fixed", reason
        return
    candidate = {**overlay, suspect.file: new_text}
    check = run_suite(root, overlay=candidate, extra_args=extra_args, coverage=False, python=python)
    broken = sorted(t.nodeid for t in check.failing if t.nodeid in passing_before)
    if check.status not in ("ok", "collection_error") or broken:
        outcome.status = "rejected"
        outcome.why = (
            f"breaks {len(broken)} test(s) that passed before: {', '.join(broken[:5])}"
            if broken
            else f"the suite did not run with the patch: {check.status}: {check.message}"
        )
        return
    now_failing = {t.nodeid for t in check.failing}
    fixed = sorted(still_failing - now_failing)
    if not fixed:
        outcome.status, outcome.why = "rejected", "its tests pass alone, but no failing test of the suite is fixed"
        return
    overlay[suspect.file] = new_text
    still_failing.intersection_update(now_failing)
    outcome.status, outcome.why, outcome.tests_fixed = "patched", "its tests pass and no test regressed", fixed
    outcome.diff = task.diff(new_text)
    outcome.new_text = new_text
    on_event(f"patched {suspect.file}::{suspect.qualname}: fixes {len(fixed)} test(s)")
