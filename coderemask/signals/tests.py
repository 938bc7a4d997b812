"""Test signal: run a project's pytest tests on a candidate, in the sandbox, and read what failed.

``run_tests`` copies the project into a sandbox workspace (overlaying the candidate's files),
runs ``python -m pytest`` there with a small plugin (``_pytest_plugin.py``) and returns a
``TestRun``: per test the outcome, exception type and message, traceback frames (marked when
inside the target file and line range) and the target lines it covered. Collection errors,
import errors, timeouts and crashes are values (``TestRun.status``), never exceptions.

The project's own pytest config (ini/pyproject/conftest, rootdir = the copy) is respected;
``--continue-on-collection-errors`` is added so one broken test module does not hide the rest.

This module does not know models, tokens or how evidence is scored (see ``localize``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from coderemask.signals.sandbox import SYSTEM_PATH, JsonLinesTail, Limits, SandboxResult, Workspace, ignored_names, run

Outcome = Literal["passed", "failed", "error", "skipped"]
RunStatus = Literal["ok", "collection_error", "no_tests", "timeout", "crashed", "error"]

AFTER_HANG_TIMEOUT = 1.0
"""Seconds a test without a limit of its own may run once another test of the same run hung
(was stopped by its limit): the original of a hanging bug then costs one ``test_timeout`` and
this much per further hanging test, not ``test_timeout`` each (six hanging tests: 15 s, not
60 s). A test slower than this that runs after a hang is recorded as hanging on the original."""

PLUGIN = "_coderemask_pytest_plugin"
_PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "--continue-on-collection-errors", "--tb=short")

PRUNABLE_PLUGINS: dict[str, tuple[str, ...]] = {
    # pytest11 entry-point name of a plugin that is slow to import (seen here: hypothesis adds
    # ~1 s to every run) -> words whose presence in a project's tests or config shows it may be
    # used. A project that mentions none of them runs with ``-p no:NAME``. Plugins not listed
    # here (pytest-mock's ``mocker`` and the like) always load.
    "hypothesispytest": ("hypothesis",),
    "benchmark": ("benchmark",),
    "anyio": ("anyio",),
}
_CONFIG_FILES = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini")
_SCAN_BYTES = 20_000_000  # a project with more test text than this keeps every plugin


@dataclass(frozen=True)
class Frame:
    """One traceback frame; ``file`` is relative to the project when inside it."""

    file: str
    line: int
    function: str
    in_target: bool


@dataclass(frozen=True)
class TestOutcome:
    """One test's result. ``covered_lines``: target lines it ran (within ``target_lines``)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: Outcome
    exc_type: str | None = None
    message: str = ""
    frames: tuple[Frame, ...] = ()
    covered_lines: frozenset[int] = frozenset()
    duration: float = 0.0
    covered_at: frozenset[tuple[str, int]] = frozenset()  # run_suite: (file, line) over the project

    @property
    def target_frames(self) -> tuple[Frame, ...]:
        return tuple(f for f in self.frames if f.in_target)


@dataclass(frozen=True)
class CollectError:
    """A test module (or other collector) that failed to collect: import or syntax error."""

    nodeid: str
    exc_type: str | None
    message: str
    frames: tuple[Frame, ...] = ()


@dataclass(frozen=True)
class TestRun:
    """Everything one pytest run said.

    ``status``: ``ok`` (pytest ran its tests; see ``tests``), ``collection_error`` (some module
    did not import; tests that did are still in ``tests``), ``no_tests``, ``timeout`` (the wall
    limit; the running test is an ``error`` with ``exc_type="Timeout"``), ``crashed`` (the
    process died; likewise ``"Crash"``), ``error`` (pytest refused: bad test id, bad config).
    """

    __test__ = False

    status: RunStatus
    tests: tuple[TestOutcome, ...]
    collect_errors: tuple[CollectError, ...] = ()
    message: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    target_file: str = ""
    target_lines: tuple[int, int] | None = None
    warnings: tuple[str, ...] = ()
    sandbox: SandboxResult | None = field(default=None, repr=False, compare=False)

    @property
    def failing(self) -> list[TestOutcome]:
        """Tests that failed or errored (including one cut off by a timeout or crash)."""
        return [t for t in self.tests if t.outcome in ("failed", "error")]

    @property
    def passing(self) -> list[TestOutcome]:
        return [t for t in self.tests if t.outcome == "passed"]

    @property
    def all_passed(self) -> bool:
        """True when pytest ran cleanly, something passed and nothing failed."""
        return self.status == "ok" and bool(self.passing) and not self.failing


def _frames(raw: Any) -> tuple[Frame, ...]:
    try:
        return tuple(Frame(str(f[0]), int(f[1]), str(f[2]), bool(f[3])) for f in raw or ())
    except (TypeError, ValueError, IndexError):
        return ()


def read_records(path: Path) -> list[dict[str, Any]]:
    """The plugin's JSON lines; a torn last line (the process died mid-write) is dropped."""
    return JsonLinesTail(path).read_new()


def _outcome(record: Mapping[str, Any]) -> TestOutcome:
    outcome = record.get("outcome")
    raw_lines = record.get("lines") or ()
    pairs = [x for x in raw_lines if isinstance(x, list) and len(x) == 2]
    return TestOutcome(
        nodeid=str(record.get("nodeid")),
        outcome=outcome if outcome in ("passed", "failed", "error", "skipped") else "error",
        exc_type=record.get("exc_type") if isinstance(record.get("exc_type"), str) else None,
        message=str(record.get("message") or ""),
        frames=_frames(record.get("frames")),
        covered_lines=frozenset(int(n) for n in raw_lines if isinstance(n, int)),
        duration=float(record.get("duration") or 0.0),
        covered_at=frozenset((str(f), int(n)) for f, n in pairs),
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _pytest_error(sandbox: SandboxResult, copy: str) -> str:
    """The line where pytest says why it refused (``ERROR: not found: ...``), paths relative."""
    text = (sandbox.stdout + "\n" + sandbox.stderr).replace(copy + os.sep, "")
    for line in text.splitlines():
        if line.startswith(("ERROR:", "ERROR ", "INTERNALERROR>", "pytest: error:")):
            return line.strip()
    return _last_line(text) or sandbox.message


def _collect_message(errors: Sequence[CollectError]) -> str:
    return f"{len(errors)} collection error(s): " + "; ".join(
        f"{e.nodeid}: {e.exc_type}: {_last_line(e.message)}" for e in errors[:3]
    )


@dataclass
class RecordLog:
    """The record plugin's lines sorted by kind: finished tests, tests started, collection errors,
    the session line (None when pytest did not finish), the tests collected (None: collection
    did not finish), what is known of a test that ended the interpreter, and any other kinds."""

    tests: dict[str, TestOutcome] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    errors: list[CollectError] = field(default_factory=list)
    session: dict[str, Any] | None = None
    other: list[dict[str, Any]] = field(default_factory=list)
    collected: list[str] | None = None
    partial: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[Mapping[str, Any]]) -> RecordLog:
        log = cls()
        for record in records:
            kind = record.get("kind")
            if kind == "start":
                log.started.append(str(record.get("nodeid")))
            elif kind == "test":
                log.tests[str(record.get("nodeid"))] = _outcome(record)
            elif kind == "collect_error":
                log.errors.append(
                    CollectError(
                        str(record.get("nodeid")),
                        record.get("exc_type"),
                        str(record.get("message") or ""),
                        _frames(record.get("frames")),
                    )
                )
            elif kind == "session":
                log.session = dict(record)
            elif kind == "collected":
                log.collected = [str(n) for n in record.get("nodeids") or ()]
            elif kind == "partial":
                log.partial[str(record.get("nodeid"))] = dict(record)
            else:
                log.other.append(dict(record))
        return log

    def blame_running(self, exc_type: str, message: str, frames: Sequence[Frame] = ()) -> str | None:
        """The test that started but never finished gets an ``error`` of ``exc_type``; returns it.

        What the plugin recorded of it (``os._exit``: frames and lines so far) is kept; else
        ``frames`` (from a fatal error's dump) are its frames, and those in the target its lines.
        """
        running = next((n for n in reversed(self.started) if n not in self.tests), None)
        if running is None:
            return None
        known = self.partial.get(running)
        if known is not None:
            self.tests[running] = _outcome({**known, "outcome": "error"})
        else:
            self.tests[running] = TestOutcome(
                running,
                "error",
                exc_type,
                message,
                frames=tuple(frames),
                covered_lines=frozenset(f.line for f in frames if f.in_target),
            )
        return running


def _interpret(
    records: list[dict[str, Any]], sandbox: SandboxResult, copy: str, crash_frames: Sequence[Frame] = ()
) -> TestRun:
    """Turn plugin records plus the sandbox's verdict into a TestRun (without target fields).

    ``copy`` is the project copy's path, cut from messages so they name the user's paths;
    ``crash_frames``: where a fatal error or a hang left the test that was running.
    """
    log = RecordLog.of(records)
    tests, started, errors, session = log.tests, log.started, log.errors, log.session
    warnings: list[str] = []
    if session is not None:
        if not session.get("target_imported"):
            warnings.append("the target file was never imported by the tests")
        if session.get("original_imports"):
            warnings.append(
                "modules were imported from the original project, not the copy: "
                + ", ".join(session["original_imports"][:5])
            )
    status: RunStatus
    code = sandbox.returncode
    if session is None or sandbox.status in ("timeout", "output_limit"):
        # pytest did not finish: the test that was running gets the blame
        died = sandbox.status in ("crashed", "memory", "cpu_limit", "output_limit")
        blame: str | None = None  # exc_type given to the test that was running
        if sandbox.status == "timeout":
            status, blame, message = "timeout", "Timeout", "the run hit the wall-time limit"
        elif errors and not started and not died:  # pytest stopped at a broken conftest.py
            status, message = "collection_error", _collect_message(errors)
        elif not started and not died:  # pytest refused: bad test id, bad option or config
            status, message = "error", _pytest_error(sandbox, copy)
        else:
            status, blame = "crashed", "Crash"
            message = f"pytest did not finish: {sandbox.message}. {_last_line(sandbox.stderr)}".strip()
        if blame is not None:
            log.blame_running(blame, message, crash_frames)
    else:
        code = int(session.get("exitstatus", code if code is not None else 3))
        if code in (3, 4):
            status, message = "error", _pytest_error(sandbox, copy)
        elif errors:
            status, message = "collection_error", _collect_message(errors)
        elif code == 5 or not tests:
            status, message = "no_tests", "no tests were collected"
        else:
            failing = sum(t.outcome in ("failed", "error") for t in tests.values())
            status, message = "ok", f"{len(tests) - failing} passed or skipped, {failing} failed"
    return TestRun(
        status=status,
        tests=tuple(tests.values()),
        collect_errors=tuple(errors),
        message=message,
        exit_code=code,
        seconds=sandbox.seconds,
        warnings=tuple(warnings),
        sandbox=sandbox,
    )


def _inside(project: Path, path: str | os.PathLike[str]) -> str | None:
    """``path`` relative to ``project`` (POSIX), or None when it points outside."""
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else project / candidate).resolve()
    try:
        return resolved.relative_to(project).as_posix()
    except ValueError:
        return None


def _bad_input(project: Path, target: str | None, tests: Sequence[str], overlay: Mapping[str, str]) -> str | None:
    """Why these arguments cannot run, or None. (Values, so the CLI can print them.)"""
    if not project.is_dir():
        return f"project folder {project} does not exist"
    if target is None:
        return "the target file is outside the project folder"
    if target not in overlay and not (project / target).is_file():
        return f"target file {target} is not in {project}"
    for test in tests:
        if test.startswith("-"):
            return f"test id {test!r} looks like an option; test ids must not start with '-'"
        if _inside(project, test.split("::")[0]) is None:
            return f"test id {test!r} is outside the project folder"
    return None


def _mentions(texts: Iterable[str]) -> frozenset[str]:
    """The PRUNABLE_PLUGINS names that some text mentions."""
    blob = "\n".join(texts)
    return frozenset(name for name, words in PRUNABLE_PLUGINS.items() if any(w in blob for w in words))


_DISK_MENTIONS: dict[tuple[Path, tuple], frozenset[str]] = {}  # (project, files' stats) -> mentions


def unused_plugins(project: Path, overlay: Mapping[str, str] | None = None) -> list[str]:
    """Names in PRUNABLE_PLUGINS that no test module, conftest.py or pytest config mentions.

    The files on disk are read once per project and state (path, mtime, size): the repair loop
    asks for every candidate it tests.
    """
    overlay = overlay or {}
    files: list[tuple[str, Path]] = []
    for directory, dirs, names in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in ignored_names(directory, dirs))  # the copy's rule
        for name in sorted(names):
            if name.endswith(".py") and (
                name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            ):
                files.append((Path(directory, name).relative_to(project).as_posix(), Path(directory, name)))
    files += [(name, project / name) for name in _CONFIG_FILES if (project / name).is_file()]
    on_disk = []
    for rel, path in files:
        if rel in overlay:
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        on_disk.append((rel, path, st.st_mtime_ns, st.st_size))
    if sum(size for *_, size in on_disk) > _SCAN_BYTES:
        return []  # too much to scan: keep every plugin
    key = (project, tuple((rel, mtime, size) for rel, _, mtime, size in on_disk))
    if key not in _DISK_MENTIONS:
        texts = []
        for _, path, _, _ in on_disk:
            try:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
        _DISK_MENTIONS[key] = _mentions(texts)
    mentioned = _DISK_MENTIONS[key] | _mentions(overlay.values())
    return [name for name in PRUNABLE_PLUGINS if name not in mentioned]


def run_tests(
    project_dir: str | os.PathLike[str],
    *,
    target_file: str | os.PathLike[str],
    tests: Sequence[str] | None = None,
    target_lines: tuple[int, int] | None = None,
    overlay: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    test_timeout: float | None = 10.0,
    limits: Limits | None = None,
    extra_args: Sequence[str] = (),
    coverage: bool = True,
    plugin_autoload: bool = True,
    test_timeouts: Mapping[str, float] | None = None,
    python: str | None = None,
) -> TestRun:
    """Run pytest on a sandboxed copy of ``project_dir`` with ``overlay`` files replaced.

    ``target_file`` (relative to the project, or absolute inside it) and ``target_lines``
    (inclusive, 1-based) say where the candidate lives: frames there are marked and per-test
    coverage is kept for it. ``tests``: node ids or paths relative to the project (None: the
    project's default test discovery). ``timeout`` bounds the whole run; ``test_timeout`` each
    test's call (None: no per-test limit) and ``test_timeouts`` (node id -> seconds) some tests'
    calls their own. ``coverage=False`` skips the per-test line tracer.
    ``plugin_autoload=False`` sets PYTEST_DISABLE_PLUGIN_AUTOLOAD: much faster where heavy
    plugins are installed (here 0.5 s instead of 2-4 s per run), but tests that need a plugin
    (pytest-asyncio, pytest-benchmark fixtures...) then fail. With autoload on, the slow plugins
    of PRUNABLE_PLUGINS that the project never mentions are still left out. ``python``: the
    interpreter that runs pytest (default: this one; see ``coderemask.interpreter``). Never
    raises for anything the code under test does.
    """
    project = Path(project_dir).resolve()
    target = _inside(project, target_file)
    overlay = {(_inside(project, k) or k): v for k, v in (overlay or {}).items()}
    problem = _bad_input(project, target, tests or (), overlay)
    if problem is not None:
        return TestRun("error", (), message=problem, target_file=str(target_file), target_lines=target_lines)
    assert target is not None
    run = _pytest(
        project,
        overlay,
        tests,
        {"target": target, "lines": list(target_lines) if target_lines else None},
        timeout=timeout,
        test_timeout=test_timeout,
        limits=limits,
        extra_args=extra_args,
        coverage=coverage,
        plugin_autoload=plugin_autoload,
        test_timeouts=test_timeouts,
        python=python,
    )
    return replace(run, target_file=target, target_lines=target_lines)


def run_suite(
    project_dir: str | os.PathLike[str],
    *,
    tests: Sequence[str] | None = None,
    overlay: Mapping[str, str] | None = None,
    timeout: float = 300.0,
    test_timeout: float | None = 30.0,
    limits: Limits | None = None,
    extra_args: Sequence[str] = (),
    coverage: bool = True,
    plugin_autoload: bool = True,
    python: str | None = None,
) -> TestRun:
    """Run a project's pytest suite (or ``tests``) on a sandboxed copy, with per-test coverage of
    every source file of the project (``TestOutcome.covered_at``: (file, line) pairs; test
    modules, conftest.py and test folders are not source). Frames in source files are marked
    ``in_target``. Same values-not-exceptions contract (and ``python``) as ``run_tests``."""
    project = Path(project_dir).resolve()
    overlay = {(_inside(project, k) or k): v for k, v in (overlay or {}).items()}
    problem = _bad_input(project, "", tests or (), {"": ""})
    if problem is not None:
        return TestRun("error", (), message=problem)
    return _pytest(
        project,
        overlay,
        tests,
        {"scope": "project"},
        timeout=timeout,
        test_timeout=test_timeout,
        limits=limits,
        extra_args=extra_args,
        coverage=coverage,
        plugin_autoload=plugin_autoload,
        python=python,
    )


def _pytest(
    project: Path,
    overlay: Mapping[str, str],
    tests: Sequence[str] | None,
    scope: dict[str, Any],
    *,
    timeout: float,
    test_timeout: float | None,
    limits: Limits | None,
    extra_args: Sequence[str],
    coverage: bool,
    plugin_autoload: bool,
    test_timeouts: Mapping[str, float] | None = None,
    python: str | None = None,
) -> TestRun:
    """Sandboxed pytest runs with the plugin; ``scope`` holds the plugin's target settings.

    A test that ends the interpreter (``os._exit``, a segfault) or that a watchdog stops (it
    swallowed its time limit) is recorded as an ``error`` (``Crash`` / ``Timeout``, with where
    it died), and the tests not run yet run in a fresh process, within the same ``timeout``.
    """
    end = time.monotonic() + timeout
    own = dict(test_timeouts or {})
    parts: list[TestRun] = []
    done: list[str] = []
    while True:
        left = max(end - time.monotonic(), 0.1)
        with Workspace(project, overlay) as ws:
            crash_log = ws.aux / "crash.log"
            launch = prepare_pytest(
                ws,
                project,
                overlay,
                tests,
                scope,
                test_timeout=test_timeout,
                test_timeouts=test_timeouts,
                coverage=coverage,
                plugin_autoload=plugin_autoload,
                extra_args=extra_args,
                settings={"done": done, "crash_log": str(crash_log)},
                python=python,
            )
            watchdog = _Watchdog(
                launch.results, time.monotonic() + left, lambda nodeid: own.get(nodeid, test_timeout or 0.0)
            )
            sandbox = run(
                launch.argv,
                workspace=ws,
                limits=replace(limits or Limits(), wall_seconds=left),
                env=launch.env,
                deadline=watchdog,
            )
            records = read_records(launch.results)
            frames = dumped_frames(
                crash_log.read_text(encoding="utf-8", errors="replace") if crash_log.is_file() else "",
                str(ws.project),
                scope,
            )
            part = _interpret(records, sandbox, str(ws.project), frames)
        parts.append(part)
        collected = RecordLog.of(records).collected
        ran = [t.nodeid for t in part.tests]
        remaining = [n for n in collected or () if n not in ran]
        if part.status not in ("crashed", "timeout") or not remaining or not ran or end - time.monotonic() < 1.0:
            return _merged(parts)
        done += ran


class _Watchdog:
    """The moving deadline of one pytest run: the wall limit ``end`` and, while a test runs, its
    own limit (``limit(nodeid)`` seconds, 0: none) plus an allowance for setup and teardown."""

    def __init__(self, results: Path, end: float, limit: Callable[[str], float]) -> None:
        self.tail, self.end, self.limit = JsonLinesTail(results), end, limit
        self.running: str | None = None
        self.since = 0.0

    def __call__(self) -> float:
        for record in self.tail.read_new():
            if record.get("kind") == "start":
                self.running, self.since = str(record.get("nodeid")), time.monotonic()
            elif record.get("kind") == "test":
                self.running = None
        limit = self.limit(self.running) if self.running is not None else 0.0
        return min(self.end, self.since + limit + max(5.0, limit)) if limit > 0 else self.end


_DUMP_FRAME = re.compile(r'^\s*File "(?P<file>.+)", line (?P<line>\d+) in (?P<name>.+)$')


def dumped_frames(text: str, copy: str, scope: Mapping[str, Any]) -> tuple[Frame, ...]:
    """The last stack ``faulthandler`` wrote in ``text`` (most recent call first) since the last
    test began (the plugin's ``coderemask-test:`` line), outermost first, as frames of the project
    ``copy``; those in the target file's ``scope["lines"]`` are ``in_target`` (project scope: none)."""
    stacks: list[list[tuple[str, int, str]]] = []
    for line in text.splitlines():
        match = _DUMP_FRAME.match(line)
        if line.startswith("coderemask-test:"):
            stacks = []
        elif "most recent call first" in line:
            stacks.append([])
        elif match and stacks:
            stacks[-1].append((match["file"], int(match["line"]), match["name"].strip()))
    frames = []
    lines = scope.get("lines")
    for file, number, name in reversed(stacks[-1] if stacks else []):
        relative = _inside(Path(copy), os.path.realpath(file))
        if relative is None:
            continue
        inside = relative == scope.get("target") and (not lines or lines[0] <= number <= lines[1])
        frames.append(Frame(relative, number, name, inside))
    return tuple(frames)


def _merged(parts: Sequence[TestRun]) -> TestRun:
    """One TestRun of a run resumed after crashes: every part's tests, the last part's status
    (``ok`` when it only ran what was left), and a warning per resumption."""
    last = parts[-1]
    if len(parts) == 1:
        return last
    tests = {t.nodeid: t for part in parts for t in part.tests}
    warnings = [w for part in parts for w in part.warnings]
    warnings += [f"pytest {p.status} ({p.message}); the tests not run yet ran in a fresh process" for p in parts[:-1]]
    status, message = last.status, last.message
    if status in ("ok", "no_tests"):
        failing = sum(t.outcome in ("failed", "error") for t in tests.values())
        status, message = "ok", f"{len(tests) - failing} passed or skipped, {failing} failed"
    return replace(
        last,
        status=status,
        message=message,
        tests=tuple(tests.values()),
        collect_errors=parts[0].collect_errors,
        seconds=sum(p.seconds for p in parts),
        warnings=tuple(dict.fromkeys(warnings)),
    )


@dataclass(frozen=True)
class PytestLaunch:
    """How to start pytest with the record plugin in a prepared workspace."""

    argv: list[str]
    env: dict[str, str]
    results: Path  # the record plugin's JSON lines
    config: dict[str, Any]  # what the plugin reads (paths name the copy)


def prepare_pytest(
    ws: Workspace,
    project: Path,
    overlay: Mapping[str, str],
    tests: Sequence[str] | None,
    scope: Mapping[str, Any],
    *,
    test_timeout: float | None,
    test_timeouts: Mapping[str, float] | None = None,
    coverage: bool = True,
    plugin_autoload: bool = True,
    extra_args: Sequence[str] = (),
    plugins: Sequence[tuple[str, str]] = (),
    helpers: Sequence[tuple[str, str]] = (),
    settings: Mapping[str, Any] | None = None,
    python: str | None = None,
) -> PytestLaunch:
    """Copy the record plugin (and ``plugins``: (helper file, module name), loaded with ``-p``;
    ``helpers``: modules they import) into ``ws.aux``, write the plugin's config (plus
    ``settings``) and build the pytest command line for ``tests``, run by ``python`` (default:
    this interpreter; its folder leads PATH, as in an activated environment)."""
    # absolute test paths inside the project must name the copy, never the original
    in_copy = []
    for test in tests or ():
        path, sep, rest = test.partition("::")
        relative = _inside(project, path)
        if relative is None:  # callers check with _bad_input; a test outside would run the original
            raise ValueError(f"test id {test!r} is outside the project folder {project}")
        in_copy.append(relative + sep + rest)
    tests = in_copy
    ws.add_helper("_pytest_plugin.py").rename(ws.aux / f"{PLUGIN}.py")
    for helper, module in (*plugins, *helpers):
        ws.add_helper(helper).rename(ws.aux / f"{module}.py")
    results = ws.aux / "results.jsonl"
    config = dict(scope)
    if config.get("target"):
        config["target"] = str(ws.project / config["target"])
    config.update(
        {
            "results": str(results),
            "test_timeout": test_timeout or 0,
            "test_timeouts": dict(test_timeouts or {}),
            "after_hang_timeout": AFTER_HANG_TIMEOUT,
            "trace": coverage,
            "project": str(ws.project),
            "original": str(project),
            **(settings or {}),
        }
    )
    config_path = ws.write("config.json", json.dumps(config), base=ws.aux)
    python_path = [str(ws.aux)]
    if (ws.project / "src").is_dir():  # src layout: the copy must win over an editable install
        python_path.append(str(ws.project / "src"))
    pruned = [arg for name in unused_plugins(project, overlay) for arg in ("-p", f"no:{name}")]
    loaded = [arg for _, module in plugins for arg in ("-p", module)]
    interpreter = python or sys.executable
    argv = [
        interpreter,
        "-m",
        "pytest",
        "-p",
        PLUGIN,
        *loaded,
        f"--rootdir={ws.project}",
        *_PYTEST_ARGS,
        *(pruned if plugin_autoload else ()),
        *extra_args,
        *tests,
    ]
    env = {"PYTHONPATH": os.pathsep.join(python_path), "CODEREMASK_TESTS_CONFIG": str(config_path)}
    if python:
        env["PATH"] = os.pathsep.join([os.path.dirname(python), *SYSTEM_PATH.split(os.pathsep)])
    if not plugin_autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return PytestLaunch(argv, env, results, config)
