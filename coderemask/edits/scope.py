"""What a candidate may name: the module's names, the attributes it uses, and builtins that fit.

``ModuleScope.of(text)`` reads a module once (the function's file, or just the function when
there is no file). An edit family asks it for names to try in place of a wrong one; the
search's static check asks it whether a name a candidate reads is defined anywhere.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from coderemask.edits.tree import BUILTIN_NAMES

CALLABLE_BUILTINS: tuple[str, ...] = (
    "min",
    "max",
    "len",
    "sum",
    "abs",
    "any",
    "all",
    "sorted",
    "reversed",
    "list",
    "set",
    "tuple",
    "dict",
    "str",
    "int",
    "float",
    "bool",
    "round",
    "range",
    "enumerate",
    "zip",
    "isinstance",
    "map",
    "filter",
    "repr",
    "ord",
    "chr",
    "divmod",
    "pow",
    "iter",
    "next",
    "type",
    "print",
    "hash",
    "id",
    "callable",
    "getattr",
    "hasattr",
    "setattr",
    "format",
)
"""Builtins an identifier edit may call instead of a wrong callee (``min`` for ``max``, ...)."""

LOOK_ALIKE_METHODS: tuple[tuple[str, ...], ...] = (
    ("startswith", "endswith"),
    ("lower", "upper", "casefold"),
    ("lstrip", "rstrip", "strip"),
    ("append", "extend", "add"),
    ("keys", "values", "items"),
    ("index", "find", "count"),
    ("pop", "popleft", "popitem"),
    ("split", "rsplit", "splitlines"),
    ("remove", "discard"),
    ("get", "setdefault", "pop"),
    ("insert", "append"),
    ("appendleft", "append"),
    ("sort", "reverse"),
    ("isdigit", "isalpha", "isalnum", "isspace"),
    ("update", "add"),
)
"""Method names people confuse; an attribute edit tries the others of the same group."""


@dataclass
class ModuleScope:
    """Names bound at module level (defs, classes, assignments, imports) and attribute names
    used on any object (most used first)."""

    names: frozenset[str] = frozenset()
    attributes: tuple[str, ...] = ()
    functions: frozenset[str] = field(default_factory=frozenset)
    numbers: tuple[int, ...] = ()
    """Integer literals of the module other than 0 and 1, most used first."""
    unary_calls: tuple[str, ...] = ()
    """Callees the module calls with one argument (``math.ceil``, ``sorted``), most used first:
    what a wrap may put around an expression besides the builtins."""
    statements: tuple[str, ...] = ()
    """One-line simple statements of the module (calls, assignments, augmented assignments),
    stripped: the ingredients an inserted statement may copy (most shared names first is the
    family's business)."""

    @classmethod
    def of(cls, text: str) -> ModuleScope:
        """The scope of a module's text (empty when it does not parse)."""
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return cls()
        names: set[str] = set()
        functions: set[str] = set()
        for top in tree.body:
            for sub in ast.walk(top) if isinstance(top, (ast.If, ast.Try, ast.With)) else (top,):
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(sub.name)
                    functions.add(sub.name)
                elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                    names.update((al.asname or al.name).split(".")[0] for al in sub.names if al.name != "*")
                elif isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                    targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                    for target in targets:
                        names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        attributes = Counter(n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute))
        for node in ast.walk(tree):  # methods and class attributes are attributes too
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        attributes[item.name] += 1
                    elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                        for target in item.targets if isinstance(item, ast.Assign) else [item.target]:
                            if isinstance(target, ast.Name):
                                attributes[target.id] += 1
        numbers = Counter(
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and type(n.value) is int and n.value not in (0, 1)
        )
        unary = Counter(
            ast.unparse(n.func)
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and len(n.args) == 1
            and not n.keywords
            and isinstance(n.func, (ast.Name, ast.Attribute))
            and not isinstance(n.args[0], ast.Starred)
        )
        statements = []
        for node in ast.walk(tree):
            if (
                isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign))
                and node.lineno == node.end_lineno
                and not (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call))
            ):
                statements.append((ast.get_source_segment(text, node) or ast.unparse(node)).strip())
        return cls(
            frozenset(names),
            tuple(a for a, _ in attributes.most_common()),
            frozenset(functions),
            tuple(n for n, _ in numbers.most_common()),
            tuple(u for u, _ in unary.most_common()),
            tuple(dict.fromkeys(statements)),
        )

    def defines(self, name: str) -> bool:
        return name in self.names or name in BUILTIN_NAMES

    def look_alikes(self, method: str) -> list[str]:
        """Other names of ``method``'s look-alike groups."""
        return [m for group in LOOK_ALIKE_METHODS if method in group for m in group if m != method]
