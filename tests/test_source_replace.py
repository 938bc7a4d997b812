"""Replacing a function or its body keeps every other character of the file identical."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from coderemask.source import (
    Target,
    find_function,
    list_functions,
    replace_body,
    replace_function,
)

BASE = '''#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Grüße: non-ASCII 🙂 everywhere."""

CONSTANT = "é"   

# comment before first
def first(a, b):   
    # inside, trailing spaces after this   
    return a + b  # sum
# comment right after first (column 0)


class Box:
    """Holds things."""

    # comment before method
    @staticmethod
    def put(thing, where="ü"):
        """Put it.

        Doc lines stay as they are.
        """
        text = """multi
line string
"""
        return (thing, where, text)
        # trailing comment inside the class

    def one(self): return 1


def last():
    pass'''

STYLES: dict[str, Callable[[str], str]] = {
    "lf": lambda t: t + "\n",
    "crlf": lambda t: (t + "\n").replace("\n", "\r\n"),
    "tabs": lambda t: (t + "\n").replace("    ", "\t"),
    "no_final_newline": lambda t: t,
    "bom_crlf_no_final_newline": lambda t: "\ufeff" + t.replace("\n", "\r\n"),
}

NEW_FUNCTION = {
    "first": "def first(a, b):\n    return a * b\n",
    "Box.put": '@staticmethod\ndef put(thing, where="ü"):\n    s = """keep\nthis"""\n    return s\n',
    "Box.one": "def one(self):\n    return 'ü🙂'\n",
    "last": "def last():\n    return None\n\n\n",
}


@pytest.fixture(params=sorted(STYLES))
def text(request: pytest.FixtureRequest) -> str:
    return STYLES[request.param](BASE)


def _assert_only_span_changed(before: str, after: str, target: Target) -> str:
    """The part of ``after`` that replaced ``target.span``; the rest must be identical."""
    assert after[: target.span.start] == before[: target.span.start]
    tail = before[target.span.end :]
    assert after.endswith(tail)
    return after[target.span.start : len(after) - len(tail)]


def test_replacing_with_the_same_text_is_the_identity(text: str) -> None:
    for target in list_functions(text):
        assert replace_function(text, target, target.text) == text
        assert replace_body(text, target, target.code_text) == text
        assert replace_body(text, target, target.body_text, keep_docstring=False) == text


@pytest.mark.parametrize("qualname", sorted(NEW_FUNCTION))
def test_replace_function_keeps_the_rest_identical(text: str, qualname: str) -> None:
    target = find_function(text, qualname)
    after = replace_function(text, target, NEW_FUNCTION[qualname])
    inserted = _assert_only_span_changed(text, after, target)
    assert set(re.findall(r"\r\n|\r|\n", inserted)) == {target.newline}
    assert inserted.endswith(target.newline) is target.text.endswith(target.newline)
    again = find_function(after, qualname)  # the result parses and holds the new function
    assert again.indent == target.indent
    assert again.text == inserted


def test_reindent_leaves_string_interiors_alone() -> None:
    text = STYLES["lf"](BASE)
    target = find_function(text, "Box.put")
    after = replace_function(text, target, NEW_FUNCTION["Box.put"])
    assert '    @staticmethod\n    def put(thing, where="ü"):\n        s = """keep\nthis"""\n' in after
    # Already at the right depth, or deeper: shifted as a whole.
    deeper = "\n".join("        " + line for line in NEW_FUNCTION["Box.one"].splitlines())
    assert "    def one(self):\n        return 'ü🙂'\n" in replace_function(
        text, find_function(text, "Box.one"), deeper
    )
    # reindent=False takes the text as given.
    raw = replace_function(text, target, "def put(): pass\n", reindent=False)
    assert "\ndef put(): pass\n" in raw


def test_replace_body_keeps_header_and_docstring(text: str) -> None:
    target = find_function(text, "Box.put")
    after = replace_body(text, target, "return thing\n")
    assert after[: target.code_span.start] == text[: target.code_span.start]
    assert after.endswith(text[target.code_span.end :])
    again = find_function(after, "Box.put")
    assert again.docstring == target.docstring
    assert again.code_text == target.body_indent + "return thing" + target.newline


def test_replace_body_without_docstring(text: str) -> None:
    target = find_function(text, "Box.put")
    after = replace_body(text, target, "    return thing", keep_docstring=False)
    again = find_function(after, "Box.put")
    assert again.docstring is None and again.body_text.strip() == "return thing"


def test_replace_one_line_body_moves_it_to_its_own_lines(text: str) -> None:
    target = find_function(text, "Box.one")
    after = replace_body(text, target, "x = 1\nreturn x")
    nl, ind = target.newline, target.body_indent
    assert f"def one(self):{nl}{ind}x = 1{nl}{ind}return x{nl}" in after
    assert not find_function(after, "Box.one").one_line_body


def test_replace_body_at_end_of_file(text: str) -> None:
    target = find_function(text, "last")
    after = replace_body(text, target, "return 42\n")
    end = target.newline if text.endswith(target.newline) else ""
    assert after == text[: target.body_span.start] + target.body_indent + "return 42" + end
    assert find_function(after, "last").code_text.strip() == "return 42"


def test_one_line_body_stays_on_its_line_when_the_new_body_is_one_line() -> None:
    text = 'def f(): return 1  # one\ndef g(): "Doc."; ...\n'
    assert (
        replace_body(text, find_function(text, "f"), "return 2")
        == 'def f(): return 2\ndef g(): "Doc."; ...\n'
    )
    assert (
        replace_body(text, find_function(text, "g"), "pass")
        == 'def f(): return 1  # one\ndef g(): "Doc."; pass\n'
    )


@pytest.mark.parametrize("final_newline", [True, False])
def test_fill_a_docstring_only_stub(final_newline: bool) -> None:
    text = 'def f(x):\n    """Double x."""' + ("\n" if final_newline else "")
    target = find_function(text, "f")
    assert target.is_stub and target.code_text == ""
    after = replace_body(text, target, "return 2 * x")
    assert after == 'def f(x):\n    """Double x."""\n    return 2 * x' + ("\n" if final_newline else "")
    one_liner = 'def g(): "Doc."\nx = 1\n'
    filled = replace_body(one_liner, find_function(one_liner, "g"), "return 1")
    assert filled == 'def g():\n    "Doc."\n    return 1\nx = 1\n'
