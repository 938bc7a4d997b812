"""`coderemask undo [FILE]`: put back the file that `fix --write` / `repo --write` last wrote.

Thin: ``backups.undo`` restores the version before the last write (of FILE, or of any file when
none is named) atomically, and refuses (exit 2) when the file changed since that write, so no
later edit is lost. Exit codes: 0 restored, 2 nothing to undo or refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coderemask.frontends.common import EXIT_OK, Command


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="the file to restore (default: the file coderemask wrote last)",
    )


def _run(args: argparse.Namespace) -> int:
    from coderemask.backups import undo

    backup = undo(args.file)
    print(f"restored {backup.file} as it was before coderemask wrote it ({backup.when()})", file=sys.stderr)
    return EXIT_OK


COMMAND = Command(
    "undo", "restore a file as it was before the last `fix --write` / `repo --write` changed it", _add_arguments, _run
)
