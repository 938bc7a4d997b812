"""What every front-end shares: the exit codes, the usage error, the ``Command`` record, the
model flags, and the report of an interrupt.

Exit codes: 0 success (solved), 1 ran but did not succeed, 2 bad input or usage, 130 interrupted
(no file changed), 3 interrupted after a file was written (stderr names it and how to undo).
Subcommand modules import from here (never from ``cli``), so the front-ends form no import cycle.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from coderemask.errors import CoderemaskError

if TYPE_CHECKING:
    from coderemask.model.base import Denoiser

EXIT_OK, EXIT_NOT_SOLVED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C before any file was written
EXIT_INTERRUPTED_AFTER_WRITE = 3  # Ctrl-C after --write changed a file (stderr names it)


class UsageError(CoderemaskError):
    """Bad command-line input; printed as ``coderemask CMD: error: ...`` with exit code 2."""


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how to add its arguments, and what runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--device`` and ``--dtype``, the same for every command that loads a model."""
    p.add_argument(
        "--model", default="embedded", help="the embedded model (default), a folder, a hub id or a preset name"
    )
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cuda when available)")
    p.add_argument("--dtype", default=None, help="fp32, bf16, fp16 (default: bf16 on CUDA, fp32 on CPU)")


def add_python_argument(p: argparse.ArgumentParser) -> None:
    """``--python PATH``: the interpreter that runs the project's tests (fix, complete, repo, locate)."""
    p.add_argument(
        "--python",
        metavar="PATH",
        default=None,
        help="the Python that runs the project's tests, e.g. .venv/bin/python (it needs pytest; "
        "default: the active virtual environment's, when it is not coderemask's own)",
    )


def load_model_from_args(args: argparse.Namespace) -> Denoiser:
    """The model the flags of ``add_model_arguments`` name (imports torch)."""
    from coderemask.model import load_model

    return load_model(args.model, device=args.device, dtype=args.dtype)


def interrupted(who: str) -> int:
    """Report a Ctrl-C: 130 when no file was written, else 3 naming the files and how to undo."""
    from coderemask.backups import written

    files = [b.file for b in written()]
    if not files:
        print(f"{who}: interrupted (no file was changed)", file=sys.stderr)
        return EXIT_INTERRUPTED
    for file in files:
        print(
            f"{who}: interrupted after writing {file}: the change is in place (undo it with: coderemask undo {file})",
            file=sys.stderr,
        )
    return EXIT_INTERRUPTED_AFTER_WRITE
