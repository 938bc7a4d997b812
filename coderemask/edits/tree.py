"""One function's syntax tree with character positions: what the edit families walk.

``FunctionTree.parse`` accepts a function's text as it stands in its file (a method is
indented); ``ast`` positions (UTF-8 byte columns) become character offsets of that text.
This module knows ``ast`` and text; it does not know models, tests or edits.
"""

from __future__ import annotations

import ast
import builtins
import warnings
from dataclasses import dataclass, field
from typing import Iterator

from ..signals.units import TextOffsets

_WRAPPER = "if 1:\n"
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
          ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def parse_code(code: str) -> ast.Module | None:
    """The ``ast`` of a function's text (indented text is parsed inside ``if 1:``), or None."""
    try:
        if code[:1] in (" ", "\t"):
            return ast.parse(_WRAPPER + code)
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def compiles(code: str) -> bool:
    """True when the text compiles (indented method text too) without a SyntaxWarning: the
    compiler warns only of code that fails whenever it runs (``True[0]``, ``"a"(x)``, ``x is 1``)."""
    text = _WRAPPER + code if code[:1] in (" ", "\t") else code
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        try:
            compile(text, "<candidate>", "exec", dont_inherit=True)
            return True
        except (SyntaxError, SyntaxWarning, ValueError, RecursionError, MemoryError, OverflowError):
            return False


@dataclass
class FunctionTree:
    """A parsed function: its node, positions and parents, and the names it binds."""

    code: str
    func: ast.FunctionDef | ast.AsyncFunctionDef
    line_shift: int
    offsets: TextOffsets
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    @classmethod
    def parse(cls, code: str) -> FunctionTree | None:
        """None when the text does not parse or holds no function."""
        tree = parse_code(code)
        if tree is None:
            return None
        shift = 1 if code[:1] in (" ", "\t") else 0
        func = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
        if func is None:
            return None
        parents = {child: node for node in ast.walk(func) for child in ast.iter_child_nodes(node)}
        return cls(code, func, shift, TextOffsets(code), parents)

    # ------------------------------------------------------------------ positions

    def line(self, node: ast.AST) -> int:
        """1-based line of ``node``'s start in the function's text."""
        return node.lineno - self.line_shift  # type: ignore[attr-defined]

    def end_line(self, node: ast.AST) -> int:
        return node.end_lineno - self.line_shift  # type: ignore[attr-defined]

    def _char(self, line: int, col: int) -> int:
        o = self.offsets
        return o.char(o.byte(o.line_starts[line - 1]) + col)

    def start(self, node: ast.AST) -> int:
        return self._char(self.line(node), node.col_offset)  # type: ignore[attr-defined]

    def stop(self, node: ast.AST) -> int:
        return self._char(self.end_line(node), node.end_col_offset)  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        return self.code[self.start(node) : self.stop(node)]

    def line_bounds(self, line: int) -> tuple[int, int]:
        """Characters of 1-based ``line``: from its start to its end (line break excluded)."""
        o = self.offsets
        return o.line_starts[line - 1], o.line_end(line)

    def indent_of(self, line: int) -> str:
        a, b = self.line_bounds(line)
        text = self.code[a:b]
        return text[: len(text) - len(text.lstrip())]

    # ------------------------------------------------------------------ walking

    def nodes(self) -> Iterator[ast.AST]:
        """Nodes of the body in pre-order (f-strings not entered: their inner positions are unreliable)."""
        stack = list(reversed(self.func.body))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, ast.JoinedStr):
                stack.extend(reversed(list(ast.iter_child_nodes(node))))

    def statement_of(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    def bound_names(self) -> set[str]:
        """Parameters and every name the function stores (nested scopes included: a candidate may read them)."""
        a = self.func.args
        names = {x.arg for x in (*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg) if x is not None}
        for node in ast.walk(self.func):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not self.func:
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((al.asname or al.name).split(".")[0] for al in node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
        return names

    def unused_names(self) -> set[str]:
        """Parameters and locals the function binds but never reads (``self``/``cls`` and ``_``
        names aside): a linter's warning, and a hint that a read elsewhere names the wrong one."""
        read = {n.id for n in ast.walk(self.func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        return {n for n in self.bound_names() if n not in read and n not in ("self", "cls")
                and not n.startswith("_")}

    def parameters(self) -> list[str]:
        a = self.func.args
        return [x.arg for x in (*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg) if x is not None]


def loaded_names(code: str) -> set[str] | None:
    """Names a text reads (None if it does not parse)."""
    tree = parse_code(code)
    if tree is None:
        return None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def tree_key(code: str) -> str | None:
    """A key equal for texts with the same syntax tree (spacing, comments and quotes ignored)."""
    tree = parse_code(code)
    return None if tree is None else ast.dump(tree)
