"""Targets: finding a function by name or line, its parts as character spans, stubs, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderemask.errors import CoderemaskError
from coderemask.source import (
    SourceFileError,
    SourceSyntaxError,
    Target,
    TargetNotFoundError,
    TargetSpec,
    TargetSpecError,
    find_enclosing_function,
    find_function,
    list_functions,
    load_target,
    parse_target_spec,
)
from coderemask.types import Span

MODULE = '''"""Module doc: grüße 🙂."""
import functools
from typing import overload

# a comment about helper
def helper(x):  # trailing comment
    return x + 1


@functools.lru_cache(maxsize=None)
@staticmethod
async def fetch(url: str = "é") -> str:
    """Fetch it.

    More words.
    """
    data = await get(url)
    return data


class Shape:
    """A shape."""

    def area(self, w, h):
        def scale(k):
            return k * 2
        return scale(w * h)

    @property
    def name(self): return "ü"

    @name.setter
    def name(self, value): ...


def outer():
    def inner(a,
              b=2):
        """Only a docstring."""
    return inner


@overload
def conv(x: int) -> int: ...
@overload
def conv(x: str) -> str: ...
def conv(x):
    raise NotImplementedError("later")


if True:
    def guarded():
        pass
'''


def _span_text(target: Target, span: Span) -> str:
    return MODULE[span.start : span.end]


def test_lists_every_function_with_qualified_names() -> None:
    names = [t.qualname for t in list_functions(MODULE)]
    assert names == [
        "helper", "fetch", "Shape.area", "Shape.area.scale", "Shape.name", "Shape.name",
        "outer", "outer.inner", "conv", "conv", "conv", "guarded",
    ]  # fmt: skip


def test_target_text_covers_whole_lines_with_decorators() -> None:
    t = find_function(MODULE, "fetch", path="mod.py")
    assert t.text == MODULE[t.span.start : t.span.end]
    assert t.text.startswith("@functools.lru_cache(maxsize=None)\n@staticmethod\nasync def fetch")
    assert t.text.endswith("    return data\n")
    assert t.decorators == ("functools.lru_cache(maxsize=None)", "staticmethod")
    assert t.is_async and not t.is_method and not t.is_stub
    assert t.signature == 'async def fetch(url: str = "é") -> str:'
    assert _span_text(t, t.header_span) == t.signature
    assert t.docstring == "Fetch it.\n\nMore words."
    assert _span_text(t, t.docstring_span).startswith('"""Fetch it.')
    assert t.body_text.startswith('    """Fetch it.') and t.body_text == _span_text(t, t.body_span)
    assert t.code_text == "    data = await get(url)\n    return data\n"
    assert (t.line, t.start_line, t.end_line) == (12, 10, 18)
    assert t.indent == "" and t.body_indent == "    " and t.newline == "\n"
    assert t.path == "mod.py" and t.where == "mod.py:12"


def test_comments_before_and_after_stay_outside() -> None:
    t = find_function(MODULE, "helper")
    assert t.text == "def helper(x):  # trailing comment\n    return x + 1\n"
    assert t.signature == "def helper(x):"
    assert t.body_text == "    return x + 1\n"


def test_methods_nested_functions_and_locals_names() -> None:
    area = find_function(MODULE, "Shape.area")
    assert area.is_method and area.indent == "    " and area.body_indent == "        "
    scale = find_function(MODULE, "Shape.area.scale")
    assert not scale.is_method and scale.text == "        def scale(k):\n            return k * 2\n"
    assert find_function(MODULE, "Shape.area.<locals>.scale") == scale
    inner = find_function(MODULE, "outer.inner")
    assert inner.signature == "def inner(a,\n              b=2):"
    assert inner.is_stub and inner.docstring == "Only a docstring."
    assert inner.code_span == Span(inner.span.end, inner.span.end)
    assert find_function(MODULE, "guarded").qualname == "guarded"  # an `if` is not a scope


def test_one_line_body() -> None:
    getter = find_function(MODULE, "Shape.name", occurrence=1)
    assert getter.one_line_body and getter.body_text == ' return "ü"'
    assert getter.body_indent == "        "
    assert not getter.is_stub


@pytest.mark.parametrize(
    ("body", "stub"),
    [
        ("    pass\n", True),
        ("    ...\n", True),
        ('    """Doc."""\n', True),
        ('    """Doc."""\n    pass\n', True),
        ('    """Doc."""\n    # todo\n    ...\n', True),
        ("    raise NotImplementedError\n", True),
        ('    raise NotImplementedError("soon") from None\n', True),
        ('    """Doc."""\n    raise NotImplementedError()\n', True),
        ("    return 1\n", False),
        ("    pass\n    pass\n", False),
        ('    """Doc."""\n    return 1\n', False),
        ("    raise ValueError\n", False),
        ("    if x:\n        pass\n", False),
        ("    x = 1; pass\n", False),
        ('    f"""not a docstring"""\n', False),
    ],
)
def test_is_stub(body: str, stub: bool) -> None:
    assert find_function("def f(x):\n" + body, "f").is_stub is stub


def test_one_line_stub() -> None:
    assert find_function("def f(): ...\n", "f").is_stub
    assert find_function('def f(): "doc"\n', "f").is_stub


def test_duplicates_take_the_last_and_say_so() -> None:
    conv = find_function(MODULE, "conv")
    assert conv.occurrence == 3 and conv.occurrences == 3
    assert "3 definitions of 'conv'" in conv.note and "Python binds" in conv.note
    assert "raise NotImplementedError" in conv.text and conv.is_stub
    first = find_function(MODULE, "conv", occurrence=1)
    assert first.text.startswith("@overload\ndef conv(x: int)") and "took the one on line" in first.note
    assert find_function(MODULE, "conv", occurrence=-2).occurrence == 2
    setter = find_function(MODULE, "Shape.name")
    assert setter.decorators == ("name.setter",)
    with pytest.raises(TargetNotFoundError, match="occurrence 4"):
        find_function(MODULE, "conv", occurrence=4)
    assert find_function(MODULE, "helper").note == ""


@pytest.mark.parametrize(
    ("line", "qualname"),
    [(6, "helper"), (7, "helper"), (10, "fetch"), (17, "fetch"), (26, "Shape.area.scale"),
     (27, "Shape.area"), (29, "Shape.name"), (33, "Shape.name"), (38, "outer.inner"),
     (39, "outer.inner"), (40, "outer"), (48, "conv")],
)  # fmt: skip
def test_innermost_function_around_a_line(line: int, qualname: str) -> None:
    assert find_enclosing_function(MODULE, line).qualname == qualname


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("pkg/mod.py::Class.method", TargetSpec("pkg/mod.py", qualname="Class.method")),
        ("mod.py::outer.<locals>.inner", TargetSpec("mod.py", qualname="outer.inner")),
        ("mod.py::12", TargetSpec("mod.py", line=12)),
        ("mod.py:12", TargetSpec("mod.py", line=12)),
        ("C:/x/mod.py::f", TargetSpec("C:/x/mod.py", qualname="f")),
    ],
)
def test_parse_target_spec(spec: str, expected: TargetSpec) -> None:
    assert parse_target_spec(spec) == expected


@pytest.mark.parametrize("spec", ["mod.py", "::f", "mod.py::", "mod.py::a..b", "mod.py::1x", "mod.py:0"])
def test_bad_target_spec(spec: str) -> None:
    with pytest.raises(TargetSpecError):
        parse_target_spec(spec)


def test_load_target_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_bytes(MODULE.replace("\n", "\r\n").encode("utf-8"))
    target, text = load_target(f"{path}::Shape.area")
    assert text == MODULE.replace("\n", "\r\n") and target.newline == "\r\n"
    assert target.text == text[target.span.start : target.span.end]
    by_line, _ = load_target(f"{path}:{target.line}")
    assert by_line == target


def test_character_offsets_with_non_ascii_and_bom() -> None:
    text = "\ufeff# ü🙂\nx = 'ééé'; y = '🙂'\ndef f(a='ü'):  # 🙂\n    return a + 'é'\n"
    t = find_function(text, "f")
    assert t.text == "def f(a='ü'):  # 🙂\n    return a + 'é'\n"
    assert text[t.span.start : t.span.end] == t.text
    assert text[t.header_span.start : t.header_span.end] == "def f(a='ü'):"
    assert t.code_text == "    return a + 'é'\n"


# -------------------------------------------------------------------------------- bad input


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match="no such file"):
        load_target(f"{tmp_path / 'nope.py'}::f")
    with pytest.raises(SourceFileError, match="is a directory"):
        load_target(f"{tmp_path}::f")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes("x = 1\ns = 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(SourceFileError, match=r"not valid UTF-8 \(byte 0xe9 at offset 14, line 2\)"):
        load_target(f"{path}::f")


def test_target_not_found_lists_near_names() -> None:
    with pytest.raises(
        TargetNotFoundError, match=r"mod\.py: no function 'Shape.aera'; did you mean: Shape\.area"
    ) as info:
        find_function(MODULE, "Shape.aera", path="mod.py")
    assert info.value.near[0] == "Shape.area" and len(info.value.near) <= 5
    with pytest.raises(TargetNotFoundError, match=r"did you mean: Shape\.area"):
        find_function(MODULE, "area")
    with pytest.raises(TargetNotFoundError, match="functions here: helper, fetch"):
        find_function(MODULE, "zzzzzz")
    with pytest.raises(TargetNotFoundError, match="there are no functions"):
        find_function("x = 1\n", "f")
    with pytest.raises(TargetNotFoundError, match="line 2 is not inside a function"):
        find_enclosing_function(MODULE, 2)
    with pytest.raises(TargetNotFoundError, match=r"outside the file \(lines 1-3\)"):
        find_enclosing_function("def f():\n    pass\nx = 1\n", 4)


def test_syntax_error_elsewhere_says_line_and_column() -> None:
    text = "def ok():\n    pass\n\ndef bad(x)\n    return x\n"
    with pytest.raises(SourceSyntaxError, match=r"mod\.py:4:11: syntax error: SyntaxError: expected ':'") as info:
        find_function(text, "ok", path="mod.py")
    assert (info.value.line, info.value.column) == (4, 11)


def test_all_errors_are_coderemask_errors() -> None:
    for cls in (SourceFileError, SourceSyntaxError, TargetNotFoundError, TargetSpecError):
        assert issubclass(cls, CoderemaskError)


def test_a_function_with_its_own_syntax_error_is_found_by_tree_sitter(tmp_path) -> None:
    from coderemask.source import SourceSyntaxError, load_target

    f = tmp_path / "calc.py"
    f.write_text('import os\n\n\ndef add(a, b):\n    """Sum."""\n    return a +* b\n\n\ndef other():\n    return 1\n')
    target, text = load_target(f"{f}::add")
    assert target.text == 'def add(a, b):\n    """Sum."""\n    return a +* b\n'
    assert text[target.code_span.start : target.code_span.end] == "    return a +* b\n"
    assert (target.start_line, target.end_line) == (4, 6) and target.docstring == "Sum."
    assert "does not parse" in target.note
    assert load_target(f"{f}:6")[0].qualname == "add"
    with pytest.raises(SourceSyntaxError):  # the error is not inside `other`
        load_target(f"{f}::other")
