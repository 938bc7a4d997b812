"""The `coderemask` command: parse arguments, run the subcommand, map errors to exit codes.

Each subcommand is a ``Command`` (frontends/common.py, with the exit codes) in ``COMMANDS``;
this module holds no repair or model logic. The process entry point (``entry``: Ctrl-C during
start-up, exit) is ``coderemask/__main__.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from coderemask.errors import CoderemaskError
from coderemask.frontends import (
    editor,
    eval_command,
    locate,
    lsp,
    make_bugs,
    model_commands,
    repair_commands,
    repo_command,
    undo_command,
)
from coderemask.frontends.common import EXIT_USAGE, Command, interrupted
from coderemask.frontends.project_defaults import apply_defaults, load_defaults

COMMANDS: list[Command] = (
    repair_commands.COMMANDS
    + [undo_command.COMMAND, repo_command.COMMAND, locate.COMMAND, editor.COMMAND, lsp.COMMAND]
    + model_commands.COMMANDS
    + [eval_command.COMMAND, make_bugs.COMMAND]
)


class _Parser(argparse.ArgumentParser):
    """argparse with the commands' error format: ``coderemask CMD: error: ...`` (exit 2), no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coderemask",
        description="Repair and complete Python functions with masked diffusion code models.",
    )
    from coderemask import __version__

    parser.add_argument("--version", action="version", version=f"coderemask {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in commands:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of the subcommands (argparse keeps them in its subparsers action)."""
    return [
        p
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for p in action.choices.values()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit code.

    Ctrl-C at any point is a one-line message and exit 130, or, once a file was written, exit 3
    and the files named with how to undo them (never a traceback)."""
    command = ""
    try:
        parser = build_parser(COMMANDS)
        source, values = load_defaults(Path.cwd())  # [tool.coderemask] of the project's pyproject.toml
        if source is not None:
            apply_defaults(_subcommand_parsers(parser), source, values)
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


if __name__ == "__main__":  # pragma: no cover
    from coderemask.__main__ import entry

    entry()
