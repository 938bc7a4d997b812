"""The `coderemask` command: parse arguments, call the core, print, and map errors to exit codes.

Exit codes: 0 success (solved), 1 ran but did not succeed, 2 bad input or usage, 130 interrupted
(no file changed), 3 interrupted after a file was written (stderr names it and how to undo).
Each subcommand is a `Command` in ``COMMANDS``; this module holds no repair or model logic.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import dataclass
from typing import Callable, NoReturn, Sequence

from ..errors import CoderemaskError

EXIT_OK, EXIT_NOT_SOLVED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C before any file was written
EXIT_INTERRUPTED_AFTER_WRITE = 3  # Ctrl-C after --write changed a file (stderr names it)


class UsageError(CoderemaskError):
    """Bad command-line input; printed as ``coderemask: error: ...`` with exit code 2."""


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how to add its arguments, and what runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _commands() -> list[Command]:
    from . import (editor, eval_command, locate, lsp, make_bugs, model_commands, repair_commands, repo_command,
                   undo_command)

    return (repair_commands.COMMANDS + [undo_command.COMMAND, repo_command.COMMAND, locate.COMMAND, editor.COMMAND,
                                        lsp.COMMAND] + model_commands.COMMANDS + [eval_command.COMMAND, make_bugs.COMMAND])


class _Parser(argparse.ArgumentParser):
    """argparse with the commands' error format: ``coderemask CMD: error: ...`` (exit 2), no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coderemask",
        description="Repair and complete Python functions with masked diffusion code models.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"coderemask {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in commands:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Everything, the subcommands' imports included, runs inside the handlers: Ctrl-C at any
    point is a one-line message and exit 130, or, once a file was written, exit 3 and the files
    named with how to undo them (never a traceback)."""
    command = ""
    try:
        commands = _commands()
        parser = build_parser(commands)
        args = parser.parse_args(argv)
        command = f" {args.command}" if args.command else ""
        if not getattr(args, "_run", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return args._run(args)
    except CoderemaskError as exc:
        print(f"coderemask{command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return interrupted(f"coderemask{command}")


def interrupted(who: str) -> int:
    """Report a Ctrl-C: 130 when no file was written, else 3 naming the files and how to undo."""
    from ..backups import written

    files = [b.file for b in written()]
    if not files:
        print(f"{who}: interrupted (no file was changed)", file=sys.stderr)
        return EXIT_INTERRUPTED
    for file in files:
        print(f"{who}: interrupted after writing {file}: the change is in place "
              f"(undo it with: coderemask undo {file})", file=sys.stderr)
    return EXIT_INTERRUPTED_AFTER_WRITE


def entry() -> NoReturn:
    """The console script and ``python -m coderemask``: ``main``, then exit with its code. Once
    main has returned (the work is done and reported), Ctrl-C is ignored while the interpreter
    shuts down, which can take a second or two (sandboxes and model threads wind down)."""
    code: int | None = None
    try:
        code = main()
    except KeyboardInterrupt:  # between main's own handler and its return
        pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:  # landed while ignoring was being set up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(interrupted("coderemask") if code is None else code)


if __name__ == "__main__":  # pragma: no cover
    entry()
