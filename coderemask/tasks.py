"""Glue shared by the front-ends: a file target (or an evaluation record) -> Problem + Checker.

``file_task`` finds the function, its project, the editable region (the body without its
docstring; an empty stub body becomes a ``pass`` placeholder to be rewritten) and the tests to
run: named pytest node ids, else (for ``fix``) the project's tests, else (for ``complete``) the
docstring's examples. This module knows files and projects; it does not know models or CLIs.

The project root and the refusals are ``project``'s (pytest's rootdir rule; ``check_test_run``):
a ``--test`` id that pytest cannot find, or tests that fail to collect in the original code, are
refused (TestSelectionError) by the baseline run, before a front-end pays for the model.
``checkers`` is imported once the baseline is through (it still reaches torch through
``repair``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Protocol, Sequence

from coderemask.checkers import PytestChecker, ScriptChecker
from coderemask.docstring_tests import example_tests
from coderemask.problem import Checker, Problem
from coderemask.project import TestSelectionError, check_test_run, select_project
from coderemask.signals.tests import TestRun, run_tests
from coderemask.signals.timing import TimeLimits
from coderemask.source import Target, TargetSpec, load_target
from coderemask.types import Span
from coderemask.writeback import unified_diff

if TYPE_CHECKING:
    from coderemask.model.base import Denoiser
    from coderemask.repair import RepairConfig
    from coderemask.results import RepairResult, Round

Mode = Literal["complete", "fix"]

__all__ = [
    "FileTask",
    "Mode",
    "RunnableTask",
    "TaskRun",
    "TestSelectionError",
    "default_fix_tests",
    "file_task",
    "problem_from_target",
    "run_task",
]


class RunnableTask(Protocol):
    """What ``run_task`` needs: a file task (``FileTask``) or an evaluation record (``RecordTask``)."""

    @property
    def problem(self) -> Problem: ...

    @property
    def checker(self) -> Checker | None: ...

    def place(self, code: str) -> str:
        """The whole file (or module) with ``code`` in place of the function."""
        ...


@dataclass(frozen=True)
class TaskRun:
    """A finished run: the result, the function's code to keep (the result's, else the original)
    and the file text with that code in place (the original text when nothing was kept)."""

    result: RepairResult
    code: str
    new_text: str


def run_task(
    task: RunnableTask,
    mode: str,
    model: Denoiser,
    config: RepairConfig,
    *,
    on_round: Callable[[Round], None] | None = None,
) -> TaskRun:
    """The one task runner every front-end calls (fix/complete, editor and LSP, repo, eval):
    ``complete`` writes the body (then searches when tests exist), any other mode repairs."""
    from coderemask.repair import complete, repair

    run = complete if mode == "complete" else repair
    result = run(task.problem, model, task.checker, config, on_round=on_round)
    code = result.code if result.code is not None else task.problem.code
    return TaskRun(result=result, code=code, new_text=task.place(code))


@dataclass(frozen=True)
class FileTask:
    """Everything a front-end needs to run and to write back one function."""

    target: Target
    file_text: str
    file_path: Path
    project: Path
    problem: Problem
    checker: Checker | None
    tests_described: str
    span_in_file: Span  # the characters of the file that ``problem.code`` replaces

    def place(self, code: str) -> str:
        """The file text with ``code`` in place of the function."""
        return self.span_in_file.splice(self.file_text, code)

    @property
    def relpath(self) -> str:
        """The file's path relative to the project root (its name when it lies outside)."""
        return project_path(self.file_path, self.project)

    def diff(self, new_text: str) -> str:
        """A unified diff from the file's text to ``new_text``, its headers relative to the project
        root (``a/pkg/mod.py``): ``git apply`` / ``patch -p1`` take it there."""
        return unified_diff(self.file_text, new_text, self.relpath)


def project_path(file_path: Path, root: Path) -> str:
    """``file_path`` relative to ``root`` as a posix path, or the file's name when outside it."""
    return file_path.relative_to(root).as_posix() if file_path.is_relative_to(root) else file_path.name


def problem_from_target(target: Target, file_text: str) -> tuple[Problem, Span]:
    """A Problem over the function's text whose region is its body minus the docstring.

    Returns the problem and the file span its code replaces. An empty region (a docstring-only
    stub) gets a ``pass`` placeholder line, so there is something to rewrite.
    """
    code = target.text
    region = target.relative(target.code_span)
    if region.start == region.end:
        placeholder = f"{target.body_indent}pass{target.newline}"
        pos = region.start
        if pos > 0 and code[pos - 1] not in "\r\n":
            placeholder = target.newline + placeholder
        code = code[:pos] + placeholder + code[pos:]
        region = Span(pos, pos + len(placeholder))
    while region.end > region.start + 1 and code[region.end - 1] in "\r\n":
        region = Span(region.start, region.end - 1)  # the final line break stays fixed context
    prefix = file_text[: target.span.start]
    suffix = file_text[target.span.end :]
    return Problem(code=code, region=region, prefix=prefix, suffix=suffix, name=target.qualname), target.span


def default_fix_tests(
    root: Path,
    relpath: str,
    target: Target,
    file_text: str | None = None,
    test_timeout: float = 10.0,
    python: str | None = None,
) -> tuple[list[str] | None, str, TestRun]:
    """The tests ``fix`` runs when none are named, from one sandboxed run of the whole suite
    (returned too: it is the original code's baseline).

    The tests that cover the function (failing and passing, so a fix cannot break the passing
    ones) when some of them fail; all tests (None) when the run itself broke (collection error,
    crash, timeout: e.g. the module does not import); [] when no failing test covers the function
    (nothing fails, or the failures never run it: the function is not repaired against unrelated
    tests), and then only parsing and confidence judge.
    """
    run = run_tests(
        root,
        target_file=relpath,
        target_lines=(target.start_line, target.end_line),
        overlay={relpath: file_text} if file_text is not None else None,
        test_timeout=test_timeout,
        python=python,
    )
    check_test_run(run, None, root)  # tests that fail to collect in the original code are refused
    covering = [t.nodeid for t in run.tests if t.outcome != "skipped" and (t.covered_lines or t.target_frames)]
    if any(t.outcome in ("failed", "error") for t in run.tests if t.nodeid in covering):
        return covering, f"{len(covering)} test(s) that cover {target.qualname}", run
    if run.status in ("collection_error", "crashed", "timeout") or run.failing and run.status != "ok":
        return None, f"the tests of {root} ({run.status}: {run.message[:80]})", run
    if run.failing:
        first = run.failing[0].nodeid
        return (
            [],
            (
                f"no failing test covers {target.qualname} ({len(run.failing)} failing test(s) never run it, "
                f"e.g. {first}): checked by parsing and confidence only"
            ),
            run,
        )
    return [], f"no failing test covers {target.qualname}: checked by parsing and confidence only", run


def file_task(
    spec: str | TargetSpec,
    mode: Mode,
    *,
    tests: Sequence[str] | None = None,
    project: Path | None = None,
    test_timeout: float = 10.0,
    text: str | None = None,
    time_limits: TimeLimits | None = None,
    baseline: TestRun | None = None,
    fork: bool = True,
    cwd: Path | None = None,
    python: str | None = None,
) -> FileTask:
    """Load ``FILE::FUNC`` and decide how it is checked (see the module docstring).

    ``text``: the file's content as an editor holds it (default: read the file); the tests then
    run against that text, overlaid on a copy of the project. Named ``tests`` run once on the
    original at once (the baseline that calibrates time limits; ``baseline`` gives one already
    made): ids that pytest cannot find raise TestSelectionError before any model work.
    ``time_limits``: how candidates' per-test limits follow from it (default: ``TimeLimits``
    with ``test_timeout`` as the ceiling). ``fork=False``: every candidate in a fresh pytest
    process instead of forked sessions. ``project``: the root (default: pytest's rootdir, see
    ``project.select_project``); ``cwd``: the folder a command line's ``tests`` were typed in
    (default: they are relative to the root); ``python``: the interpreter that runs the tests
    (``interpreter.test_python``; None: coderemask's).
    """
    target, file_text = load_target(spec, text=text)
    file_path = Path(target.path or str(spec).split("::")[0]).resolve()
    selection = select_project(file_path, tests or (), project=project, cwd=cwd)
    root, tests = selection.root, selection.tests or None
    problem, span = problem_from_target(target, file_text)
    checker: Checker | None
    relpath = project_path(file_path, root)
    described = f"pytest {' '.join(tests)}" if tests else ""
    overlay = {relpath: file_text} if text is not None else None
    if tests and baseline is None:
        baseline = run_tests(
            root,
            target_file=relpath,
            tests=tests,
            overlay=overlay,
            test_timeout=test_timeout,
            target_lines=(target.start_line, target.end_line),
            python=python,
        )
        check_test_run(baseline, tests, root)
    if mode == "fix" and not tests:
        tests, described, baseline = default_fix_tests(
            root, relpath, target, file_text if text is not None else None, test_timeout=test_timeout, python=python
        )
        if tests == []:
            return FileTask(target, file_text, file_path, root, problem, None, described, span)

    if tests is not None or mode == "fix":
        checker = PytestChecker(
            root,
            relpath,
            file_text,
            span,
            tests=list(tests) if tests else None,
            test_timeout=test_timeout,
            qualname=target.qualname,
            baseline=baseline,
            time_limits=time_limits or TimeLimits(ceiling=test_timeout),
            fork=fork,
            python=python,
        )
    else:
        examples = example_tests(target.docstring, target.qualname.rsplit(".", 1)[-1])
        checker = (
            ScriptChecker(
                examples,
                prefix=problem.prefix,
                suffix=problem.suffix,
                timeout=test_timeout,  # a completion has no original to time: each test gets the ceiling
                project_dir=str(root),
            )
            if examples
            else None
        )
        described = f"{len(examples)} docstring example(s)" if examples else "no tests (parse + confidence)"
    return FileTask(target, file_text, file_path, root, problem, checker, described, span)
