"""Test many candidates of one function in one forked pytest session (mutation-testing speed).

One sandboxed pytest process imports the project and collects the chosen tests once; for each
candidate it forks a child that puts the candidate's code in the target function and runs the
tests through pytest's own runtest protocol (``_pytest_session.py`` holds the in-sandbox half).
A child costs milliseconds where a fresh pytest process costs most of a second.

``swap_blocker`` says, before any run, when a candidate cannot be tested this way and needs a
fresh process (``run_tests``): it changes anything outside the function's body, its signature
(name, parameters, defaults, annotations, decorators) or its closure (free variables), or the
file does not parse. ``run_session`` then returns, per candidate, a ``TestRun`` or None with the
reason it must fall back: the session could not fork safely (a conftest started threads, a
test was not collected), the candidate's function was not reachable, or the session died.

Phases (``TestPlan``): phase 1 holds the tests that fail on the original; phase 2 holds the rest
(regressions) and runs only when every phase-1 test passes. With ``stop_early`` phase 1 stops at
the first test that hits its time limit: a hanging candidate costs one limit. A test that fails
fast does not stop phase 1: the other failing tests cost as little, and which of them pass is
the partial progress the search needs (deciding by a failure's duration would make verdicts
depend on the machine's load). Each test has its own
time limit (``signals.timing``); a child past the sum of its limits plus a grace is killed.

Contained as ``sandbox.run`` contains any command: the session is one sandboxed process; its
children are forks inside the same namespaces and limits. This module knows pytest and the
sandbox; it does not know models, verdicts or the repair loop.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from coderemask.signals._swap import find_code
from coderemask.signals.sandbox import JsonLinesTail, Limits, Workspace, run
from coderemask.signals.tests import RecordLog, TestRun, _inside, _interpret, prepare_pytest, read_records

SESSION_PLUGIN = "_coderemask_pytest_session"
SESSION_ARGS = ("--tb=no",)  # the records carry each failure; pytest's own report of it costs ~40% of a child
GRACE = 0.5  # seconds a child gets past the sum of its tests' limits before it is killed
STARTUP = 60.0  # seconds the session may take to import the project and collect


def fork_available() -> bool:
    """Whether this platform can fork a pytest session (POSIX with ``os.fork``)."""
    return hasattr(os, "fork") and sys.platform != "win32"


@dataclass(frozen=True)
class TestPlan:
    """Which tests run, in which order, with which limits.

    phase1: tests that fail on the original (run first; with ``stop_early`` a candidate stops at
    the first that still fails); phase2: the other tests. limits: node id -> seconds (others get
    ``default_limit``).
    """

    __test__ = False

    phase1: tuple[str, ...]
    phase2: tuple[str, ...]
    limits: Mapping[str, float]
    default_limit: float
    stop_early: bool = True

    @property
    def tests(self) -> tuple[str, ...]:
        return self.phase1 + self.phase2

    def budget(self) -> float:
        """Seconds one candidate may take when every test runs to its limit."""
        return sum(self.limits.get(n, self.default_limit) for n in self.tests)


@dataclass(frozen=True)
class SessionCandidate:
    """A candidate: the whole target file's text and the function's lines in it (inclusive)."""

    file_text: str
    lines: tuple[int, int]


@dataclass(frozen=True)
class SessionResult:
    """Per candidate a TestRun (None: test it in a fresh process; ``reasons`` says why)."""

    runs: tuple[TestRun | None, ...]
    reasons: tuple[str, ...]
    forked: bool  # the session forked children (False: every candidate falls back)
    message: str  # why the session did not fork, or ""
    seconds: float


# ------------------------------------------------------------------------- eligibility


def _function_at(tree: ast.Module, first_line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and first_line in (
            node.lineno,
            code_first_line(node),
        ):
            return node
    return None


def code_first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The line Python gives the function's code object (its first decorator's, if any)."""
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


@dataclass(frozen=True)
class _Shape:
    """What a code-object swap must keep of a file: the function's kind and name, its header
    (parameters, return annotation, decorators), its free variables, and the rest of the file."""

    kind: type
    name: str
    header: tuple
    freevars: tuple[str, ...]
    outside: str  # the module's AST with the function's body emptied


@functools.lru_cache(maxsize=8)  # the original's shape is asked for with every candidate
def _shape(text: str, first_line: int) -> _Shape | str:
    """The shape of the function at ``first_line`` of ``text``, or why there is none."""
    try:
        tree = ast.parse(text)
        with warnings.catch_warnings():  # a candidate's SyntaxWarnings are the tests' business
            warnings.simplefilter("ignore")
            module = compile(text, "<swap>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"the file does not parse: {exc}"
    node = _function_at(tree, first_line)
    if node is None:
        return f"no function starts at line {first_line}"
    code = find_code(module, node.name, code_first_line(node))
    if code is None:
        return "the function's code object was not found"
    header = (
        ast.dump(node.args),
        ast.dump(node.returns) if node.returns else "",
        tuple(ast.dump(d) for d in node.decorator_list),
    )
    node.body = []
    return _Shape(type(node), node.name, header, code.co_freevars, ast.dump(tree))


def swap_blocker(original: str, candidate: str, first_line: int) -> str | None:
    """Why ``candidate`` (the whole file) cannot replace the function of ``original`` at
    ``first_line`` by swapping its code object, or None when it can."""
    old, new = _shape(original, first_line), _shape(candidate, first_line)
    if isinstance(old, str) or isinstance(new, str):
        return old if isinstance(old, str) else new  # type: ignore[return-value]
    if (old.kind, old.name) != (new.kind, new.name):
        return "the function's kind or name changed"
    if old.header != new.header:
        return "the function's signature or decorators changed"
    if old.freevars != new.freevars:
        return "the function's closure changed"
    if old.outside != new.outside:
        return "the candidate changes more than the function's body"
    return None


# ------------------------------------------------------------------------- the session


class _SessionProgress:
    """Reads the session file as it grows; the deadline moves with each candidate reported."""

    def __init__(self, path: Path, budget: float, startup: float) -> None:
        self.tail, self.budget = JsonLinesTail(path), budget
        self.records: list[dict[str, Any]] = []
        self.deadline = time.monotonic() + startup + budget + GRACE + 1.0

    def poll(self) -> float:
        new = self.tail.read_new()
        if new:
            self.records += new
            self.deadline = time.monotonic() + self.budget + GRACE + 1.0
        return self.deadline


def _candidate_run(records: list[dict[str, Any]], status: str, message: str, seconds: float) -> TestRun:
    """A child's record lines and how it ended, as a TestRun."""
    log = RecordLog.of(records)
    if status == "timeout":
        log.blame_running("Timeout", message)
        run_status = "timeout"
    elif status == "crashed" or not any(r.get("kind") == "done" for r in log.other):
        errors = [r.get("message", "") for r in log.other if r.get("kind") == "child_error"]
        why = message or "the test process ended before its tests did"
        log.blame_running("Crash", why)
        run_status, message = "crashed", (errors[-1].strip().splitlines() or [why])[-1] if errors else why
    else:
        failing = sum(t.outcome in ("failed", "error") for t in log.tests.values())
        run_status = "ok"
        message = f"{len(log.tests) - failing} passed or skipped, {failing} failed"
        if any(r.get("kind") == "stopped" for r in log.other):
            message += " (stopped at the first test that still fails)"
    return TestRun(
        status=run_status,  # type: ignore[arg-type]
        tests=tuple(log.tests.values()),
        message=message,
        seconds=seconds,
    )


def run_session(
    project_dir: str | os.PathLike[str],
    *,
    target_file: str,
    qualname: str,
    first_line: int,
    candidates: Sequence[SessionCandidate],
    plan: TestPlan,
    startup: float = STARTUP,
    limits: Limits | None = None,
    extra_args: Sequence[str] = (),
    coverage: bool = True,
    plugin_autoload: bool = True,
    python: str | None = None,
) -> SessionResult:
    """Run ``plan`` for every candidate in one forked pytest session (see the module docstring).

    ``target_file``: relative to the project; ``qualname``: the function (``Class.method``);
    ``first_line``: its code object's first line (its first decorator's). Never raises for
    anything the project or the candidates do. ``python``: the interpreter (default: this one).
    """
    began = time.monotonic()
    project = Path(project_dir).resolve()
    target = _inside(project, target_file)
    n = len(candidates)

    def fallback(reason: str) -> SessionResult:
        return SessionResult((None,) * n, (reason,) * n, False, reason, time.monotonic() - began)

    if not fork_available():
        return fallback("this platform cannot fork")
    if target is None or not n or not plan.tests:
        return fallback("nothing to run in a session")
    with Workspace(project) as ws:
        session_file = ws.aux / "session.jsonl"
        tasks = {
            "target": os.path.realpath(ws.project / target),
            "qualname": qualname,
            "first_line": first_line,
            "candidates": [{"file_text": c.file_text, "lines": list(c.lines)} for c in candidates],
            "phase1": list(plan.phase1),
            "phase2": list(plan.phase2),
            "limits": dict(plan.limits),
            "default_limit": plan.default_limit,
            "stop_early": plan.stop_early,
            "grace": GRACE,
            "results_dir": str(ws.aux),
            "session_file": str(session_file),
        }
        tasks_path = ws.write("session_tasks.json", json.dumps(tasks), base=ws.aux)
        launch = prepare_pytest(
            ws,
            project,
            {},
            plan.tests,
            {"target": target, "lines": None},
            test_timeout=plan.default_limit,
            test_timeouts=plan.limits,
            coverage=coverage,
            plugin_autoload=plugin_autoload,
            extra_args=[*extra_args, *SESSION_ARGS],
            plugins=[("_pytest_session.py", SESSION_PLUGIN)],
            helpers=[("_swap.py", "_coderemask_swap")],
            settings={"session": {"tasks": str(tasks_path)}},
            python=python,
        )
        progress = _SessionProgress(session_file, plan.budget(), startup)
        total = startup + n * (plan.budget() + GRACE + 1.0)
        run_limits = replace(limits or Limits(), wall_seconds=total, cpu_seconds=total)
        sandbox = run(launch.argv, workspace=ws, limits=run_limits, env=launch.env, deadline=progress.poll)
        progress.poll()
        ready = next((r for r in progress.records if r.get("kind") == "ready"), None)
        if ready is None:
            started = _interpret(read_records(launch.results), sandbox, str(ws.project))
            return fallback(f"the session did not start: {started.status}: {started.message}")
        if not ready.get("fork"):
            return fallback(str(ready.get("reason") or "the session cannot fork"))
        ended = {int(r["k"]): r for r in progress.records if r.get("kind") == "candidate" and "k" in r}
        runs: list[TestRun | None] = []
        reasons: list[str] = []
        for k in range(n):
            record = ended.get(k)
            if record is None:
                runs.append(None)
                reasons.append(f"the session ended before this candidate ({sandbox.message})")
                continue
            lines = read_records(ws.aux / f"cand-{k}.jsonl")
            if record.get("status") == "no_swap":
                runs.append(None)
                reasons.append(
                    next(
                        (str(r.get("message")) for r in lines if r.get("kind") == "no_swap"),
                        "the candidate could not be swapped in",
                    )
                )
                continue
            run_k = _candidate_run(
                lines, str(record.get("status")), str(record.get("message") or ""), float(record.get("seconds") or 0.0)
            )
            runs.append(replace(run_k, target_file=target, target_lines=candidates[k].lines))
            reasons.append("")
    return SessionResult(tuple(runs), tuple(reasons), True, "", time.monotonic() - began)
