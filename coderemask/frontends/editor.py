"""`coderemask editor`: a JSON-lines protocol over stdin/stdout for editor scripts.

One request per input line, answered by zero or more ``progress`` lines and then one
``result`` or ``error`` line, all carrying the request's ``id``. The model loads once, on the
first request that needs it, and serves every later request. A bad request is an ``error``
object with a ``code``; the process keeps serving. EOF or a ``{"method": "shutdown"}`` request
ends it with exit code 0. The protocol is specified, with examples, in examples/editor/PROTOCOL.md.

This module parses and answers requests; the work is done by ``tasks.file_task`` and
``repair.complete`` / ``repair.repair``. It never writes files: the editor applies the edit.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

from coderemask import safejson
from coderemask.errors import CoderemaskError
from coderemask.frontends.common import EXIT_OK, Command, add_model_arguments, load_model_from_args
from coderemask.frontends.numbers import BATCH, COUNT, SECONDS, SEED, NumberError, Range

if TYPE_CHECKING:
    from coderemask.tasks import Mode

PROTOCOL_VERSION = 1
MODES = ("complete", "fix")
BUDGET_FIELDS = {"max_nfe": COUNT, "max_rounds": COUNT, "timeout": SECONDS}


class ProtocolError(CoderemaskError):
    """A request the server cannot serve; ``code`` says which kind (see PROTOCOL.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Request:
    """A validated ``fix`` / ``complete`` request."""

    id: Any
    mode: Mode
    file: Path
    text: str | None
    line: int | None
    function: str | None
    tests: list[str] | None
    policy: str = "combined"
    candidates: int = 4
    seed: int = 0
    budget: dict[str, float] = field(default_factory=dict)
    python: str | None = None  # the interpreter that runs the tests (default: see interpreter.test_python)


def _field(raw: dict, name: str, kinds: type | tuple[type, ...], *, required: bool = False) -> Any:
    value = raw.get(name)
    if value is None:
        if required:
            raise ProtocolError("bad_request", f"field {name!r} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise ProtocolError("bad_request", f"field {name!r} must be {names}, not {json.dumps(value)[:60]}")
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            _unicode(text, name)
    return value


def _unicode(text: str, name: str) -> None:
    """Refuse text no file system or file can hold: a lone surrogate (JSON ``"\\ud800"``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolError(
            "bad_input",
            f"field {name!r} is not valid Unicode text: a lone surrogate {text[exc.start]!r} at character {exc.start}",
        ) from None


def _number(value: Any, allowed: Range, where: str) -> Any:
    """``value`` (None when absent) if ``allowed``; else a bad_request naming the field."""
    try:
        return None if value is None else allowed.check(value, where)
    except NumberError as exc:
        raise ProtocolError("bad_request", str(exc)) from None


def parse_request(raw: Any) -> Request:
    """A Request from one decoded JSON line, or ProtocolError naming the bad field."""
    if not isinstance(raw, dict):
        raise ProtocolError("bad_request", f"a request is a JSON object, not {type(raw).__name__}")
    mode = _field(raw, "mode", str, required=True)
    if mode not in MODES:
        raise ProtocolError("bad_request", f"field 'mode' is {mode!r}; use one of {', '.join(MODES)}")
    line, function = _field(raw, "line", int), _field(raw, "function", str)
    if (line is None) == (function is None):
        raise ProtocolError("bad_request", "give exactly one of 'line' (1-based cursor line) and 'function'")
    if line is not None and line < 1:
        raise ProtocolError("bad_request", f"field 'line' is {line}; lines count from 1")
    tests = _field(raw, "tests", list)
    if tests is not None and not all(isinstance(t, str) and t for t in tests):
        raise ProtocolError("bad_request", "field 'tests' must be a list of pytest node ids (strings)")
    budget = _field(raw, "budget", dict) or {}
    for name, value in budget.items():
        if name not in BUDGET_FIELDS:
            raise ProtocolError("bad_request", f"budget field {name!r} is unknown; use {', '.join(BUDGET_FIELDS)}")
        _number(value, BUDGET_FIELDS[name], f"budget field {name!r}")
    candidates = _number(raw.get("candidates"), BATCH, "field 'candidates'")
    seed = _number(raw.get("seed"), SEED, "field 'seed'")
    return Request(
        id=raw.get("id"),
        mode=mode,
        file=Path(_field(raw, "file", str, required=True)),
        text=_field(raw, "text", str),
        line=line,
        function=function,
        tests=tests,
        policy=_field(raw, "policy", str) or "combined",
        candidates=candidates or 4,
        seed=seed or 0,
        budget=budget,
        python=_field(raw, "python", str),
    )


def position(text: str, offset: int) -> dict[str, int]:
    """0-based ``line`` and ``character`` (code points) of a character offset in ``text``."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": offset - start}


class Server:
    """Answers requests; ``emit`` writes one response object. The model loads on first use."""

    def __init__(self, load_model: Callable[[], Any], emit: Callable[[dict], None]) -> None:
        self._load_model = load_model
        self._model: Any = None
        self.emit = emit

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._load_model()
        return self._model

    def handle_line(self, line: str) -> bool:
        """Serve one input line; False when the client asked to shut down."""
        if not line.strip():
            return True
        try:
            raw = safejson.loads(line)
        except ValueError as exc:
            self.emit({"id": None, "event": "error", "code": "bad_json", "message": f"not JSON: {exc}"})
            return True
        request_id = raw.get("id") if isinstance(raw, dict) else None
        method = raw.get("method", "repair") if isinstance(raw, dict) else "repair"
        if method == "shutdown":
            self.emit({"id": request_id, "event": "result", "status": "shutdown"})
            return False
        if method == "hello":
            self.emit(
                {
                    "id": request_id,
                    "event": "result",
                    "status": "ready",
                    "protocol": PROTOCOL_VERSION,
                    "modes": list(MODES),
                }
            )
            return True
        try:
            if method != "repair":
                raise ProtocolError("bad_request", f"method {method!r} is unknown; use repair, hello or shutdown")
            self.emit(self.serve(parse_request(raw)))
        except ProtocolError as exc:
            self.emit({"id": request_id, "event": "error", "code": exc.code, "message": str(exc)})
        except CoderemaskError as exc:
            self.emit({"id": request_id, "event": "error", "code": "bad_input", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the server must outlive any one request
            self.emit(
                {"id": request_id, "event": "error", "code": "internal", "message": f"{type(exc).__name__}: {exc}"}
            )
        return True

    def serve(self, req: Request) -> dict:
        """Run one request; emits progress and returns the result object."""
        from coderemask.interpreter import test_python
        from coderemask.policy import policy_config
        from coderemask.results import Budget
        from coderemask.source import TargetSpec
        from coderemask.tasks import file_task, run_task

        policy_config(req.policy)  # an unknown name is a bad request, before any work
        spec = TargetSpec(str(req.file), qualname=req.function, line=req.line)
        task = file_task(
            spec,
            req.mode,
            tests=req.tests,
            text=req.text,  # refuses unknown test ids
            python=test_python(req.python),
        )
        from coderemask.repair import RepairConfig  # imports torch: only for a request to serve

        defaults = Budget()
        budget = Budget(
            max_nfe=int(req.budget.get("max_nfe", defaults.max_nfe)),
            max_rounds=int(req.budget.get("max_rounds", defaults.max_rounds)),
            max_seconds=float(req.budget.get("timeout", defaults.max_seconds)),
        )
        config = RepairConfig(policy=req.policy, candidates=req.candidates, seed=req.seed, budget=budget)

        def on_round(rnd) -> None:
            best = rnd.best
            self.emit(
                {
                    "id": req.id,
                    "event": "progress",
                    "round": rnd.index + 1,
                    "nfe": rnd.nfe,
                    "seconds": round(rnd.seconds, 3),
                    "parses": best.parses,
                    "tests_passed": best.passed,
                    "tests_total": best.total,
                }
            )

        done = run_task(task, req.mode, self.model, config, on_round=on_round)
        result, new_code, reason = done.result, done.code, done.result.reason
        span = task.span_in_file
        return {
            "id": req.id,
            "event": "result",
            "status": result.status,
            "reason": reason,
            "function": task.target.qualname,
            "text": new_code,
            "range": {"start": position(task.file_text, span.start), "end": position(task.file_text, span.end)},
            "diff": task.diff(done.new_text),
            "summary": (
                f"{result.status}{': ' + reason if reason else ''} ({task.tests_described}; "
                f"NFE {result.nfe}, {result.seconds:.1f}s, {len(result.rounds)} rounds)"
            ),
            "nfe": result.nfe,
            "seconds": round(result.seconds, 3),
            "rounds": len(result.rounds),
        }


def serve_stream(server: Server, stream: IO[str]) -> None:
    """Serve every line of ``stream`` until EOF or shutdown."""
    for line in stream:
        if not server.handle_line(line):
            return


def _add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)


def _run(args: argparse.Namespace) -> int:

    out = sys.stdout

    def emit(obj: dict) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    serve_stream(Server(lambda: load_model_from_args(args), emit), sys.stdin)
    return EXIT_OK


COMMAND = Command(
    "editor", "serve fix/complete requests as JSON lines on stdin/stdout (for editor scripts)", _add_arguments, _run
)
