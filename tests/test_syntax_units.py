"""Query files as package data, remaskable units, tree-sitter function nodes, offsets, re-parse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files

import pytest
from tree_sitter import Node

from coderemask import queries
from coderemask.errors import ConfigError
from coderemask.signals.units import (
    UNIT_KINDS,
    TextOffsets,
    enclosing_units,
    function_nodes,
    parse,
    remaskable_units,
    smallest_enclosing_unit,
)
from coderemask.types import Span

CODE = '''import os

class Shape:
    @staticmethod
    def area(w, h=1):
        """Doc ü."""
        def scale(k): return k * 2
        if w > 0:
            return scale(w * h)
        else:
            return 0

async def fetch(url):
    return await get(url)
'''


def _texts(code: str, kind: str) -> list[str]:
    return [code[u.span.start : u.span.end] for u in remaskable_units(code, kinds=(kind,))]


def test_queries_ship_as_package_data() -> None:
    assert {"units", "functions"} <= set(queries.available_queries("python"))
    resource = files("coderemask.grammars") / "python" / "units.scm"
    assert resource.is_file()
    assert queries.query_source("units") == resource.read_text(encoding="utf-8")


def test_unit_capture_names_are_the_unit_kinds() -> None:
    names = set(re.findall(r"@([\w.]+)", queries.query_source("units")))
    assert names == set(UNIT_KINDS)


def test_unknown_language_or_query_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown language"):
        queries.query("units", "cobol")
    with pytest.raises(ConfigError, match="no query 'nope'"):
        queries.query("nope")


def test_units_by_kind() -> None:
    assert _texts(CODE, "parameters") == ["(w, h=1)", "(k)", "(url)"]
    assert "return scale(w * h)" in _texts(CODE, "statement")
    assert "import os" in _texts(CODE, "statement")
    assert "else:\n            return 0" in _texts(CODE, "clause")
    functions = _texts(CODE, "function")
    assert functions[0].startswith("@staticmethod\n    def area")
    assert "def area(w, h=1):" in functions[1] and not functions[1].startswith("@")
    assert any(t.startswith("async def fetch") for t in functions)
    assert {"w * h", "scale(w * h)", "await get(url)"} <= set(_texts(CODE, "expression"))
    assert all(len(u.span) > 0 for u in remaskable_units(CODE))
    with pytest.raises(ConfigError, match="unknown unit kind"):
        remaskable_units(CODE, kinds=("sentence",))


def test_smallest_enclosing_unit() -> None:
    at = CODE.index("w * h)")
    span = Span(at, at + 1)  # the "w"
    assert smallest_enclosing_unit(CODE, span).kind == "expression"
    stmt = smallest_enclosing_unit(CODE, span, kinds=("statement",))
    assert CODE[stmt.span.start : stmt.span.end] == "return scale(w * h)"
    func = smallest_enclosing_unit(CODE, span, kinds="function")
    assert CODE[func.span.start : func.span.end].startswith("def area")
    # Across two top-level statements: nothing encloses it.
    assert smallest_enclosing_unit(CODE, Span(0, len(CODE))) is None
    # A zero-width span (an insertion point) is enclosed by what touches it.
    assert smallest_enclosing_unit(CODE, Span(at, at), kinds=("statement",)) == stmt


def test_enclosing_units_innermost_first() -> None:
    at = CODE.index("w * h)")
    chain = [CODE[s.start : s.end] for s in enclosing_units(CODE, Span(at, at + 1))]
    assert chain[:4] == ["w", "w * h", "scale(w * h)", "return scale(w * h)"]
    assert chain[-1].startswith("class Shape:")
    assert [len(t) for t in chain] == sorted(len(t) for t in chain) and len(set(chain)) == len(chain)
    coarse = [CODE[s.start : s.end] for s in enclosing_units(CODE, Span(at, at + 1), kinds=("statement", "function"))]
    assert coarse[0] == "return scale(w * h)"
    assert coarse[1].startswith("def area") and coarse[2].startswith("@staticmethod") and len(coarse) == 3


def test_function_nodes_give_qualified_names_even_in_broken_code() -> None:
    broken = CODE + "\ndef broken(x):\n    y = x 2\n    return y\n"
    nodes = function_nodes(broken)
    assert [f.qualname for f in nodes] == ["Shape.area", "Shape.area.scale", "fetch", "broken"]
    area = nodes[0]
    assert broken[area.span.start : area.span.end].startswith("@staticmethod")
    assert broken[area.definition_span.start :].startswith("def area")
    assert broken[area.parameters_span.start : area.parameters_span.end] == "(w, h=1)"
    assert broken[area.body_span.start :].startswith('"""Doc ü."""')
    assert area.name == "area"


def test_text_offsets_round_trip_multibyte_and_lines() -> None:
    text = "a é\r\n€ 🙂\nz"
    offsets = TextOffsets(text)
    assert len(offsets.data) == len(text.encode())
    for i in range(len(text) + 1):
        assert offsets.char(offsets.byte(i)) == i
    assert offsets.line_starts == [0, 5, 9]
    assert offsets.offset(2, 2) == text.index("🙂")
    assert offsets.line_end(1) == 3 and offsets.line_of(5) == 2
    assert tuple(offsets.point(text.index("z"))) == (2, 0)
    assert tuple(offsets.point(text.index("🙂"))) == (1, len("€ ".encode()))


def test_node_spans_are_characters() -> None:
    code = "s = '🙂é'; t = 1 2\n"
    parsed = parse(code)
    spans = [parsed.span(n) for n in _walk(parsed.root) if n.type in ("integer", "string")]
    assert [code[s.start : s.end] for s in spans] == ["'🙂é'", "1", "2"]


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


@pytest.mark.parametrize(
    "edits",
    [
        [("return scale(w * h)", "return scale(w + h) * 2")],
        [("Doc ü.", "Döc 🙂 with\n        more"), ("import os", "import os, sys")],
        [("return 0", "return (0"), ("(0", "0")],  # break, then repair
        [("async def fetch(url):\n", "")],
    ],
)
def test_incremental_reparse_equals_a_fresh_parse(edits: list[tuple[str, str]]) -> None:
    parsed = parse(CODE)
    for old, new in edits:
        at = parsed.text.index(old)
        before = str(parsed.root)
        edited = parsed.edit(at, at + len(old), new)
        assert str(parsed.root) == before, "the old parse stays valid"
        fresh = parse(edited.text)
        assert edited.text == parsed.text[:at] + new + parsed.text[at + len(old) :]
        assert str(edited.root) == str(fresh.root)
        assert remaskable_units(edited) == remaskable_units(fresh)
        parsed = edited
