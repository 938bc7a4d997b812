"""`coderemask lsp`: a real LSP exchange over stdio, from initialize to the code action and the edit."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

BROKEN = "def add(a, b):\n    total = a + b\n    return total +* 1\n"  # as in test_repair_cli


class LspClient:
    """A minimal LSP client: Content-Length framing, requests by id, and answers to the server's
    own requests (work-done progress creation, workspace/applyEdit)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.notifications: list[dict] = []
        self.edits: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            self.inbox.put(json.loads(stream.read(int(headers["content-length"]))))

    def _write(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._write({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 600) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._write({"id": wanted, "method": method, "params": params})
        while True:
            message = self.inbox.get(timeout=timeout)
            if "method" in message and "id" in message:  # the server asks something of us
                result: Any = None
                if message["method"] == "workspace/applyEdit":
                    self.edits.append(message["params"]["edit"])
                    result = {"applied": True}
                self._write({"id": message["id"], "result": result})
            elif "method" in message:
                self.notifications.append(message)
            elif message.get("id") == wanted:
                assert "error" not in message, message
                return message.get("result")


def test_fix_this_function_code_action_applies_an_edit(tmp_path: Path) -> None:
    model = os.environ.get("CODEREMASK_TEST_MODEL", "embedded")
    (tmp_path / "pyproject.toml").write_text("")
    path = tmp_path / "calc.py"
    path.write_text("# saved earlier\n")
    uri = path.as_uri()
    client = LspClient([sys.executable, "-m", "coderemask.frontends.cli", "lsp", "--model", model], tmp_path)
    try:
        init = client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": tmp_path.as_uri(),
                "capabilities": {"workspace": {"applyEdit": True}, "window": {"workDoneProgress": True}},
            },
        )
        assert init["capabilities"]["codeActionProvider"]
        assert set(init["capabilities"]["executeCommandProvider"]["commands"]) >= {"coderemask.fix"}
        client.notify("initialized", {})
        other = (tmp_path / "consts.py").as_uri()
        stub = (tmp_path / "greet.py").as_uri()
        stub_text = 'def greet(name):\n    """Return a greeting for name."""\n    ...\n'
        for doc, text in ((uri, BROKEN), (other, "LIMIT = 3\n"), (stub, stub_text)):
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": doc, "languageId": "python", "version": 1, "text": text}},
            )

        def actions(doc: str, line: int) -> list[dict]:
            return client.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": doc},
                    "range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}},
                    "context": {"diagnostics": []},
                },
            )

        assert actions(other, 0) == []  # `LIMIT = 3`: no function there
        assert [a["command"]["command"] for a in actions(stub, 2)] == ["coderemask.complete", "coderemask.fix"]
        (action,) = actions(uri, 2)  # inside add, on the broken line
        assert action["title"] == "coderemask: fix this function (add)"
        command = action["command"]
        result = client.request(
            "workspace/executeCommand", {"command": command["command"], "arguments": command["arguments"]}
        )
        progress = [n["params"]["value"]["kind"] for n in client.notifications if n["method"] == "$/progress"]
        assert progress[0] == "begin" and progress[-1] == "end" and "report" in progress
        assert result["status"] == "solved", (result, client.notifications)
        assert result["applied"] is True
        (edit,) = client.edits
        (text_edit,) = edit["changes"][uri]
        assert text_edit["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
        compile(text_edit["newText"], "<edit>", "exec")
        assert text_edit["newText"].startswith("def add(a, b):\n")
        assert path.read_text() == "# saved earlier\n"  # the server never writes the file
        client.request("shutdown", None)
        client.notify("exit", None)
        assert client.proc.wait(timeout=60) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
        client.proc.wait()
