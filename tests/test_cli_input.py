"""Hostile and malformed input at the command line and in the editor protocol (issue 15).

Each case runs the real CLI (``python -m coderemask``) in a subprocess, or the editor's Server
in-process; none needs a model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coderemask.frontends.editor import Server

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path = REPO, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coderemask", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_python_dash_m_coderemask_runs_the_cli() -> None:
    done = _cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("coderemask "), done.stderr
    nothing = _cli()
    assert nothing.returncode == 2 and "COMMAND" in nothing.stderr


@pytest.mark.parametrize(
    ("args", "flag", "value"),
    [
        (["fix", "m.py::f", "--timeout", "nan"], "--timeout", "nan"),
        (["fix", "m.py::f", "--timeout", "inf"], "--timeout", "inf"),
        (["fix", "m.py::f", "--test-timeout", "inf"], "--test-timeout", "inf"),
        (["fix", "m.py::f", "--test-timeout-factor", "1e400"], "--test-timeout-factor", "1e400"),
        (["fix", "m.py::f", "--max-rounds", "1e300"], "--max-rounds", "1e300"),
        (["fix", "m.py::f", "--candidates", "100000000"], "--candidates", "100000000"),
        (["locate", "m.py::f", "--timeout", "nan"], "--timeout", "nan"),
        (["locate", "m.py::f", "--test-timeout", "1e300"], "--test-timeout", "1e300"),
        (["repo", ".", "--function-timeout", "inf"], "--function-timeout", "inf"),
        (["eval", "humaneval", "--timeout", "NaN"], "--timeout", "NaN"),
        (["make-bugs", "--out", "x.jsonl", "--timeout", "inf"], "--timeout", "inf"),
        (["sample", "[MASK]", "--temperature", "nan"], "--temperature", "nan"),
        (["train", "--minutes", "inf"], "--minutes", "inf"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_numbers_must_be_finite_and_in_range(tmp_path: Path, args: list[str], flag: str, value: str) -> None:
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    done = _cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"coderemask {args[0]}: error: argument {flag}: '{value}': must be" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


class _Recorder:
    """The editor's Server with a model that must not load; what it emits."""

    def __init__(self) -> None:
        self.out: list[dict] = []
        self.server = Server(lambda: pytest.fail("no request here needs the model"), self.out.append)

    def send(self, line: str) -> dict:
        assert self.server.handle_line(line)  # keeps serving
        return self.out[-1]


@pytest.mark.parametrize(
    ("budget", "words"),
    [
        ('{"max_rounds": 1e300}', ["'max_rounds'", "1e+300", "must be an integer"]),
        ('{"max_nfe": 2.5}', ["'max_nfe'", "2.5", "must be an integer"]),
        ('{"timeout": NaN}', ["'timeout'", "nan", "finite"]),
        ('{"timeout": Infinity}', ["'timeout'", "inf", "finite"]),
        ('{"timeout": 1e300}', ["'timeout'", "<= 1000000"]),
    ],
)
def test_editor_budget_numbers_are_checked(tmp_path: Path, budget: str, words: list[str]) -> None:
    rec = _Recorder()
    file = json.dumps(str(tmp_path / "m.py"))
    error = rec.send(f'{{"id": 1, "mode": "fix", "file": {file}, "line": 1, "budget": {budget}}}')
    assert error["event"] == "error" and error["code"] == "bad_request", error
    assert all(w in error["message"] for w in words), error["message"]


DEEP = "[" * 2000 + "]" * 2000


def test_the_editor_answers_deep_json_and_lone_surrogates_and_keeps_serving(tmp_path: Path) -> None:
    requests = [
        DEEP,
        '{"id": 2, "mode": "fix", "file": "\\ud800.py", "line": 1}',
        '{"id": 3, "mode": "fix", "file": "m.py", "line": 1, "text": "x = \\udfff"}',
        '{"id": 4, "method": "hello"}',
        '{"id": 5, "method": "shutdown"}',
    ]
    done = _cli("editor", cwd=tmp_path, stdin="".join(r + "\n" for r in requests))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(a["id"], a.get("code") or a.get("status")) for a in answers] == [
        (None, "bad_json"),
        (2, "bad_input"),
        (3, "bad_input"),
        (4, "ready"),
        (5, "shutdown"),
    ]
    assert "nested too deeply" in answers[0]["message"]
    assert "'file'" in answers[1]["message"] and "surrogate" in answers[1]["message"]
    assert "'text'" in answers[2]["message"]


def test_eval_refuses_deep_json_naming_the_file_and_line(tmp_path: Path) -> None:
    good = {
        "task_id": "T/0",
        "prompt": "def f():\n",
        "entry_point": "f",
        "canonical_solution": "    return 1\n",
        "test": "def check(candidate):\n    assert candidate() == 1\n",
    }
    (tmp_path / "deep.jsonl").write_text(json.dumps(good) + "\n" + DEEP + "\n")
    done = _cli("eval", "deep.jsonl", cwd=tmp_path, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "deep.jsonl line 2: not valid JSON (nested too deeply" in done.stderr, done.stderr


def _lsp_frame(message: dict) -> str:
    body = json.dumps({"jsonrpc": "2.0", **message})
    return f"Content-Length: {len(body.encode())}\r\n\r\n{body}"


def test_lsp_accepts_stdio(tmp_path: Path) -> None:
    messages = [
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        },
        {"method": "initialized", "params": {}},
        {"id": 2, "method": "shutdown", "params": None},
        {"method": "exit", "params": None},
    ]
    done = _cli("lsp", "--stdio", cwd=tmp_path, stdin="".join(map(_lsp_frame, messages)))
    assert done.returncode == 0, done.stderr
    assert '"capabilities"' in done.stdout
