"""Find one function in a Python file, describe its parts as character ranges, and splice a new
version back while every other character of the file stays identical.

A target is named ``path/to/mod.py::Class.method`` (``outer.inner`` for a nested function,
``outer.<locals>.inner`` works too) or ``path/to/mod.py:LINE`` (the innermost function around a
1-based line). libcst (which keeps every byte of formatting) gives the structure; CPython's
``compile()`` gives the position of a syntax error, which libcst reports poorly.

Offsets are characters of the decoded text (not bytes), as in :class:`coderemask.types.Span`. The
whole file must parse: a function with a syntax error of its own cannot be found here
(``coderemask.signals.units.function_nodes`` finds functions in broken code). Line and
character arithmetic comes from ``coderemask.signals.units.TextOffsets``. This module does not
know tokens, models, tree-sitter queries or tests, and never writes files.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import warnings
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Sequence

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    PositionProvider,
    WhitespaceInclusivePositionProvider,
)

from coderemask.errors import CoderemaskError
from coderemask.signals.units import TextOffsets
from coderemask.types import Span

_NEWLINE = re.compile(r"\r\n|\r|\n")


class SourceError(CoderemaskError):
    """Bad source input (file, target spec, target); the message names the file and what to fix."""


class SourceFileError(SourceError):
    """The file does not exist, cannot be read, or is not valid UTF-8."""


class SourceSyntaxError(SourceError):
    """The file does not parse; ``line`` and ``column`` (1-based) say where."""

    def __init__(self, message: str, *, path: str | None, line: int, column: int, detail: str) -> None:
        super().__init__(message)
        self.path, self.line, self.column, self.detail = path, line, column, detail


class TargetNotFoundError(SourceError):
    """No function matches; ``near`` lists the closest qualified names."""

    def __init__(self, message: str, *, wanted: str, near: tuple[str, ...]) -> None:
        super().__init__(message)
        self.wanted, self.near = wanted, near


class TargetSpecError(SourceError):
    """A target spec (``path::Qual.name`` or ``path:LINE``) is malformed."""


# ----------------------------------------------------------------------------- reading and specs


def read_source(path: str | PathLike[str]) -> str:
    """The file's text, decoded as strict UTF-8 with line endings kept as they are."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise SourceFileError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise SourceFileError(f"{p}: is a directory, not a Python file") from None
    except OSError as exc:
        raise SourceFileError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourceFileError(
            f"{p}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line});"
            " coderemask reads Python files as UTF-8 only"
        ) from None


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A parsed target spec: a path and either a qualified name or a 1-based line."""

    path: str
    qualname: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}::{self.qualname}" if self.qualname else f"{self.path}:{self.line}"


_LINE_SPEC = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")


def normalize_qualname(qualname: str) -> str:
    """``outer.<locals>.inner`` -> ``outer.inner``; checks that every part is an identifier."""
    parts = [p for p in qualname.strip().split(".") if p != "<locals>"]
    if not parts or not all(p.isidentifier() for p in parts):
        raise TargetSpecError(f"{qualname!r} is not a qualified function name (like func, Class.method, outer.inner)")
    return ".".join(parts)


def parse_target_spec(spec: str) -> TargetSpec:
    """Parse ``path::Class.method``, ``path::LINE`` or ``path:LINE``."""
    path, sep, rest = spec.rpartition("::")
    if sep:
        if not path:
            raise TargetSpecError(f"{spec!r}: no file before '::'")
        if rest.isdigit():
            return _line_spec(spec, path, rest)
        return TargetSpec(path, qualname=normalize_qualname(rest))
    match = _LINE_SPEC.match(spec)
    if match:
        return _line_spec(spec, match["path"], match["line"])
    raise TargetSpecError(f"{spec!r}: name a function as FILE::NAME (e.g. mod.py::Class.method) or FILE:LINE")


def _line_spec(spec: str, path: str, line: str) -> TargetSpec:
    if int(line) < 1:
        raise TargetSpecError(f"{spec!r}: lines count from 1")
    return TargetSpec(path, line=int(line))


# ----------------------------------------------------------------------------- the target


@dataclass(frozen=True, slots=True)
class Target:
    """One function in a file: its text, its parts as character spans of the file, and facts.

    ``span`` covers whole lines: from the start of the first decorator's (or the ``def``'s) line
    to the end of the last statement's line, its line break included when there is one; comments
    after the last statement stay outside. ``text`` is ``file_text[span]``. ``body_span`` is the
    editable region: the lines after the header (or, for ``def f(): ...`` on one line, the rest of
    that line after the colon); ``code_span`` is the body without its docstring (empty, at the end
    of the body, when the docstring is all there is). ``header_span``/``signature`` run from
    ``async``/``def`` through the colon. ``line``/``start_line``/``end_line`` are 1-based: the
    ``def`` line, the first decorator's line, the last statement's line.
    """

    path: str | None
    qualname: str
    text: str
    span: Span
    header_span: Span
    body_span: Span
    code_span: Span
    docstring_span: Span | None
    line: int
    start_line: int
    end_line: int
    indent: str
    body_indent: str
    newline: str
    is_async: bool
    is_method: bool
    one_line_body: bool
    decorators: tuple[str, ...]
    signature: str
    docstring: str | None
    is_stub: bool
    occurrence: int = 1
    occurrences: int = 1
    note: str = ""

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]

    def relative(self, span: Span) -> Span:
        """A span of the file as a span of :attr:`text`."""
        return Span(span.start - self.span.start, span.end - self.span.start)

    def absolute(self, span: Span) -> Span:
        """A span of :attr:`text` as a span of the file."""
        return Span(span.start + self.span.start, span.end + self.span.start)

    def _slice(self, span: Span) -> str:
        rel = self.relative(span)
        return self.text[rel.start : rel.end]

    @property
    def body_text(self) -> str:
        return self._slice(self.body_span)

    @property
    def code_text(self) -> str:
        return self._slice(self.code_span)

    @property
    def where(self) -> str:
        """``path:line`` (or ``line N``) of the ``def``, for messages."""
        return f"{self.path}:{self.line}" if self.path else f"line {self.line}"


def _is_stub_statement(stmt: cst.BaseSmallStatement) -> bool:
    if isinstance(stmt, cst.Pass):
        return True
    if isinstance(stmt, cst.Expr):
        return isinstance(stmt.value, cst.Ellipsis)
    if isinstance(stmt, cst.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
        return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"
    return False


class _Collector(cst.CSTVisitor):
    """Walks a module and describes every function (lambdas are not functions here)."""

    METADATA_DEPENDENCIES = (PositionProvider, WhitespaceInclusivePositionProvider)

    def __init__(self, text: str, offsets: TextOffsets, bom: int, module: cst.Module, path: str | None):
        super().__init__()
        self.text, self.offsets, self.bom, self.module, self.path = text, offsets, bom, module, path
        self.scopes: list[tuple[str, str]] = []  # (kind, name)
        self.found: list[Target] = []

    # Character offsets in the full text (the BOM, if any, was cut before parsing).
    def _at(self, pos: cst.metadata.CodePosition) -> int:
        return self.offsets.offset(pos.line, pos.column) + self.bom

    def _line_start(self, line: int) -> int:
        starts = self.offsets.line_starts
        return (starts[line - 1] if line <= len(starts) else len(self.offsets.text)) + self.bom

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(("class", node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.found.append(self._describe(node))
        self.scopes.append(("function", node.name.value))

    def _describe(self, node: cst.FunctionDef) -> Target:
        pos = self.get_metadata(PositionProvider, node)
        first = self.get_metadata(PositionProvider, node.decorators[0]) if node.decorators else pos
        start = self._line_start(first.start.line)
        end = self._line_start(pos.end.line + 1)
        def_start = self._at(pos.start)
        header_end = self._at(self.get_metadata(WhitespaceInclusivePositionProvider, node.body).start)
        text = self.text

        one_line = isinstance(node.body, cst.SimpleStatementSuite)
        if one_line:
            body_span = Span(header_end, self.offsets.line_end(pos.end.line) + self.bom)
            indent = text[start : start + first.start.column]
            unit = self.module.default_indent
            if indent and indent[0] != unit[:1]:  # tabs here, spaces elsewhere (or the reverse)
                unit = "\t" if indent[0] == "\t" else "    "
            body_indent = indent + unit
        else:
            body_span = Span(self._line_start(self.offsets.line_of(header_end - self.bom) + 1), end)
            first_stmt = self.get_metadata(PositionProvider, node.body.body[0]).start
            body_indent = text[self._line_start(first_stmt.line) : self._at(first_stmt)]

        docstring = node.get_docstring(clean=True)
        suite = node.body
        small: list[cst.BaseSmallStatement] | None  # None: a compound statement in the body
        if isinstance(suite, cst.SimpleStatementSuite):
            small = list(suite.body)
        else:
            simple = [s for s in suite.body if isinstance(s, cst.SimpleStatementLine)]
            small = [part for line in simple for part in line.body] if len(simple) == len(suite.body) else None
        docstring_span, code_span = None, body_span
        if docstring is not None:
            siblings: Sequence[cst.BaseSmallStatement]  # the docstring's line
            if isinstance(suite, cst.SimpleStatementSuite):
                siblings = suite.body
            else:
                head = suite.body[0]
                assert isinstance(head, cst.SimpleStatementLine), "a docstring is a simple statement"
                siblings = head.body
            doc_pos = self.get_metadata(PositionProvider, siblings[0])
            docstring_span = Span(self._at(doc_pos.start), self._at(doc_pos.end))
            if len(siblings) > 1:
                code_start = self._at(self.get_metadata(PositionProvider, siblings[1]).start)
            elif one_line:
                code_start = body_span.end
            else:
                code_start = min(self._line_start(doc_pos.end.line + 1), end)
            code_span = Span(code_start, body_span.end)
            small = None if small is None else small[1:]
        is_stub = small is not None and (
            (not small and docstring is not None) or (len(small) == 1 and _is_stub_statement(small[0]))
        )
        newline = _NEWLINE.search(text, def_start)
        return Target(
            path=self.path,
            qualname=".".join([name for _, name in self.scopes] + [node.name.value]),
            text=text[start:end],
            span=Span(start, end),
            header_span=Span(def_start, header_end),
            body_span=body_span,
            code_span=code_span,
            docstring_span=docstring_span,
            line=pos.start.line,
            start_line=first.start.line,
            end_line=pos.end.line,
            indent=text[start : start + first.start.column],
            body_indent=body_indent,
            newline=newline.group() if newline else self.module.default_newline,
            is_async=node.asynchronous is not None,
            is_method=bool(self.scopes) and self.scopes[-1][0] == "class",
            one_line_body=one_line,
            decorators=tuple(self.module.code_for_node(d.decorator) for d in node.decorators),
            signature=text[def_start:header_end],
            docstring=docstring,
            is_stub=is_stub,
        )


def _syntax_error(text: str, path: str | None, libcst_error: Exception) -> SourceSyntaxError:
    """A clear error for a file that libcst cannot parse; CPython says where, when it agrees."""
    where = path or "<text>"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, where, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        line, column = exc.lineno or 1, exc.offset or 1
        detail = f"{type(exc).__name__}: {exc.msg}"
    except ValueError as exc:  # null bytes
        line, column, detail = 1, 1, str(exc)
    else:  # CPython accepts what libcst does not (newer syntax than this libcst knows)
        line = getattr(libcst_error, "raw_line", 1)
        column = getattr(libcst_error, "raw_column", 0) + 1
        detail = f"libcst cannot parse it: {getattr(libcst_error, 'message', libcst_error)}"
    return SourceSyntaxError(
        f"{where}:{line}:{column}: syntax error: {detail} (the file must parse before a function"
        " in it can be targeted)",
        path=path,
        line=line,
        column=column,
        detail=detail,
    )


def list_functions(text: str, *, path: str | PathLike[str] | None = None) -> list[Target]:
    """Every function and method of the file, in source order (outer before inner).

    ``occurrence``/``occurrences`` count definitions sharing a qualified name (overloads,
    property setters, redefinitions).
    """
    where = None if path is None else str(path)
    bom = 1 if text.startswith("\ufeff") else 0  # libcst drops a BOM; offsets must keep it
    try:
        module = cst.parse_module(text[bom:])
    except (cst.ParserSyntaxError, RecursionError) as exc:
        raise _syntax_error(text[bom:], where, exc) from None
    collector = _Collector(text, TextOffsets(text[bom:]), bom, module, where)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
    totals: dict[str, int] = {}
    for target in collector.found:
        totals[target.qualname] = totals.get(target.qualname, 0) + 1
    seen: dict[str, int] = {}
    result = []
    for target in collector.found:
        seen[target.qualname] = seen.get(target.qualname, 0) + 1
        result.append(replace(target, occurrence=seen[target.qualname], occurrences=totals[target.qualname]))
    return result


def _near(wanted: str, names: list[str]) -> tuple[str, ...]:
    last = wanted.rpartition(".")[2]
    same_name = [n for n in names if n.rpartition(".")[2] == last]
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.6)
    close_last = difflib.get_close_matches(last, [n.rpartition(".")[2] for n in names], n=5, cutoff=0.6)
    by_last = [n for n in names if n.rpartition(".")[2] in close_last]
    return tuple(dict.fromkeys(same_name + close + by_last))[:5]


def _names_hint(functions: list[Target]) -> str:
    names = list(dict.fromkeys(f.qualname for f in functions))
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
    return f"functions here: {shown}" if names else "there are no functions in it"


def is_stub_code(code: str) -> bool:
    """True when ``code`` parses as a function whose body is still a stub (docstring only,
    ``...``, ``pass``, ``raise NotImplementedError``); False otherwise, unparsable code included."""
    try:
        functions = list_functions(code)
    except SourceError:
        return False
    return bool(functions) and functions[0].is_stub


def find_function(
    text: str,
    qualname: str,
    *,
    path: str | PathLike[str] | None = None,
    occurrence: int | None = None,
) -> Target:
    """The function named ``qualname`` (``func``, ``Class.method``, ``outer.inner``).

    When several definitions share the name, ``occurrence`` (1-based; negative counts from the
    end) picks one; by default the last, the one Python binds (for ``@overload`` stubs followed by
    the implementation: the implementation). ``Target.note`` says which one was taken.
    """
    wanted = normalize_qualname(qualname)
    functions = list_functions(text, path=path)
    matches = [f for f in functions if f.qualname == wanted]
    where = "<text>" if path is None else str(path)
    if not matches:
        near = _near(wanted, [f.qualname for f in functions])
        hint = f"did you mean: {', '.join(near)}?" if near else _names_hint(functions)
        raise TargetNotFoundError(f"{where}: no function {wanted!r}; {hint}", wanted=wanted, near=near)
    index = len(matches) if occurrence is None else occurrence
    chosen_index = index - 1 if index > 0 else len(matches) + index
    if index == 0 or not 0 <= chosen_index < len(matches):
        raise TargetNotFoundError(
            f"{where}: {wanted!r} is defined {len(matches)} time(s); occurrence {occurrence} does not exist",
            wanted=wanted,
            near=(),
        )
    chosen = matches[chosen_index]
    if len(matches) == 1:
        return chosen
    lines = ", ".join(str(m.line) for m in matches)
    why = " (the one Python binds)" if chosen is matches[-1] else ""
    note = f"{len(matches)} definitions of {wanted!r} (lines {lines}); took the one on line {chosen.line}{why}"
    return replace(chosen, note=note)


def find_enclosing_function(text: str, line: int, *, path: str | PathLike[str] | None = None) -> Target:
    """The innermost function whose lines (decorators included) contain 1-based ``line``."""
    functions = list_functions(text, path=path)
    where = "<text>" if path is None else str(path)
    count = len(TextOffsets(text).line_starts) - (1 if text.endswith(("\n", "\r")) else 0)
    if not 1 <= line <= count:
        raise TargetNotFoundError(
            f"{where}: line {line} is outside the file (lines 1-{count})", wanted=f"line {line}", near=()
        )
    around = [f for f in functions if f.start_line <= line <= f.end_line]
    if not around:
        near = tuple(f"{f.qualname} (lines {f.start_line}-{f.end_line})" for f in functions)
        hint = f"functions here: {', '.join(near[:10])}" if near else "there are no functions in it"
        raise TargetNotFoundError(
            f"{where}: line {line} is not inside a function; {hint}", wanted=f"line {line}", near=near
        )
    return max(around, key=lambda f: f.start_line)


def load_target(
    spec: str | TargetSpec, *, occurrence: int | None = None, text: str | None = None
) -> tuple[Target, str]:
    """Find the target of ``spec`` in its file (or in ``text``, an editor's unsaved buffer of
    that file); returns ``(target, file_text)``."""
    parsed = parse_target_spec(spec) if isinstance(spec, str) else spec
    if text is None:
        text = read_source(parsed.path)
    if parsed.qualname is None and parsed.line is None:
        raise TargetSpecError(f"{parsed.path}: name a function (FILE::NAME) or a line (FILE:LINE)")
    try:
        if parsed.qualname is not None:
            return find_function(text, parsed.qualname, path=parsed.path, occurrence=occurrence), text
        assert parsed.line is not None
        return find_enclosing_function(text, parsed.line, path=parsed.path), text
    except SourceSyntaxError as exc:
        broken = broken_function(text, exc, qualname=parsed.qualname, line=parsed.line, path=parsed.path)
        if broken is None:
            raise
        return broken, text


def _leading_blanks(line: str) -> str:
    """The spaces and tabs ``line`` starts with."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def broken_function(
    text: str,
    error: SourceSyntaxError,
    *,
    qualname: str | None = None,
    line: int | None = None,
    path: str | PathLike[str] | None = None,
) -> Target | None:
    """The target found by tree-sitter when the file does not parse, if the syntax error lies
    inside that function (a function with its own syntax error is what ``fix`` repairs).

    None when the function is not found or the error is elsewhere in the file. The body (after
    the ``def`` line) is the editable region; a leading docstring is kept out of it.
    """
    from coderemask.signals.units import function_nodes

    offsets = TextOffsets(text)
    wanted = normalize_qualname(qualname) if qualname else None
    nodes = [
        n
        for n in function_nodes(text)
        if (
            n.qualname == wanted
            if wanted
            else offsets.line_of(n.span.start) <= (line or 0) <= offsets.line_of(max(n.span.end - 1, 0))
        )
    ]
    if not nodes:
        return None
    node = nodes[-1] if wanted else max(nodes, key=lambda n: n.span.start)
    start = text.rfind("\n", 0, node.span.start) + 1
    end_nl = text.find("\n", max(node.span.end - 1, node.span.start))
    end = len(text) if end_nl < 0 else end_nl + 1
    first_line = offsets.line_of(start)
    last_line = offsets.line_of(max(end - 1, start))
    if not first_line <= error.line <= last_line:
        return None
    def_start = node.definition_span.start
    header_end = text.find("\n", def_start)
    header_end = len(text) if header_end < 0 else header_end
    body_start = min(header_end + 1, end)
    body = text[body_start:end]
    code_start = body_start
    doc = re.match(r'[ \t]*[rRbBuU]?("""|\'\'\')(.*?)\1[ \t]*\r?\n', body, flags=re.DOTALL)
    docstring = None
    if doc:
        code_start = body_start + doc.end()
        docstring = inspect.cleandoc(doc.group(2))
    line_text = text[start:end].split("\n")
    indent = _leading_blanks(text[text.rfind("\n", 0, def_start) + 1 :])
    body_lines = [x for x in body.split("\n") if x.strip()]
    body_indent = _leading_blanks(body_lines[0]) if body_lines else indent + "    "
    return Target(
        path=None if path is None else str(path),
        qualname=node.qualname,
        text=text[start:end],
        span=Span(start, end),
        header_span=Span(def_start, header_end),
        body_span=Span(body_start, end),
        code_span=Span(code_start, end),
        docstring_span=Span(body_start, code_start) if doc else None,
        line=offsets.line_of(def_start),
        start_line=first_line,
        end_line=last_line,
        indent=indent,
        body_indent=body_indent,
        newline="\r\n" if "\r\n" in text else "\n",
        is_async=text[def_start:header_end].lstrip().startswith("async"),
        is_method="." in node.qualname,
        one_line_body=False,
        decorators=tuple(x.strip() for x in line_text if x.strip().startswith("@")),
        signature=text[def_start:header_end].strip(),
        docstring=docstring,
        is_stub=False,
        note=f"the file does not parse ({error.detail} at line {error.line}); found by tree-sitter",
    )
