"""Batch runner, executed inside the sandbox: test candidates one after another, one JSON line each.

Usage: ``python -S -I _batch_runner.py TASKS.json RESULTS.jsonl START TIMEOUT fork|inline``.
TASKS.json holds ``{"candidates": [{"code", "test", "timeout"?}], "sys_path": [...], "preload": [...],
"after_timeout"?}``: a candidate's own ``timeout`` replaces TIMEOUT; once a candidate times out, the
later ones with the same ``code`` get at most ``after_timeout`` seconds. Each result line is
``{"i", "status", "exc_type", "message", "line", "frames", "seconds"}``, written and flushed as
soon as the candidate ends, so the parent keeps them if this process dies later.

This file is copied into the sandbox and run there with the standard library only: it does not
import coderemask and does not know how it is contained (the parent sets the limits).
"""

from __future__ import annotations

import builtins
import ctypes
import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

MESSAGE_CHARS = 2000
KILL_GRACE = 0.5  # seconds a forked candidate gets after its alarm to report where it hung
_FILES = ("<candidate>", "<test>")


class CandidateTimeout(BaseException):
    """Raised by the alarm in inline mode; BaseException so ``except Exception`` misses it."""


class _Null:
    """A text stream that drops everything (candidate prints go nowhere)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _failure(status: str, exc: BaseException) -> dict[str, Any]:
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__) if f.filename in _FILES]
    if isinstance(exc, SyntaxError) and exc.filename in _FILES:
        frames.append((exc.filename, exc.lineno or 0))
    code_lines = [line for name, line in frames if name == "<candidate>"]
    if isinstance(exc, CandidateTimeout):
        status = "timeout"
    elif isinstance(exc, MemoryError):
        status = "memory"
    try:
        message = str(exc)[:MESSAGE_CHARS]
    except BaseException:  # noqa: BLE001 - a candidate's exception with a broken __str__
        message = "<unprintable>"
    return {
        "status": status,
        "exc_type": type(exc).__name__,
        "message": message,
        "line": code_lines[-1] if code_lines else None,
        "frames": frames,
    }


class _LineTracer:
    """Lines of ``<candidate>`` run while the test runs (the candidate's per-test coverage)."""

    def __init__(self) -> None:
        self.lines: set[int] = set()

    def __call__(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != "<candidate>":
            return None
        if event == "line":
            self.lines.add(frame.f_lineno)
        return self

    def __enter__(self) -> "_LineTracer":
        sys.settrace(self)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)


def execute(task: dict[str, str]) -> dict[str, Any]:
    """Run ``code`` then ``test`` in one fresh namespace; any exception becomes the result.

    ``lines``: the candidate lines the test ran (empty when the code itself failed to run).
    """
    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    tracer = _LineTracer()
    for source, filename, status in ((task["code"], "<candidate>", "error"), (task["test"], "<test>", "failed")):
        try:
            if filename == "<test>":
                with tracer:
                    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the point of the runner
            else:
                exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - every failure is a result
            return {**_failure(status, exc), "lines": sorted(tracer.lines)}
    return {
        "status": "passed",
        "exc_type": None,
        "message": "",
        "line": None,
        "frames": [],
        "lines": sorted(tracer.lines),
    }


def _reap_leftovers() -> None:
    """Kill and reap every child left (we are a subreaper, so orphaned descendants come here)."""
    for _ in range(100):
        children: list[int] = []
        try:
            for tid in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{tid}/children") as fh:
                    children += [int(pid) for pid in fh.read().split()]
        except OSError:
            pass
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reaped = False
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                break
            reaped = True
        if not children and not reaped:
            return
        time.sleep(0.001)


def _guarded(task: dict[str, str]) -> dict[str, Any]:
    """``execute`` with the alarm already armed; stop the alarm before reporting."""
    try:
        return execute(task)
    except CandidateTimeout as exc:  # fired between execute's try blocks
        return _failure("timeout", exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_forked(task: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run one candidate in a forked child with an alarm; kill its group if it does not report."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        return {
            "status": "crashed",
            "exc_type": type(exc).__name__,
            "message": f"cannot fork: {exc}",
            "line": None,
            "frames": [],
        }
    if pid == 0:  # child: never returns
        try:
            os.close(read_fd)
            os.setpgid(0, 0)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            sys.stdout = sys.stderr = _Null()
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            data = json.dumps(_guarded(task)).encode()
            while data:
                data = data[os.write(write_fd, data) :]
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    deadline = time.monotonic() + timeout + KILL_GRACE
    chunks: list[bytes] = []
    timed_out = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([read_fd], [], [], remaining)[0]:
            timed_out = True
            break
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    _, wait_status = os.waitpid(pid, 0)
    try:
        os.killpg(pid, signal.SIGKILL)  # grandchildren still in its group
    except OSError:
        pass
    _reap_leftovers()
    if timed_out:
        return {
            "status": "timeout",
            "exc_type": None,
            "message": f"no result after {timeout} s",
            "line": None,
            "frames": [],
        }
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        if os.WIFSIGNALED(wait_status):
            how = f"killed by {signal.Signals(os.WTERMSIG(wait_status)).name}"
        else:
            how = f"exit code {os.waitstatus_to_exitcode(wait_status)}"
        return {
            "status": "crashed",
            "exc_type": None,
            "message": f"candidate process {how}",
            "line": None,
            "frames": [],
        }


def _on_alarm(signum: int, frame: object) -> None:
    raise CandidateTimeout("candidate ran out of time")


def run_inline(task: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run one candidate in this process, with an alarm and stdout/stderr silenced."""
    saved = (sys.stdout, sys.stderr, sys.getrecursionlimit(), os.getcwd())
    signal.signal(signal.SIGALRM, _on_alarm)
    sys.stdout = sys.stderr = _Null()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return _guarded(task)
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        sys.setrecursionlimit(saved[2])
        os.chdir(saved[3])
        _reap_leftovers()


def main(argv: list[str]) -> int:
    tasks_path, results_path, start, timeout, mode = argv[1], argv[2], int(argv[3]), float(argv[4]), argv[5]
    with open(tasks_path, encoding="utf-8") as fh:
        tasks = json.load(fh)
    sys.path[:0] = tasks.get("sys_path", [])
    for module in tasks.get("preload", []):  # imported once here, not once per forked child
        try:
            __import__(module)
        except BaseException:  # noqa: BLE001, S110 - a missing module only costs speed
            pass
    try:  # orphaned descendants of candidates re-parent to us, so we can reap them
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    run_one = run_forked if mode == "fork" else run_inline
    after_timeout = tasks.get("after_timeout")
    hung: set[str] = set()  # codes that timed out (in this runner)
    os.write(1, b"coderemask-runner: ready\n")
    with open(results_path, "a", encoding="utf-8") as out:
        for i in range(start, len(tasks["candidates"])):
            task = tasks["candidates"][i]
            seconds = float(task.get("timeout") or timeout)
            if after_timeout and task["code"] in hung:
                seconds = min(seconds, float(after_timeout))
            began = time.perf_counter()
            result = run_one(task, seconds)
            if result["status"] == "timeout":
                hung.add(task["code"])
            result["i"] = i
            result["seconds"] = round(time.perf_counter() - began, 6)
            out.write(json.dumps(result) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
