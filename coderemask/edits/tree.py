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

from coderemask.signals.units import TextOffsets

_WRAPPER = "if 1:\n"
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def _indented(code: str) -> bool:
    return code[:1] in (" ", "\t")


def parse_code(code: str) -> ast.Module | None:
    """The ``ast`` of a function's text (indented text is parsed inside ``if 1:``), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(_WRAPPER + code if _indented(code) else code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass(frozen=True)
class Compiled:
    """A text parsed and compiled once: its tree, and the SyntaxWarnings the parser and the
    compiler gave (``True[0]``, ``"a"(x)``, ``x is 1``: code that fails whenever it runs; and
    harmless ones such as an invalid escape sequence, which a checker compares with the
    original's)."""

    tree: ast.Module
    warnings: frozenset[str]

    @property
    def key(self) -> str:
        """Equal for texts with the same syntax tree (spacing, comments and quotes ignored)."""
        return ast.dump(self.tree)


def compile_code(code: str) -> Compiled | None:
    """Parse and compile a function's text (indented method text too); None if either fails."""
    text = _WRAPPER + code if _indented(code) else code
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SyntaxWarning)
        try:
            tree = ast.parse(text)
            compile(tree, "<candidate>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
            return None
    return Compiled(tree, frozenset(str(w.message) for w in caught if issubclass(w.category, SyntaxWarning)))


@dataclass
class FunctionTree:
    """A parsed function: its node, positions and parents, and the names it binds."""

    code: str
    func: ast.FunctionDef | ast.AsyncFunctionDef
    line_shift: int
    offsets: TextOffsets
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    @classmethod
    def parse(cls, code: str, tree: ast.Module | None = None) -> FunctionTree | None:
        """None when the text does not parse or holds no function (``tree``: its ast, if parsed)."""
        tree = tree if tree is not None else parse_code(code)
        if tree is None:
            return None
        shift = 1 if _indented(code) else 0
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
        stack: list[ast.AST] = list(reversed(self.func.body))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, ast.JoinedStr):
                stack.extend(reversed(list(ast.iter_child_nodes(node))))

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
        return {n for n in self.bound_names() if n not in read and n not in ("self", "cls") and not n.startswith("_")}


def loaded_names(tree: ast.AST) -> set[str]:
    """Names a tree reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
