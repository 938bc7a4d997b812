"""Which Python runs a project's tests: ``--python PATH``, else the active virtual environment's.

A project's tests may need packages that only its own environment has. ``test_python`` picks
the interpreter (``--python``; else ``$VIRTUAL_ENV/bin/python`` when a virtual environment is
active and it is not coderemask's own; else None: coderemask's interpreter) and checks that it
exists, runs and has pytest; if not, InterpreterError names the path and where it came from.
The sandbox then starts pytest with it; coderemask's helper files loaded there
(``signals/_pytest_plugin.py``, ``_pytest_session.py``, ``_swap.py``) need only the standard
library and pytest.

Torch-free; it knows paths and processes, not tests or models.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from coderemask.errors import CoderemaskError

CHECK_SECONDS = 60.0


class InterpreterError(CoderemaskError):
    """An interpreter for the tests that is missing, not executable or without pytest."""


def _own_environment(venv: str) -> bool:
    """Whether ``venv`` is the environment coderemask itself runs in."""
    try:
        return Path(venv).resolve() == Path(sys.prefix).resolve()
    except OSError:
        return False


def test_python(flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The interpreter for the project's tests (absolute path), or None for coderemask's own.

    ``flag``: ``--python`` (or the editor's ``python`` field); ``environ``: where
    ``VIRTUAL_ENV`` is read (default: this process's environment). Raises InterpreterError.
    """
    environ = os.environ if environ is None else environ
    if flag is not None and str(flag):
        path, source = Path(flag), f"--python {str(flag)!r}"
    elif environ.get("VIRTUAL_ENV") and not _own_environment(environ["VIRTUAL_ENV"]):
        venv = environ["VIRTUAL_ENV"]
        path, source = Path(venv) / "bin" / "python", f"VIRTUAL_ENV={venv!r} (its bin/python)"
    else:
        return None
    path = path.absolute()
    if not path.is_file():
        raise InterpreterError(
            f"{source}: {path} does not exist (name the interpreter of the project's "
            "environment, e.g. --python .venv/bin/python)"
        )
    if not os.access(path, os.X_OK):
        raise InterpreterError(f"{source}: {path} is not executable")
    try:
        done = subprocess.run(
            [str(path), "-c", "import pytest"],
            capture_output=True,
            text=True,
            timeout=CHECK_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InterpreterError(f"{source}: {path} does not run: {exc}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise InterpreterError(
            f"{source}: {path} cannot import pytest ({why}); install pytest in that "
            "environment, or choose another with --python"
        )
    return str(path)


test_python.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
