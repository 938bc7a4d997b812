"""The `coderemask` command: parse arguments, call the core, print, and map errors to exit codes.

Exit codes: 0 success (solved), 1 ran but did not succeed, 2 bad input or usage.
Each subcommand is a `Command` in ``COMMANDS``; this module holds no repair or model logic.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from ..errors import CoderemaskError

EXIT_OK, EXIT_NOT_SOLVED, EXIT_USAGE = 0, 1, 2


class UsageError(CoderemaskError):
    """Bad command-line input; printed as ``coderemask: error: ...`` with exit code 2."""


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how to add its arguments, and what runs it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def add_python_argument(p: argparse.ArgumentParser) -> None:
    """``--python PATH``: the interpreter that runs the project's tests (fix, complete, repo, locate)."""
    p.add_argument("--python", metavar="PATH", default=None,
                   help="the Python that runs the project's tests, e.g. .venv/bin/python (it needs pytest; "
                        "default: the active virtual environment's, when it is not coderemask's own)")


def _commands() -> list[Command]:
    from . import editor, eval_command, locate, lsp, make_bugs, model_commands, repair_commands, repo_command

    return (repair_commands.COMMANDS + [repo_command.COMMAND, locate.COMMAND, editor.COMMAND, lsp.COMMAND]
            + model_commands.COMMANDS + [eval_command.COMMAND, make_bugs.COMMAND])


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    """Entry point of the console script; returns the exit code."""
    commands = _commands()
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args._run(args)
    except CoderemaskError as exc:
        print(f"coderemask {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"coderemask {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
