"""Pytest plugin loaded inside the sandbox (``-p _coderemask_pytest_plugin``): results as JSON lines.

The parent (``coderemask.signals.tests``) copies this file into the sandbox and names a JSON
config in ``CODEREMASK_TESTS_CONFIG``: ``{"results", "target", "lines", "test_timeout",
"test_timeouts", "trace", "project", "original"}``. One line is appended and flushed per event, so a
run that dies keeps what it wrote:

- ``{"kind": "start", "nodeid"}`` before each test;
- ``{"kind": "test", "nodeid", "outcome", "duration", "exc_type", "message", "frames", "lines"}``
  after it: frames are ``[file, line, function, in_target]``, lines the target's covered lines
  (with ``"scope": "project"``: ``[file, line]`` pairs over all the project's source files, and
  ``in_target`` marks frames in those files);
- ``{"kind": "collect_error", "nodeid", "exc_type", "message", "frames"}``;
- ``{"kind": "collected", "nodeids"}`` once collection is through (the tests this run will run);
- ``{"kind": "partial", "nodeid", "exc_type", "message", "frames", "lines"}`` when a test calls
  ``os._exit``: what is known of it before the process ends without a report;
- ``{"kind": "session", "exitstatus", "collected", "target_imported", "original_imports"}``.

Coverage is a ``sys.settrace`` tracer that only follows frames of the target file and only
while a test runs: it keeps per-test lines as each test ends (coverage.py gives the same lines
but only at the end of the session). A test's call phase gets ``test_timeout`` seconds (SIGALRM);
the timeout is raised inside the test, so its traceback shows where it hung. Once a test of
the process ran out of time, tests without a limit of their own get at most
``after_hang_timeout`` (a bug that hangs one test usually hangs the next). ``test_timeouts``
(node id -> seconds) gives some tests limits of their own (calibrated from a baseline run).

A run that died in a test is resumed by the parent in a fresh process: ``done`` (node ids)
deselects the tests already recorded. With ``crash_log`` (a path) fatal errors (a segfault,
``abort``) and a test still running a second after its limit (it swallowed the timeout) dump
their Python stack there (``faulthandler``), so the parent can say where the test died.

Outcomes are read from reports, except that a call phase that raised is never recorded as
passed: a conftest hook that rewrites reports cannot turn a failing candidate into a passing one
(this plugin's innermost ``pytest_runtest_call`` wrapper sees the exception first).

The forked session (``_pytest_session.py``) imports this module and, in each candidate's child,
calls ``begin_candidate`` to send the records to the candidate's own file.

This file runs with the standard library and pytest only; it does not import coderemask.
"""

from __future__ import annotations

import faulthandler
import functools
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Generator
from types import FrameType
from typing import Any, NoReturn

import pytest

MESSAGE_CHARS = 2000
FRAMES_KEPT = 40

with open(os.environ["CODEREMASK_TESTS_CONFIG"], encoding="utf-8") as _fh:
    _config: dict[str, Any] = json.load(_fh)
_out = open(_config["results"], "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
_scope = _config.get("scope") or "target"  # "target": one file; "project": the project's own source
_target = os.path.realpath(_config["target"]) if _config.get("target") else ""
_lines: tuple[int, int] | None = tuple(_config["lines"]) if _config.get("lines") else None
_is_target: dict[str, bool] = {}
_covered: set[Any] = set()  # target scope: line numbers; project scope: (filename, line)
_NOT_SOURCE_DIRS = {"tests", "test", "testing", "site-packages", "dist-packages", "node_modules"}
_reports: dict[str, dict[str, Any]] = {}
_test_timeouts: dict[str, float] = {str(k): float(v) for k, v in (_config.get("test_timeouts") or {}).items()}
_raised: dict[str, BaseException] = {}  # node id -> what its call phase raised (this plugin's own record)
_finished: dict[str, dict[str, Any]] = {}  # node id -> its record
_hung_once = False  # a test of this process ran out of time: the rest get ``after_hang_timeout``
_running: str | None = None  # the node id of the test in progress
_real_exit = os._exit
_crash_log = open(_config["crash_log"], "a", encoding="utf-8") if _config.get("crash_log") else None  # noqa: SIM115


class TimeLimitExceeded(BaseException):
    """Raised in a test that runs past ``test_timeout``; BaseException so tests cannot swallow it."""


def _emit(record: dict[str, Any]) -> None:
    _out.write(json.dumps(record) + "\n")
    _out.flush()


def begin_candidate(results: str, lines: list[int] | None) -> None:
    """In a forked child of the session: write records to ``results``, cover ``lines``."""
    global _out, _lines, _hung_once
    _out = open(results, "a", encoding="utf-8")  # noqa: SIM115 - open for the child's life
    _lines = tuple(lines) if lines else None  # type: ignore[assignment]
    _hung_once = False
    _reports.clear()
    _raised.clear()
    _finished.clear()
    _covered.clear()


@functools.lru_cache(maxsize=None)
def _realpath(filename: str) -> str:
    return os.path.realpath(filename)


def warm_caches() -> None:
    """Resolve the paths of every loaded module now (a forked session calls this once, so its
    children do not each pay for it when they format tracebacks)."""
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str):
            _in_target(filename)
            _relative(filename)


def last_outcome(nodeid: str) -> str | None:
    """The outcome recorded for ``nodeid`` in this process (None: not finished)."""
    record = _finished.get(nodeid)
    return record["outcome"] if record else None


def timed_out(nodeid: str) -> bool:
    """Whether ``nodeid`` was stopped by its time limit in this process."""
    record = _finished.get(nodeid)
    return record is not None and record.get("exc_type") == TimeLimitExceeded.__name__


def _is_project_source(path: str) -> bool:
    """A file of the project copy that is code under test: not a test module, conftest.py,
    a test folder, a hidden folder or an environment inside the project."""
    project = _config["project"]
    if not path.startswith(project + os.sep) or not path.endswith(".py"):
        return False
    parts = path[len(project) + 1 :].split(os.sep)
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return False
    return not any(p in _NOT_SOURCE_DIRS or p.startswith(".") for p in parts[:-1])


def _in_target(filename: str) -> bool:
    known = _is_target.get(filename)
    if known is None:
        path = _realpath(filename)
        known = _is_project_source(path) if _scope == "project" else path == _target
        _is_target[filename] = known
    return known


def _trace_lines(frame: FrameType, event: str, arg: object) -> Any:
    if event == "line":
        _covered.add(frame.f_lineno)
    return _trace_lines


def _trace_project_lines(frame: FrameType, event: str, arg: object) -> Any:
    if event == "line":
        _covered.add((frame.f_code.co_filename, frame.f_lineno))
    return _trace_project_lines


def _trace_calls(frame: FrameType, event: str, arg: object) -> Any:
    if not _in_target(frame.f_code.co_filename):
        return None
    return _trace_project_lines if _scope == "project" else _trace_lines


def _tracing(on: bool) -> None:
    if not _config.get("trace", True):
        return
    tracer = _trace_calls if on else None
    threading.settrace(tracer)
    sys.settrace(tracer)


def _relative(filename: str) -> str | None:
    """Path relative to the project copy, or None for frames outside it (pytest, stdlib...)."""
    path = _realpath(filename)
    project = _config["project"]
    return os.path.relpath(path, project) if path.startswith(project + os.sep) else None


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost chained exception (pytest wraps import errors in CollectError)."""
    seen = {id(exc)}
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(nxt))
        exc = nxt


def _frames(exc: BaseException) -> list[list[Any]]:
    """Frames inside the project copy, outermost first, marked when inside the target range."""
    summary = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    raw = [(f.filename, f.lineno or 0, f.name) for f in summary]
    if isinstance(exc, SyntaxError) and exc.filename:
        raw.append((exc.filename, exc.lineno or 0, "<module>"))
    return _project_frames(raw)


def _project_frames(raw: list[tuple[str, int, str]]) -> list[list[Any]]:
    """(file, line, function) frames, outermost first -> those inside the project copy, marked."""
    frames = []
    for filename, line, name in raw:
        relative = _relative(filename)
        if relative is not None:
            frames.append([relative, line, name, _mark(filename, line)])
    return frames[-FRAMES_KEPT:]


def _mark(filename: str, line: int | None) -> bool:
    if not _in_target(filename):
        return False
    return _lines is None or (line is not None and _lines[0] <= line <= _lines[1])


def _describe(excinfo: pytest.ExceptionInfo[BaseException]) -> dict[str, Any]:
    exc = _root_cause(excinfo.value)
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - an exception with a broken __str__
        message = "<unprintable>"
    message = message.replace(_config["project"] + os.sep, "")  # paths as the user knows them
    return {"exc_type": type(exc).__name__, "message": message[:MESSAGE_CHARS], "frames": _frames(exc)}


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: object, args: list[str]
) -> Generator[None, object, object]:
    """A conftest.py that fails to import (it may import the target) is a collection error."""
    try:
        return (yield)
    except BaseException as exc:
        path = getattr(exc, "path", None)
        nodeid = (_relative(str(path)) or str(path)) if path else "conftest.py"
        _emit({"kind": "collect_error", "nodeid": nodeid, **_describe(pytest.ExceptionInfo.from_exception(exc))})
        raise


def _exit_with_a_record(status: int) -> NoReturn:
    """``os._exit`` while a test runs: record the test as crashed (frames, lines so far) first."""
    if _running is not None:
        stack = traceback.extract_stack(sys._getframe(1), limit=200)
        _emit(
            {
                "kind": "partial",
                "nodeid": _running,
                "exc_type": "Crash",
                "message": f"the test ended the interpreter: os._exit({status})",
                "frames": _project_frames([(f.filename, f.lineno or 0, f.name) for f in stack]),
                "lines": _covered_record(),
            }
        )
    _real_exit(status)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Fatal errors dump to the crash log (after pytest's own faulthandler plugin chose stderr)."""
    if _crash_log is not None:
        faulthandler.enable(file=_crash_log, all_threads=False)


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    global _running
    _covered.clear()
    _running = nodeid
    os._exit = _exit_with_a_record
    if _crash_log is not None:  # a later dump belongs to this test
        _crash_log.write(f"coderemask-test: {nodeid}\n")
        _crash_log.flush()
    _emit({"kind": "start", "nodeid": nodeid})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests a run that died already recorded (``done``)."""
    done = set(_config.get("done") or ())
    if done:
        dropped = [item for item in items if item.nodeid in done]
        items[:] = [item for item in items if item.nodeid not in done]
        config.hook.pytest_deselected(items=dropped)


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit({"kind": "collected", "nodeids": [item.nodeid for item in session.items]})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    _tracing(True)
    try:
        return (yield)
    finally:
        _tracing(False)


def _alarm(seconds: float) -> Any:
    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"test ran longer than {seconds:g} s")

    return on_alarm


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    global _hung_once
    timeout = _test_timeouts.get(item.nodeid, float(_config.get("test_timeout") or 0))
    after_hang = float(_config.get("after_hang_timeout") or 0)
    if _hung_once and after_hang > 0 and item.nodeid not in _test_timeouts:
        timeout = min(timeout, after_hang) if timeout > 0 else after_hang
    if timeout > 0:
        signal.signal(signal.SIGALRM, _alarm(timeout))
        signal.setitimer(signal.ITIMER_REAL, timeout)
        if _crash_log is not None:  # a test that swallows the timeout: say where it hangs
            faulthandler.dump_traceback_later(timeout + 1.0, file=_crash_log)
    _tracing(True)
    try:
        return (yield)
    except BaseException as exc:
        _raised[item.nodeid] = exc
        _hung_once = _hung_once or isinstance(exc, TimeLimitExceeded)
        raise
    finally:
        _tracing(False)
        if timeout > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if _crash_log is not None:
                faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    _tracing(True)
    try:
        return (yield)
    finally:
        _tracing(False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    record = _reports.setdefault(
        item.nodeid, {"outcome": "passed", "duration": 0.0, "exc_type": None, "message": "", "frames": []}
    )
    record["duration"] += report.duration
    raised = _raised.get(item.nodeid) if call.when == "call" else None
    if report.passed and raised is not None and not isinstance(raised, pytest.skip.Exception):
        # a report that says "passed" for a call that raised was rewritten by some hook
        record.update(outcome="failed", **_describe(pytest.ExceptionInfo.from_exception(raised)))
        return report
    if report.skipped and record["outcome"] == "passed":
        record["outcome"] = "skipped"
        if call.excinfo is not None:
            record["message"] = str(call.excinfo.value)[:MESSAGE_CHARS]
    elif report.failed and record["outcome"] in ("passed", "skipped"):
        record["outcome"] = "failed" if report.when == "call" else "error"
        if call.excinfo is not None:
            record.update(_describe(call.excinfo))
            if type(call.excinfo.value).__module__.startswith(("_pytest", "pytest")):
                # pytest's own errors (fixture lookup...) say more in the report than in str()
                text = report.longreprtext.replace(_config["project"] + os.sep, "")
                record["message"] = text[:MESSAGE_CHARS] or record["message"]  # empty under --tb=no
    return report


def _covered_record() -> list[Any]:
    """The running test's covered lines as its record holds them."""
    if _scope == "project":  # [relative file, line] pairs
        return sorted({(_relative(f) or f, n) for f, n in _covered})
    lines = sorted(_covered)
    return [n for n in lines if _lines[0] <= n <= _lines[1]] if _lines is not None else lines


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    global _running
    record = _reports.pop(
        nodeid, {"outcome": "error", "duration": 0.0, "exc_type": None, "message": "no report", "frames": []}
    )
    _running = None
    os._exit = _real_exit
    _finished[nodeid] = record
    _emit({"kind": "test", "nodeid": nodeid, **record, "lines": _covered_record()})


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    if report.failed:
        longrepr = str(report.longrepr).replace(_config["project"] + os.sep, "")
        record: dict[str, Any] = {"exc_type": None, "message": longrepr[-MESSAGE_CHARS:], "frames": []}
        call = report.__dict__.get("call")  # pytest stashes the CallInfo here for a moment
        if call is not None and call.excinfo is not None:
            record.update(_describe(call.excinfo))
        _emit({"kind": "collect_error", "nodeid": report.nodeid, **record})
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    original = _config.get("original") or ""
    loaded = [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
    real = [os.path.realpath(f) for f in loaded if f]
    _emit(
        {
            "kind": "session",
            "exitstatus": int(exitstatus),
            "collected": session.testscollected,
            "target_imported": _scope == "project" or _target in real,
            "original_imports": sorted(f for f in real if original and f.startswith(original + os.sep))[:20],
        }
    )
