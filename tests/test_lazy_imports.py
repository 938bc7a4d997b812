"""Commands that need no model import neither torch nor transformers (issue 13, part 4).

Each case runs the real CLI in a fresh interpreter; an ``atexit`` hook reports which of the two
heavy packages ``sys.modules`` holds when the process ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from probes import REPO, ProbedCli


def _run_cli(args: list[str], stdin: bytes = b"", cwd: Path = REPO) -> tuple[int, bytes, list[str]]:
    """Exit code, stdout and the heavy modules loaded, for ``coderemask ARGS`` fed ``stdin``."""
    run = ProbedCli(args, cwd=cwd, stdin=stdin.decode(), timeout=120)
    return run.rc, run.stdout.encode(), run.heavy


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        [],
        ["eval", "--help"],
        ["fix", "--help"],
        ["locate", "examples/quickfix/stats.py::clamp"],
    ],
    ids=lambda a: " ".join(a) or "no-args",
)
def test_commands_without_a_model_leave_torch_unimported(args: list[str]) -> None:
    rc, out, heavy = _run_cli(args)
    assert rc in (0, 1, 2)
    assert heavy == [], f"coderemask {' '.join(args)} imported {heavy}"


def test_locate_still_reports() -> None:
    rc, out, _ = _run_cli(["locate", "examples/quickfix/stats.py::clamp"])
    assert rc == 0 and b"clamp" in out


def test_editor_start_up_and_requests_that_need_no_model_leave_torch_unimported() -> None:
    requests = [
        {"id": 1, "method": "hello"},
        {"id": 2, "mode": "fix", "file": "m.py"},  # bad_request
        {"id": 3, "method": "shutdown"},
    ]
    rc, out, heavy = _run_cli(["editor"], "".join(json.dumps(r) + "\n" for r in requests).encode())
    answers = [json.loads(line) for line in out.decode().splitlines()]
    assert rc == 0
    assert [(a["id"], a.get("status") or a.get("code")) for a in answers] == [
        (1, "ready"),
        (2, "bad_request"),
        (3, "shutdown"),
    ]
    assert heavy == []


def _lsp_frame(message: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_lsp_initialize_and_code_actions_leave_torch_unimported(tmp_path: Path) -> None:
    uri = (tmp_path / "calc.py").as_uri()
    messages = [
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
        },
        {"method": "initialized", "params": {}},
        {
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": "def f(a):\n    return a +* 1\n",
                }
            },
        },
        {
            "id": 2,
            "method": "textDocument/codeAction",
            "params": {
                "textDocument": {"uri": uri},
                "context": {"diagnostics": []},
                "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
            },
        },
        {"id": 3, "method": "shutdown", "params": None},
        {"method": "exit", "params": None},
    ]
    rc, out, heavy = _run_cli(["lsp"], b"".join(map(_lsp_frame, messages)), cwd=tmp_path)
    assert rc == 0
    assert b'"capabilities"' in out and b"coderemask: fix this function (f)" in out
    assert heavy == []


def test_the_inference_package_never_imports_the_training_code() -> None:
    """Issue 15: corpus, tokenizer training, objective and trainer live in coderemask.training,
    which the loop, the model adapters and the front-ends do not import."""
    probe = (
        "import sys\n"
        "import coderemask.repair, coderemask.repo, coderemask.model.loading, coderemask.frontends.cli\n"
        "import coderemask.frontends.editor, coderemask.frontends.lsp, coderemask.evaluation.runner\n"
        "print(sorted(m for m in sys.modules if m.startswith('coderemask.training')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
