"""`coderemask editor`: the JSON-lines protocol (an oracle model in-process; the real CLI with the
embedded model in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import OracleDenoiser

from coderemask.frontends.editor import ProtocolError, Server, parse_request, position

FIXED = "def add(a, b):\n    total = a + b\n    return total\n"
BROKEN = "def add(a, b):\n    total = a +* b\n    return total\n"
HEADER = "import math\n\n\n"


class Recorder:
    """A Server over an oracle model that records what it emits and how often the model loads."""

    def __init__(self, solution: str) -> None:
        self.out: list[dict] = []
        self.loads = 0

        def load():
            self.loads += 1
            return OracleDenoiser(solution)

        self.server = Server(load, self.out.append)

    def send(self, obj) -> bool:
        return self.server.handle_line(obj if isinstance(obj, str) else json.dumps(obj))


def test_fix_serves_the_buffer_not_the_disk_and_answers_with_an_edit(tmp_path: Path) -> None:
    path = tmp_path / "calc.py"
    path.write_text("# an older version on disk\n")
    buffer = HEADER + BROKEN + "\n\nX = 1\n"
    rec = Recorder(HEADER + FIXED + "\n\nX = 1\n")
    assert rec.send({"id": 7, "mode": "fix", "file": str(path), "text": buffer, "line": 6, "budget": {"max_rounds": 4}})
    *progress, result = rec.out
    assert progress and all(p["event"] == "progress" and p["id"] == 7 for p in progress)
    assert result["event"] == "result" and result["id"] == 7 and result["status"] == "solved", result
    assert result["text"] == FIXED and result["function"] == "add"
    assert result["range"] == {"start": {"line": 3, "character": 0}, "end": {"line": 6, "character": 0}}
    lines = buffer.splitlines(keepends=True)
    assert "".join(lines[3:6]) == BROKEN  # the range names the function in the buffer as sent
    assert "-    total = a +* b" in result["diff"] and "+    total = a + b" in result["diff"]
    assert path.read_text() == "# an older version on disk\n"  # the server never writes


def test_the_model_loads_once_for_many_requests(tmp_path: Path) -> None:
    rec = Recorder(FIXED)
    for i in range(2):
        rec.send({"id": i, "mode": "fix", "file": str(tmp_path / "m.py"), "text": BROKEN, "function": "add"})
    assert [o["status"] for o in rec.out if o["event"] == "result"] == ["solved", "solved"]
    assert rec.loads == 1


@pytest.mark.parametrize(
    "line, code, words",
    [
        ("{not json", "bad_json", ["not JSON"]),
        ('["a list"]', "bad_request", ["JSON object"]),
        ({"file": "m.py", "function": "add"}, "bad_request", ["'mode'", "required"]),
        ({"mode": "rewrite", "file": "m.py", "function": "add"}, "bad_request", ["'rewrite'", "complete, fix"]),
        ({"mode": "fix", "file": "m.py"}, "bad_request", ["exactly one of 'line'"]),
        ({"mode": "fix", "file": "m.py", "line": 0}, "bad_request", ["'line' is 0"]),
        ({"mode": "fix", "file": "m.py", "line": 1, "budget": {"max_nfe": -3}}, "bad_request", ["'max_nfe'", "-3"]),
        ({"mode": "fix", "file": "m.py", "line": 1, "budget": {"steps": 3}}, "bad_request", ["'steps' is unknown"]),
        ({"mode": "fix", "file": "m.py", "line": 1, "tests": "test_m.py"}, "bad_request", ["'tests' must be list"]),
        ({"mode": "fix", "file": 3, "line": 1}, "bad_request", ["'file' must be str"]),
        ({"method": "format"}, "bad_request", ["method 'format' is unknown"]),
        ({"mode": "fix", "file": "m.py", "function": "ad", "text": FIXED}, "bad_input", ["ad", "add"]),
        ({"mode": "fix", "file": "nope/missing.py", "function": "add"}, "bad_input", ["no such file"]),
        ({"mode": "fix", "file": "m.py", "line": 2, "text": FIXED, "policy": "magic"}, "bad_input", ["magic"]),
    ],
)
def test_bad_requests_are_error_objects_and_the_server_keeps_serving(
    tmp_path: Path, line, code: str, words: list[str]
) -> None:
    rec = Recorder(FIXED)
    if isinstance(line, dict) and isinstance(line.get("file"), str):
        line = {**line, "file": str(tmp_path / line["file"])}
    assert rec.send(line if isinstance(line, str) else {"id": "r1", **line})
    (error,) = rec.out
    assert error["event"] == "error" and error["code"] == code, error
    assert all(w in error["message"] for w in words), error["message"]
    assert rec.send({"id": 2, "method": "hello"}) and rec.out[-1]["status"] == "ready"
    assert rec.loads == 0  # no model was needed to refuse them


def test_shutdown_ends_the_loop() -> None:
    rec = Recorder(FIXED)
    assert rec.send({"id": 1, "method": "shutdown"}) is False
    assert rec.out == [{"id": 1, "event": "result", "status": "shutdown"}]


@pytest.mark.parametrize(
    "text, offset, expected",
    [
        ("abc", 0, (0, 0)),
        ("abc\ndef", 4, (1, 0)),
        ("abc\ndef", 6, (1, 2)),
        ("é\nü", 3, (1, 1)),
    ],
)
def test_positions_are_zero_based_lines_and_code_points(text: str, offset: int, expected) -> None:
    assert position(text, offset) == {"line": expected[0], "character": expected[1]}


def test_parse_request_keeps_the_defaults() -> None:
    req = parse_request({"mode": "complete", "file": "a.py", "function": "f"})
    assert (req.policy, req.candidates, req.seed, req.budget, req.text) == ("combined", 4, 0, {}, None)
    with pytest.raises(ProtocolError):
        parse_request({"mode": "complete", "file": "a.py", "function": "f", "candidates": 0})


@pytest.mark.slow
def test_the_cli_serves_a_session_over_stdio_with_the_embedded_model(tmp_path: Path) -> None:
    model = os.environ.get("CODEREMASK_TEST_MODEL", "embedded")
    (tmp_path / "pyproject.toml").write_text("")
    path = tmp_path / "calc.py"
    path.write_text(FIXED)
    requests = [
        {"id": 1, "method": "hello"},
        {"id": 2, "mode": "fix", "file": str(path), "text": BROKEN, "line": 2, "budget": {"max_rounds": 3}},
        {"id": 3, "mode": "fix", "file": str(path), "function": "nope"},
        {"id": 4, "method": "shutdown"},
    ]
    lines = [json.dumps(r) for r in requests]
    lines.insert(3, '{"id": 5, "mode": "fix", "file": ')  # a malformed line between requests
    done = subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "editor", "--model", model],
        input="".join(line + "\n" for line in lines),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    finals = {o["id"]: o for o in out if o["event"] in ("result", "error")}
    assert finals[1]["status"] == "ready" and finals[4]["status"] == "shutdown"
    assert finals[2]["event"] == "result" and finals[2]["status"] in ("solved", "gave_up")
    assert finals[2]["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
    assert any(o["event"] == "progress" and o["id"] == 2 for o in out)
    assert finals[3]["event"] == "error" and finals[3]["code"] == "bad_input" and "add" in finals[3]["message"]
    assert finals[None]["code"] == "bad_json"  # the malformed line; the session went on to shutdown
    assert path.read_text() == FIXED and "Traceback" not in done.stderr
