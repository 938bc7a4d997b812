"""Parse code with tree-sitter and name its remaskable units, in character offsets.

A *unit* is a span the remask policy may snap evidence to: an expression, a statement, a compound
statement, a clause, a block, a parameter list or a function. Which nodes are units is data, in
``grammars/python/units.scm`` (capture name = unit kind); function definitions come from
``grammars/python/functions.scm``. Both work on code that does not parse: tree-sitter recovers.

tree-sitter counts UTF-8 bytes; everything here is converted to characters of the ``str`` (what
:class:`coderemask.types.Span` means). This module does not know what is wrong with the code
(``syntax.py`` does), nor tokens, models or tests.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

from tree_sitter import Node, Point, QueryCursor, Tree

from coderemask import queries
from coderemask.errors import ConfigError
from coderemask.types import Span

#: Unit kinds, from the finest to the coarsest; the capture names of ``units.scm``.
UNIT_KINDS: tuple[str, ...] = (
    "expression",
    "parameters",
    "statement",
    "clause",
    "compound_statement",
    "block",
    "function",
)

_NEWLINE = re.compile(r"\r\n|\r|\n")


def _utf8_len(char: str) -> int:
    code = ord(char)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


class TextOffsets:
    """Maps between character offsets, UTF-8 byte offsets and (line, column) of one text.

    Lines end at ``\\r\\n``, ``\\r`` or ``\\n`` (as Python's tokenizer sees them).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8", "surrogatepass")
        # _byte_starts[i] = byte offset of character i (None: ASCII, bytes == characters).
        self._byte_starts: list[int] | None = (
            None if len(self.data) == len(text) else list(accumulate(map(_utf8_len, text), initial=0))
        )
        self.line_starts: list[int] = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def char(self, byte: int) -> int:
        """Character offset of a byte offset (a byte inside a character maps to its start)."""
        if self._byte_starts is None:
            return byte
        return bisect_right(self._byte_starts, byte) - 1

    def byte(self, char: int) -> int:
        """Byte offset of a character offset."""
        return char if self._byte_starts is None else self._byte_starts[char]

    def span(self, node: Node) -> Span:
        """The character span of a tree-sitter node."""
        return Span(self.char(node.start_byte), self.char(node.end_byte))

    def offset(self, line: int, column: int) -> int:
        """Character offset of 1-based ``line`` and 0-based character ``column``, clamped to the text."""
        if line < 1:
            return 0
        if line > len(self.line_starts):
            return len(self.text)
        start = self.line_starts[line - 1]
        return min(start + max(column, 0), self.line_end(line))

    def line_of(self, char: int) -> int:
        """1-based line holding character offset ``char``."""
        return bisect_right(self.line_starts, char)

    def line_end(self, line: int) -> int:
        """Character offset where 1-based ``line``'s content ends (before its line break)."""
        if line >= len(self.line_starts):
            return len(self.text)
        end = self.line_starts[line]
        return end - (2 if self.text.startswith("\r\n", end - 2) else 1)

    def point(self, char: int) -> Point:
        """tree-sitter's (row, byte column) of a character offset; rows count ``\\n`` only."""
        byte = self.byte(char)
        row = self.data.count(b"\n", 0, byte)
        return Point(row, byte - (self.data.rfind(b"\n", 0, byte) + 1))


class ParsedCode:
    """One text and its tree-sitter tree; units are computed once, on first use."""

    __slots__ = ("_units", "language", "offsets", "text", "tree")

    def __init__(self, text: str, tree: Tree, offsets: TextOffsets, language: str) -> None:
        self.text = text
        self.tree = tree
        self.offsets = offsets
        self.language = language
        self._units: list[Unit] | None = None

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def has_error(self) -> bool:
        """True when the tree holds an ERROR or MISSING node."""
        return self.tree.root_node.has_error

    def span(self, node: Node) -> Span:
        """The character span of ``node``."""
        return self.offsets.span(node)

    def units(self) -> list[Unit]:
        """All remaskable units, sorted by start then by widest first (see :func:`remaskable_units`)."""
        if self._units is None:
            self._units = _compute_units(self)
        return self._units

    def edit(self, start: int, end: int, new_text: str) -> ParsedCode:
        """Replace characters ``[start, end)`` with ``new_text`` and re-parse incrementally.

        The old tree is copied before ``Tree.edit``, so this object stays valid.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"edit [{start}, {end}) outside text of length {len(self.text)}")
        text = self.text[:start] + new_text + self.text[end:]
        offsets = TextOffsets(text)
        new_end = start + len(new_text)
        old_tree = self.tree.copy()
        old_tree.edit(
            start_byte=self.offsets.byte(start),
            old_end_byte=self.offsets.byte(end),
            new_end_byte=offsets.byte(new_end),
            start_point=self.offsets.point(start),
            old_end_point=self.offsets.point(end),
            new_end_point=offsets.point(new_end),
        )
        tree = queries.parser(self.language).parse(offsets.data, old_tree)
        return ParsedCode(text, tree, offsets, self.language)


def parse(code: str | ParsedCode, language: str = "python") -> ParsedCode:
    """Parse ``code`` (never fails: tree-sitter recovers with ERROR and MISSING nodes).

    The last few texts are cached, so asking several questions about one text parses it once.
    """
    if isinstance(code, ParsedCode):
        return code
    return _parse_cached(code, language)


@lru_cache(maxsize=16)
def _parse_cached(code: str, language: str) -> ParsedCode:
    offsets = TextOffsets(code)
    return ParsedCode(code, queries.parser(language).parse(offsets.data), offsets, language)


class Unit(NamedTuple):
    """A remaskable unit: its kind (one of :data:`UNIT_KINDS`) and character span."""

    kind: str
    span: Span


def _check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return UNIT_KINDS
    chosen = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in chosen if k not in UNIT_KINDS]
    if unknown:
        raise ConfigError(f"unknown unit kind(s) {unknown}; known: {', '.join(UNIT_KINDS)}")
    return chosen


def _compute_units(parsed: ParsedCode) -> list[Unit]:
    captures = QueryCursor(queries.query("units", parsed.language)).captures(parsed.root)
    found = {
        Unit(kind, parsed.span(node))
        for kind, nodes in captures.items()
        for node in nodes
        if node.end_byte > node.start_byte and not node.is_missing
    }
    return sorted(found, key=lambda u: (u.span.start, -u.span.end, UNIT_KINDS.index(u.kind)))


def remaskable_units(code: str | ParsedCode, kinds: Iterable[str] | None = None) -> list[Unit]:
    """The units of ``code`` of the given kinds (default: all), sorted by start, widest first.

    Zero-width nodes (MISSING nodes, empty blocks) are not units; a node matched by several
    patterns of one kind appears once.
    """
    chosen = set(_check_kinds(kinds))
    return [u for u in parse(code).units() if u.kind in chosen]


def smallest_enclosing_unit(
    code: str | ParsedCode, span: Span, kinds: Sequence[str] | str | None = None
) -> Unit | None:
    """The shortest unit of the given kinds whose span contains ``span`` (None if there is none).

    Ties (one node, several kinds; or nested nodes of equal span) go to the kind listed first in
    ``kinds`` (default order: :data:`UNIT_KINDS`, finest first). A zero-width ``span`` is contained
    by units that touch it at either end.
    """
    chosen = _check_kinds(kinds)
    best: Unit | None = None
    best_key: tuple[int, int] | None = None
    for unit in parse(code).units():
        if unit.span.start > span.start:
            break  # sorted by start: no later unit can contain span
        if unit.kind in chosen and span.end <= unit.span.end:
            key = (len(unit.span), chosen.index(unit.kind))
            if best_key is None or key < best_key:
                best, best_key = unit, key
    return best


def enclosing_units(code: str | ParsedCode, span: Span, kinds: Sequence[str] | str | None = None) -> list[Span]:
    """Spans of the units (of the given kinds) that contain ``span``, innermost first, each once.

    The policy's ``snap``: widen a span step by step (expression, statement, block, function).
    """
    chosen = set(_check_kinds(kinds))
    around = {
        unit.span
        for unit in parse(code).units()
        if unit.kind in chosen and unit.span.start <= span.start and span.end <= unit.span.end
    }
    return sorted(around, key=lambda s: (len(s), -s.start))


@dataclass(frozen=True, slots=True)
class FunctionNode:
    """A function definition found by tree-sitter, in character spans of the parsed text.

    ``qualname`` joins the names of the enclosing classes and functions (``Class.method``,
    ``outer.inner``); ``span`` includes decorators.
    """

    qualname: str
    span: Span
    definition_span: Span
    parameters_span: Span
    body_span: Span

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]


def function_nodes(code: str | ParsedCode) -> list[FunctionNode]:
    """Every function definition in ``code``, in source order, even where the code does not parse
    (a definition that tree-sitter could not recover, e.g. one missing its colon, is not found)."""
    parsed = parse(code)
    cursor = QueryCursor(queries.query("functions", parsed.language))
    decorated: dict[int, Span] = {}
    scopes: list[tuple[Span, str]] = []  # (span, name) of every class and function
    definitions: list[dict[str, list[Node]]] = []
    for _, match in cursor.matches(parsed.root):
        if "decorated" in match:
            decorated[match["decorated.definition"][0].id] = parsed.span(match["decorated"][0])
        elif "class" in match:
            scopes.append((parsed.span(match["class"][0]), _text(parsed, match["class.name"][0])))
        else:
            definitions.append(match)
            scopes.append((parsed.span(match["definition"][0]), _text(parsed, match["name"][0])))
    result = []
    for match in definitions:
        node = match["definition"][0]
        own = parsed.span(node)
        outer = [(s, name) for s, name in scopes if s.start <= own.start and own.end <= s.end and s != own]
        outer.sort(key=lambda item: (item[0].start, -item[0].end))
        qualname = ".".join([name for _, name in outer] + [_text(parsed, match["name"][0])])
        result.append(
            FunctionNode(
                qualname=qualname,
                span=decorated.get(node.id, own),
                definition_span=own,
                parameters_span=parsed.span(match["parameters"][0]),
                body_span=parsed.span(match["body"][0]),
            )
        )
    result.sort(key=lambda f: (f.span.start, -f.span.end))
    return result


def _text(parsed: ParsedCode, node: Node) -> str:
    span = parsed.span(node)
    return parsed.text[span.start : span.end]
