"""The one splice (``Span.splice``, behind ``FileTask.place``): putting a function's new code into its
file keeps every other character of the file identical, in every line-ending and indentation style."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coderemask.source import Target, find_function, list_functions
from coderemask.tasks import problem_from_target

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


@pytest.fixture(params=sorted(STYLES))
def text(request: pytest.FixtureRequest) -> str:
    return STYLES[request.param](BASE)


def _assert_only_span_changed(before: str, after: str, target: Target) -> str:
    """The part of ``after`` that replaced ``target.span``; the rest must be identical."""
    assert after[: target.span.start] == before[: target.span.start]
    tail = before[target.span.end :]
    assert after.endswith(tail)
    return after[target.span.start : len(after) - len(tail)]


def test_placing_the_problem_code_back_is_the_identity(text: str) -> None:
    for target in list_functions(text):
        problem, span = problem_from_target(target, text)
        assert span.splice(text, problem.code) == text


@pytest.mark.parametrize("qualname", ["first", "Box.put", "Box.one", "last"])
def test_a_new_body_changes_only_the_function(text: str, qualname: str) -> None:
    target = find_function(text, qualname)
    problem, span = problem_from_target(target, text)
    indent = target.body_indent if not target.one_line_body else ""
    new_code = problem.region.splice(
        problem.code, f"{indent}return 'ü🙂'{target.newline}" if not target.one_line_body else "return 'ü🙂'"
    )
    after = span.splice(text, new_code)
    inserted = _assert_only_span_changed(text, after, target)
    assert inserted == new_code
    again = find_function(after, qualname)  # the file still parses and holds the new function
    assert "return 'ü🙂'" in again.text and again.indent == target.indent
