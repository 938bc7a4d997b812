"""Run ``coderemask ARGS`` in a fresh interpreter and report which heavy modules it imported."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers")
PROBE = (
    "import atexit, json, runpy, sys\n"
    f"atexit.register(lambda: print('HEAVY:', json.dumps([m for m in {HEAVY!r} if m in sys.modules]), "
    "file=sys.stderr))\n"
    "sys.argv = ['coderemask', *sys.argv[1:]]\n"
    "runpy.run_module('coderemask.frontends.cli', run_name='__main__')\n"
)


class ProbedCli:
    """One ``coderemask ARGS`` run: exit code, streams, the heavy modules it imported, seconds."""

    def __init__(self, args: list[str], cwd: Path = REPO, stdin: str = "", timeout: float = 300) -> None:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=timeout
        )
        self.seconds = time.monotonic() - started
        self.rc, self.stdout = done.returncode, done.stdout
        lines = done.stderr.splitlines()
        heavy = [line for line in lines if line.startswith("HEAVY: ")]
        assert heavy, done.stderr[-2000:]
        self.heavy: list[str] = json.loads(heavy[-1].removeprefix("HEAVY: "))
        self.stderr = "\n".join(line for line in lines if not line.startswith("HEAVY: "))
