"""Forked pytest session, loaded inside the sandbox (``-p _coderemask_pytest_session``).

pytest starts once: it imports the project and collects the chosen tests. Then, instead of
running them, ``pytest_runtestloop`` takes the candidates of ``session.tasks`` (a JSON file named
in the config's ``"session"`` entry) one after another. For each candidate it writes the
candidate's file text over the target file and forks a child. The child

1. swaps the target function's ``__code__`` for the candidate's (compiled from the candidate's
   whole file, so line numbers, tracebacks and coverage name the real file), in every module
   object loaded from the target file; a test module that did ``from m import f`` holds the
   same function object, so it sees the candidate too (when no module was loaded from the file
   at collection, the tests import the candidate's file from disk: nothing to swap);
2. runs phase 1 (the tests that fail on the original) through pytest's own runtest protocol;
   with ``stop_early`` it stops at the first one that hits its time limit (a hang costs one
   limit, not one per test); phase 2 (the other tests, for regressions) runs only when every
   phase-1 test passed;
3. writes the record plugin's JSON lines to ``cand-K.jsonl`` and exits with ``os._exit``.

The parent (this process) waits for the child with a deadline of the sum of its tests' limits
plus a grace, kills its process group past it, and appends one line per candidate to the
session file: ``{"kind": "candidate", "k", "status": "ok" | "timeout" | "crashed" |
"no_swap", "message", "seconds"}``. Children share no memory with each other (each is a fresh
fork of the collected session); the test's own call-phase alarm (the record plugin's) stops most
hangs earlier, inside the test, where the traceback shows the loop.

Before the first candidate it writes ``{"kind": "ready", "fork": bool, "reason", "collected"}``:
``fork`` is false when forking cannot keep the session's state (a conftest started threads)
or a requested test was not collected; then no candidate runs and the caller falls back to
one process per candidate.

This file runs with the standard library and pytest only; it does not import coderemask.
"""

from __future__ import annotations

import gc
import json
import linecache
import os
import select
import signal
import sys
import tempfile
import threading
import time
import traceback
import types
from typing import Any

import _coderemask_pytest_plugin as records
import pytest
from _coderemask_swap import find_code

with open(os.environ["CODEREMASK_TESTS_CONFIG"], encoding="utf-8") as _fh:
    _config: dict[str, Any] = json.load(_fh)
_NO_SWAP = 3  # a child's exit code: the candidate could not be put in place


def _emit(out: Any, record: dict[str, Any]) -> None:
    out.write(json.dumps(record) + "\n")
    out.flush()


def _unwrap(obj: Any, name: str) -> types.FunctionType | None:
    """The plain function behind ``obj`` (property, static/class method, functools.wraps)."""
    for _ in range(20):
        if isinstance(obj, types.FunctionType) and obj.__code__.co_name == name:
            return obj
        if isinstance(obj, property):
            obj = obj.fget
        elif isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        elif hasattr(obj, "__wrapped__"):
            obj = obj.__wrapped__
        else:
            return None
    return None


def _functions(target: str, qualname: str) -> list[types.FunctionType] | None:
    """The function ``qualname`` in every module object loaded from the file ``target``; None
    when no module is loaded from it (the tests import it later, from the candidate's file)."""
    found: list[types.FunctionType] = []
    loaded = False
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or os.path.realpath(path) != target:
            continue
        loaded = True
        obj: Any = module
        for part in qualname.split("."):
            obj = vars(obj).get(part) if hasattr(obj, "__dict__") else None
            if obj is None:
                break
        function = _unwrap(obj, qualname.rsplit(".", 1)[-1]) if obj is not None else None
        if function is not None and all(function is not f for f in found):
            found.append(function)
    return found if loaded else None


def _swap(task: dict[str, Any], candidate: dict[str, Any], functions: list[types.FunctionType] | None) -> str | None:
    """Put the candidate's code in ``functions`` (the target function's objects); why not, or
    None when done. With no module loaded from the target file (None), the candidate's file on
    disk is what the tests will import: nothing to swap."""
    if functions is None:
        return None
    target, qualname = task["target"], task["qualname"]
    name = qualname.rsplit(".", 1)[-1]
    try:
        module_code = compile(candidate["file_text"], target, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"the candidate does not compile: {exc}"
    new = find_code(module_code, name, task["first_line"])
    if new is None:
        return f"no function {qualname} at line {task['first_line']} in the candidate"
    if not functions:
        return f"{qualname} is not reachable in a module loaded from the target file"
    for function in functions:
        if len(function.__code__.co_freevars) != len(new.co_freevars):
            return f"{qualname}: the candidate's closure differs"
        function.__code__ = new
    linecache.checkcache(target)
    return None


def _run_child(
    session: pytest.Session,
    task: dict[str, Any],
    k: int,
    by_id: dict[str, pytest.Item],
    functions: list[types.FunctionType] | None,
) -> int:
    """The forked child's work for candidate ``k``; returns its exit code."""
    candidate = task["candidates"][k]
    fresh_tmp = tempfile.mkdtemp(prefix=f"cand{k}-", dir=os.environ.get("TMPDIR"))
    os.environ["TMPDIR"] = tempfile.tempdir = fresh_tmp  # no temp files shared with other candidates
    records.begin_candidate(os.path.join(task["results_dir"], f"cand-{k}.jsonl"), candidate.get("lines"))
    why = _swap(task, candidate, functions)
    if why is not None:
        records._emit({"kind": "no_swap", "message": why})
        return _NO_SWAP
    phase1, phase2 = task["phase1"], task["phase2"]
    order = [by_id[n] for n in phase1 + phase2]
    failed = False
    for i, item in enumerate(order):
        if i == len(phase1) and failed and task.get("stop_early"):
            records._emit({"kind": "stopped", "nodeid": item.nodeid})
            break
        nextitem = order[i + 1] if i + 1 < len(order) else None
        item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if i < len(phase1) and records.last_outcome(item.nodeid) in ("failed", "error"):
            failed = True
            if task.get("stop_early") and records.timed_out(item.nodeid):  # a hang: one limit is enough
                records._emit({"kind": "stopped", "nodeid": item.nodeid})
                break
    records._emit({"kind": "done"})
    return 0


def _wait(pid: int, deadline: float) -> tuple[int | None, bool]:
    """Wait for child ``pid`` until ``deadline`` (monotonic); (wait status, timed out)."""
    fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if fd is not None:
                select.select([fd], [], [], remaining)
            else:
                time.sleep(min(remaining, 0.002))
    finally:
        if fd is not None:
            os.close(fd)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    return status, True


def _reap_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # grandchildren the candidate left in its group
    except OSError:
        pass


def _candidate(
    session: pytest.Session,
    task: dict[str, Any],
    k: int,
    by_id: dict[str, pytest.Item],
    functions: list[types.FunctionType] | None,
    out: Any,
) -> None:
    """Write candidate ``k``'s file, fork its child, wait, and record how it ended."""
    candidate = task["candidates"][k]
    with open(task["target"], "w", encoding="utf-8") as fh:  # for tests that read or re-import it
        fh.write(candidate["file_text"])
    budget = sum(task["limits"].get(n, task["default_limit"]) for n in task["phase1"] + task["phase2"])
    began = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 1
        try:
            os.setpgid(0, 0)
            code = _run_child(session, task, k, by_id, functions)
        except BaseException:  # noqa: BLE001 - the parent reports the crash
            try:
                records._emit({"kind": "child_error", "message": traceback.format_exc()[-2000:]})
            except BaseException:  # noqa: BLE001, S110
                pass
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    status, timed_out = _wait(pid, began + budget + task["grace"])
    _reap_group(pid)
    seconds = round(time.monotonic() - began, 6)
    if timed_out:
        _emit(
            out,
            {
                "kind": "candidate",
                "k": k,
                "status": "timeout",
                "seconds": seconds,
                "message": f"killed after {budget + task['grace']:.2f} s (its tests' limits plus a grace)",
            },
        )
    elif status is not None and os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        _emit(
            out,
            {
                "kind": "candidate",
                "k": k,
                "status": "crashed",
                "seconds": seconds,
                "message": f"the test process was killed by {name}",
            },
        )
    else:
        code = os.waitstatus_to_exitcode(status) if status is not None else -1
        state = "no_swap" if code == _NO_SWAP else "ok" if code == 0 else "crashed"
        _emit(
            out,
            {
                "kind": "candidate",
                "k": k,
                "status": state,
                "seconds": seconds,
                "message": "" if state != "crashed" else f"the test process exited with code {code}",
            },
        )


def _fork_unsafe(session: pytest.Session, task: dict[str, Any]) -> str | None:
    """Why forking this session would not give each candidate what a fresh run gives, or None."""
    if threading.active_count() > 1:
        names = ", ".join(t.name for t in threading.enumerate() if t is not threading.main_thread())
        return f"threads run after collection ({names}); a forked child would not have them"
    collected = {item.nodeid for item in session.items}
    missing = [n for n in task["phase1"] + task["phase2"] if n not in collected]
    if missing:
        return f"{len(missing)} test(s) not collected in the session: {', '.join(missing[:3])}"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> object:
    with open(_config["session"]["tasks"], encoding="utf-8") as fh:
        task = json.load(fh)
    with open(task["session_file"], "a", encoding="utf-8") as out:
        why = _fork_unsafe(session, task)
        _emit(
            out,
            {
                "kind": "ready",
                "fork": why is None,
                "reason": why or "",
                "collected": [item.nodeid for item in session.items],
            },
        )
        if why is not None:
            return True
        by_id = {item.nodeid: item for item in session.items}
        functions = _functions(task["target"], task["qualname"])  # found once, swapped in each child
        records.warm_caches()
        gc.collect()
        gc.freeze()  # children's collections leave the session's objects alone: fewer copy-on-write faults
        with open(task["target"], encoding="utf-8") as fh:
            original = fh.read()
        try:
            for k in range(task.get("start", 0), len(task["candidates"])):
                _candidate(session, task, k, by_id, functions, out)
        finally:
            with open(task["target"], "w", encoding="utf-8") as fh:
                fh.write(original)
    return True
