"""The editor scripts in examples/editor, run headless in the real editors (skipped where the
editor is not installed): with a scripted stand-in server (the apply path, deterministic) and with
the real `coderemask editor` and the embedded model (the whole round trip)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "editor"
BROKEN = "def add(a, b):\n    total = a + b\n    return total +* 1\n"
FIXED = "def add(a, b):\n    total = a + b\n    return total + 1\n"
OTHER = "\n\nLIMIT = 3\n"

# A stand-in for `coderemask editor` that answers every request with FIXED over lines 0-3.
STAND_IN = f"""
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    with open(sys.argv[1], "a") as log:
        log.write(line)
    out = [{{"id": req["id"], "event": "progress", "round": 1, "nfe": 3, "seconds": 0.1, "parses": True,
             "tests_passed": None, "tests_total": None}},
           {{"id": req["id"], "event": "result", "status": "solved", "reason": "", "function": "add",
             "text": {FIXED!r}, "range": {{"start": {{"line": 0, "character": 0}}, "end": {{"line": 3, "character": 0}}}},
             "diff": "--- a/calc.py\\n+++ b/calc.py\\n", "summary": "solved (stand-in)", "nfe": 3, "seconds": 0.1,
             "rounds": 1}}]
    for obj in out:
        sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()
"""

NVIM_DRIVER = """
local cr = require("coderemask")
cr.setup({ cmd = vim.json.decode(vim.env.CMD), budget = { max_rounds = 3 },
           confirm = function(diff, answer) vim.fn.writefile(diff, vim.env.OUT .. ".diff"); answer(true) end })
vim.cmd("edit " .. vim.env.TARGET)
vim.api.nvim_win_set_cursor(0, { 3, 0 })
vim.cmd("CoderemaskFix")
local done = vim.wait(300000, function() return cr.pending_count() == 0 end, 100)
vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), vim.env.OUT)
vim.cmd("silent! undo")
vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), vim.env.OUT .. ".undone")
vim.fn.writefile({ tostring(done) }, vim.env.OUT .. ".done")
vim.cmd("qa!")
"""

EMACS_DRIVER = """
(require 'coderemask)
(setq coderemask-command (json-parse-string (getenv "CMD") :array-type 'list))
(setq coderemask-budget '((max_rounds . 3)))
(setq coderemask-confirm-function
      (lambda (diff) (with-temp-file (concat (getenv "OUT") ".diff") (insert diff)) t))
(find-file (getenv "TARGET"))
(buffer-enable-undo)
(goto-char (point-min))
(forward-line 2)
(coderemask-fix-function)
(let ((deadline (+ (float-time) 300)))
  (while (and (coderemask-pending-p) (< (float-time) deadline))
    (accept-process-output nil 0.1)))
(write-region (point-min) (point-max) (getenv "OUT"))
(ignore-errors (let ((last-command nil)) (undo)))  ; nothing to undo when nothing was applied
(write-region (point-min) (point-max) (concat (getenv "OUT") ".undone"))
(with-temp-file (concat (getenv "OUT") ".done") (insert (if (coderemask-pending-p) "false" "true")))
"""


def _run_editor(editor: str, tmp_path: Path, cmd: list[str]) -> dict[str, str]:
    target = tmp_path / "calc.py"
    target.write_text(BROKEN + OTHER)
    (tmp_path / "pyproject.toml").write_text("")
    out = tmp_path / "out.txt"
    env = {**os.environ, "CMD": json.dumps(cmd), "TARGET": str(target), "OUT": str(out)}
    if editor == "nvim":
        driver = tmp_path / "drive.lua"
        driver.write_text(NVIM_DRIVER)
        argv = ["nvim", "--headless", "-u", "NONE", "--cmd", f"set rtp+={EXAMPLES / 'nvim'}", "-c", f"luafile {driver}"]
    else:
        driver = tmp_path / "drive.el"
        driver.write_text(EMACS_DRIVER)
        argv = ["emacs", "--batch", "-Q", "-L", str(EXAMPLES / "emacs"), "-l", str(driver)]
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    def read(suffix: str) -> str | None:
        path = tmp_path / f"out.txt{suffix}"
        return path.read_text() if path.exists() else None

    return {
        "buffer": read(""),
        "undone": read(".undone"),
        "done": read(".done"),
        "diff": read(".diff"),
        "disk": target.read_text(),
        "log": done.stdout + done.stderr,
    }


EDITORS = [
    pytest.param(e, marks=pytest.mark.skipif(shutil.which(e) is None, reason=f"{e} is not installed"))
    for e in ("nvim", "emacs")
]


def _norm(text: str | None) -> str:
    return (text or "").rstrip("\n") + "\n"


@pytest.mark.parametrize("editor", EDITORS)
def test_the_script_sends_the_buffer_and_applies_the_accepted_edit_undoably(editor: str, tmp_path: Path) -> None:
    server = tmp_path / "stand_in.py"
    server.write_text(STAND_IN)
    log = tmp_path / "requests.jsonl"
    result = _run_editor(editor, tmp_path, [sys.executable, str(server), str(log)])
    (request,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert request["mode"] == "fix" and request["line"] == 3 and request["text"].startswith(BROKEN)
    assert request["budget"] == {"max_rounds": 3}
    assert request["file"].endswith("calc.py")
    assert result["done"].strip() == "true" and result["diff"] is not None
    assert _norm(result["buffer"]) == FIXED + OTHER  # the function replaced, the rest kept
    assert _norm(result["undone"]) == BROKEN + OTHER  # one undo takes it back
    assert result["disk"] == BROKEN + OTHER  # the script never writes the file


@pytest.mark.slow
@pytest.mark.parametrize("editor", EDITORS)
def test_the_script_round_trips_with_the_real_server_and_embedded_model(editor: str, tmp_path: Path) -> None:
    model = os.environ.get("CODEREMASK_TEST_MODEL", "embedded")
    cmd = [sys.executable, "-m", "coderemask.frontends.cli", "editor", "--model", model]
    result = _run_editor(editor, tmp_path, cmd)
    assert result["done"].strip() == "true", result["log"]
    buffer = _norm(result["buffer"])
    if result["diff"] is None:  # not solved within the budget: nothing applied
        assert buffer == BROKEN + OTHER
    else:  # solved and accepted: the function was replaced by code that parses
        assert buffer.endswith(OTHER) and buffer != BROKEN + OTHER
        compile(buffer, "<buffer>", "exec")
    assert result["disk"] == BROKEN + OTHER
