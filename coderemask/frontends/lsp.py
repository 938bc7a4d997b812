"""`coderemask lsp`: a language server (pygls, stdio) with fix / complete code actions.

At a cursor inside a Python function, ``textDocument/codeAction`` offers "coderemask: fix this
function" (and "complete this function" for a stub). Repair takes seconds, so each action is a
command: ``workspace/executeCommand`` runs the repair in a worker thread on the document as the
editor holds it, reports work-done progress (``$/progress``) round by round, and, when solved,
sends the edit with ``workspace/applyEdit`` (one TextEdit replacing the function, so the editor's
undo takes it back). Otherwise it shows a message and changes nothing.

The work is ``editor.Server.serve`` (the JSON-lines front-end's), so both front-ends answer the
same way; this module only speaks LSP. It never writes files.
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderemask.errors import CoderemaskError
from coderemask.frontends.common import EXIT_OK, Command, UsageError, add_model_arguments, load_model_from_args
from coderemask.frontends.editor import Request, Server

if TYPE_CHECKING:
    from coderemask.tasks import Mode

FIX, COMPLETE = "coderemask.fix", "coderemask.complete"


def build_server(load_model) -> Any:
    """A pygls LanguageServer with the code actions and commands wired to ``load_model``."""
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer
    from pygls.uris import to_fs_path

    from coderemask import __version__
    from coderemask.source import TargetSpec, load_target

    ls = LanguageServer("coderemask", __version__)
    progress_sink: list = [None]  # the running command's progress callback
    worker = Server(load_model, lambda obj: progress_sink[0] and progress_sink[0](obj))

    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
    )
    def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        line = params.range.start.line + 1
        try:
            target, _ = load_target(TargetSpec(to_fs_path(doc.uri) or doc.uri, line=line), text=doc.source)
        except CoderemaskError:
            return []  # not inside a function (or the file cannot be read as Python): nothing to offer
        args = [doc.uri, line]
        actions = [
            types.CodeAction(
                title=f"coderemask: fix this function ({target.qualname})",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(title="coderemask: fix this function", command=FIX, arguments=args),
            )
        ]
        if target.is_stub:
            actions.insert(
                0,
                types.CodeAction(
                    title=f"coderemask: complete this function ({target.qualname})",
                    kind=types.CodeActionKind.QuickFix,
                    command=types.Command(title="coderemask: complete this function", command=COMPLETE, arguments=args),
                ),
            )
        return actions

    def run(mode: Mode, arguments: list) -> dict:
        if not (
            isinstance(arguments, list)
            and len(arguments) >= 2
            and isinstance(arguments[0], str)
            and isinstance(arguments[1], int)
        ):
            raise ValueError(f"{mode}: arguments must be [document uri, 1-based line], not {arguments!r}")
        uri, line = arguments[0], arguments[1]
        doc = ls.workspace.get_text_document(uri)
        token = str(uuid.uuid4())
        ls.work_done_progress.create(token).result(timeout=30)
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=f"coderemask {mode}", percentage=0))

        def on_progress(obj: dict) -> None:
            tests = f", tests {obj['tests_passed']}/{obj['tests_total']}" if obj.get("tests_total") is not None else ""
            ls.work_done_progress.report(
                token,
                types.WorkDoneProgressReport(
                    message=f"round {obj['round']}: {'parses' if obj['parses'] else 'does not parse'}{tests}"
                ),
            )

        progress_sink[0] = on_progress
        try:
            result = worker.serve(
                Request(
                    id=None,
                    mode=mode,
                    file=Path(to_fs_path(uri) or uri),
                    text=doc.source,
                    line=line,
                    function=None,
                    tests=None,
                )
            )
        except CoderemaskError as exc:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=str(exc)))
            ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"coderemask: {exc}"))
            return {"status": "error", "message": str(exc)}
        finally:
            progress_sink[0] = None
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=result["summary"]))
        if result["status"] != "solved":
            ls.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=f"coderemask: {result['summary']}")
            )
            return {"status": result["status"], "summary": result["summary"]}
        lines = doc.lines
        start, end = result["range"]["start"], result["range"]["end"]
        server_range = types.Range(start=types.Position(**start), end=types.Position(**end))
        edit = types.TextEdit(
            range=doc.position_codec.range_to_client_units(lines, server_range), new_text=result["text"]
        )
        applied = ls.workspace_apply_edit(
            types.ApplyWorkspaceEditParams(edit=types.WorkspaceEdit(changes={uri: [edit]}), label=f"coderemask {mode}")
        ).result(timeout=60)
        return {"status": "solved", "summary": result["summary"], "applied": bool(applied.applied)}

    @ls.thread()
    @ls.command(FIX)
    def fix(*arguments):  # pygls unpacks the command's arguments: [uri, line]
        return run("fix", list(arguments))

    @ls.thread()
    @ls.command(COMPLETE)
    def complete(*arguments):
        return run("complete", list(arguments))

    return ls


def _add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument(
        "--stdio",
        action="store_true",
        help="accepted and ignored: stdio is the only transport (most LSP clients pass it)",
    )


def _run(args: argparse.Namespace) -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        raise UsageError(
            "the language server needs pygls>=2 (a dependency of coderemask): reinstall coderemask"
        ) from None

    build_server(lambda: load_model_from_args(args)).start_io()
    return EXIT_OK


COMMAND = Command(
    "lsp", "language server (stdio) with 'fix / complete this function' code actions", _add_arguments, _run
)
