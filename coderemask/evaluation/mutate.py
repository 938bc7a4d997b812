"""Plant single-point bugs in one function, and build a bug set from HumanEval-format tasks.

A mutation operator (a class in ``MUTATORS``, chosen by name) proposes ``Edit``s: replace the
characters ``source[start:end]`` by a new text. Positions come from ``ast`` (column offsets are
UTF-8 bytes, converted to characters by ``TextOffsets``), so every character outside the edit
stays as written: comments, spacing, quotes. Only the body of the named function is touched,
and only at or after ``region_start`` (for a task: the canonical solution, after the prompt).
A mutant is kept when it parses and its tree differs from the original's and from every
earlier mutant's (``ast.dump``), so equal programs written differently count once.

``make_bugs`` runs the canonical solution and chosen mutants against each task's ``check``
through the sandbox (or the runner it is given) and keeps, per task, up to ``per_task``
mutants that fail, round-robin over the mutation types in an order drawn from the seed.
The result depends only on the seed, the tasks and the test outcomes. Time is the one way two
runs can differ: canonical solutions get ``CANONICAL_SLACK`` x ``timeout``, and a task's mutants
``max(timeout, SLOW_FACTOR x`` its canonical solution's seconds), so a verdict flips only for a
mutant that runs about that much longer than the solution. Mutants that time out, crash or
exhaust memory are dropped, not kept as bugs.

This module does not read or write task files (``datasets.py`` does), know models or the CLI,
nor judge whether a mutant is "realistic" beyond the operator's own rules.
"""

from __future__ import annotations

import ast
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any, ClassVar

from coderemask.errors import CoderemaskError, ConfigError
from coderemask.evaluation.datasets import Task
from coderemask.signals.sandbox import Candidate, CandidateResult, run_batch
from coderemask.signals.units import TextOffsets

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


class MutationError(CoderemaskError):
    """The source does not parse, or has no function of the given name."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` (character offsets) with ``text``."""

    start: int
    end: int
    text: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.text + source[self.end :]


@dataclass(frozen=True)
class Mutant:
    """One mutated program: its operator, the edit, and the lines around it before and after.

    ``line`` is the 1-based line of the edit's start (the same in both texts; for deleted lines,
    the line after them in the mutant, one past its end when they were last); ``original`` and
    ``mutated`` are the touched lines, stripped ('' when whole lines were deleted).
    """

    kind: str
    source: str
    edit: Edit
    line: int
    original: str
    mutated: str


# ----------------------------------------------------------------------------------- the site


def _children(node: ast.AST) -> Iterator[ast.AST]:
    """Pre-order descendants; f-strings are not entered (their inner positions are unreliable < 3.12)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.JoinedStr):
            continue
        yield child
        yield from _children(child)


def _bindings(node: ast.AST) -> Iterator[ast.Name]:
    """Names stored in ``node``'s own scope (nested functions, classes and comprehensions skipped)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            yield child
        if not isinstance(child, _SCOPES):
            yield from _bindings(child)


class Site:
    """The function being mutated: text, positions, parents and the names bound in its scope."""

    def __init__(self, source: str, func: FunctionNode, region_start: int = 0) -> None:
        self.source, self.func, self.region_start = source, func, region_start
        self.offsets = TextOffsets(source)
        self.end = self.line_span(func)[1]  # edits end at most at the line break after the function
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(func):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        # Pre-order; edits before region_start are dropped by ``mutants``.
        self.nodes: list[ast.AST] = [n for stmt in func.body for n in (stmt, *_children(stmt))]
        args = func.args
        # name -> character offset from which it is bound (parameters: before the body)
        self.bound_from: dict[str, int] = {}
        for a in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if a is not None:
                self.bound_from.setdefault(a.arg, -1)
        for name in _bindings(func):
            self.bound_from[name.id] = min(self.bound_from.get(name.id, len(source)), self._bound_at(name))

    def _bound_at(self, name: ast.Name) -> int:
        """Where a stored name can first be read: a loop's or with's body, else after the statement."""
        stmt: ast.AST = name
        while not isinstance(stmt, ast.stmt):
            stmt = self.parents[stmt]
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            return self.start(stmt.body[0])
        return self.stop(stmt)

    def _char(self, line: int, col: int) -> int:
        return self.offsets.char(self.offsets.byte(self.offsets.line_starts[line - 1]) + col)

    def start(self, node: ast.AST) -> int:
        return self._char(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def stop(self, node: ast.AST) -> int:
        return self._char(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        return self.source[self.start(node) : self.stop(node)]

    def of_type(self, *types: type) -> Iterator[Any]:
        return (n for n in self.nodes if isinstance(n, types))

    @cached_property
    def module(self) -> ast.Module:
        """The whole source's tree (for names used outside the function)."""
        return ast.parse(self.source)

    def is_called(self, node: ast.AST) -> bool:
        """Whether ``node`` is the callee of a call."""
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and parent.func is node

    def names_before(self, offset: int) -> list[str]:
        """Names of the function's scope bound before ``offset`` (parameters always)."""
        return [name for name, at in self.bound_from.items() if at < offset]

    def line_span(self, node: ast.AST) -> tuple[int, int]:
        """From the start of ``node``'s first line to the start of the line after its last."""
        starts = self.offsets.line_starts
        first, last = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        return starts[first - 1], starts[last] if last < len(starts) else len(self.source)


def _wrap(site: Site, node: ast.AST, loose: tuple[type, ...]) -> str:
    """The node's text, in parentheses when it binds more loosely than its new neighbour."""
    text = site.text(node)
    return f"({text})" if isinstance(node, loose) else text


# Binds more loosely than `not` (in a test position) / than `+`.
_LOOSER_THAN_NOT = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)
_LOOSER_THAN_ADD = (*_LOOSER_THAN_NOT, ast.Compare, ast.UnaryOp)


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_number(node: ast.AST) -> bool:
    """An int or float literal, maybe signed."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _builtin(site: Site, call: ast.Call) -> str | None:
    """The callee's name when it is a plain name the function does not bind (a builtin, as a rule)."""
    func = call.func
    if isinstance(func, ast.Name) and func.id not in site.bound_from and site.text(func) == func.id:
        return func.id
    return None


def _operator_span(source: str, start: int, end: int) -> tuple[int, int] | None:
    """The operator between two operands: the gap's text less spaces, parentheses and comments."""
    first = last = None
    i = start
    while i < end:
        c = source[i]
        if c == "#":
            i = min((j for j in (source.find("\n", i, end), source.find("\r", i, end)) if j >= 0), default=end)
            continue
        if c not in " \t\f\r\n\\()":
            first = i if first is None else first
            last = i + 1
        i += 1
    return None if first is None else (first, last)  # type: ignore[return-value]


# ------------------------------------------------------------------------------ the registry


class Mutator:
    """A mutation operator: every single-point edit of one kind in a function."""

    name: ClassVar[str]
    description: ClassVar[str]

    def edits(self, site: Site) -> Iterator[Edit]:
        raise NotImplementedError


MUTATORS: dict[str, Mutator] = {}


def register(cls: type[Mutator]) -> type[Mutator]:
    """Class decorator: add one instance of the operator to ``MUTATORS`` under ``cls.name``."""
    MUTATORS[cls.name] = cls()
    return cls


def get_mutators(names: Iterable[str] | None = None) -> list[Mutator]:
    """The named operators in registry order (all when ``names`` is None); ConfigError if unknown."""
    if names is None:
        return list(MUTATORS.values())
    wanted = {n.strip() for n in names if n.strip()}
    unknown = sorted(wanted - MUTATORS.keys())
    if unknown:
        raise ConfigError(
            f"unknown mutation type{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(MUTATORS)}"
        )
    if not wanted:
        raise ConfigError(f"no mutation type given; known: {', '.join(MUTATORS)}")
    return [m for name, m in MUTATORS.items() if name in wanted]


def parse_types(spec: str) -> list[str]:
    """``"op_swap, off_by_one"`` -> checked names in registry order."""
    return [m.name for m in get_mutators(spec.split(","))]


# ------------------------------------------------------------------------------- the operators

_Swaps = dict[type[ast.AST], tuple[str, tuple[str, ...]]]  # operator -> (its symbol, what it may become)
_COMPARE: _Swaps = {
    ast.Lt: ("<", ("<=", ">")),
    ast.LtE: ("<=", ("<", ">=")),
    ast.Gt: (">", (">=", "<")),
    ast.GtE: (">=", (">", "<=")),
    ast.Eq: ("==", ("!=",)),
    ast.NotEq: ("!=", ("==",)),
    ast.Is: ("is", ("is not",)),
    ast.IsNot: ("is not", ("is",)),
    ast.In: ("in", ("not in",)),
    ast.NotIn: ("not in", ("in",)),
}
_ARITHMETIC: _Swaps = {
    ast.Add: ("+", ("-",)),
    ast.Sub: ("-", ("+",)),
    ast.Mult: ("*", ("+", "/")),
    ast.Div: ("/", ("//", "*")),
    ast.FloorDiv: ("//", ("/", "%")),
    ast.Mod: ("%", ("//",)),
    ast.Pow: ("**", ("*",)),
    ast.BitAnd: ("&", ("|",)),
    ast.BitOr: ("|", ("&",)),
    ast.LShift: ("<<", (">>",)),
    ast.RShift: (">>", ("<<",)),
}
_BOOLEAN: _Swaps = {ast.And: ("and", ("or",)), ast.Or: ("or", ("and",))}


@register
class OperatorSwap(Mutator):
    name = "op_swap"
    description = "a comparison, arithmetic (also augmented) or boolean operator replaced by a near one"

    def _pairs(self, site: Site) -> Iterator[tuple[int, int, ast.AST, str]]:
        """(gap start, gap end, op, extra suffix) for each binary operator in the function."""
        for node in site.nodes:
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                for op, (a, b) in zip(node.ops, pairwise(operands)):
                    yield site.stop(a), site.start(b), op, ""
            elif isinstance(node, ast.BinOp):
                yield site.stop(node.left), site.start(node.right), node.op, ""
            elif isinstance(node, ast.BoolOp):
                for a, b in pairwise(node.values):
                    yield site.stop(a), site.start(b), node.op, ""
            elif isinstance(node, ast.AugAssign):
                yield site.stop(node.target), site.start(node.value), node.op, "="

    def edits(self, site: Site) -> Iterator[Edit]:
        table = {**_COMPARE, **_ARITHMETIC, **_BOOLEAN}
        for gap_start, gap_end, op, suffix in self._pairs(site):
            if type(op) not in table:
                continue
            symbol, swaps = table[type(op)]
            span = _operator_span(site.source, gap_start, gap_end)
            if span is None or " ".join(site.source[span[0] : span[1]].split()) != symbol + suffix:
                continue
            for swap in swaps:
                yield Edit(span[0], span[1], swap + suffix)


def _bounds(site: Site) -> Iterator[ast.expr]:
    """The start and stop of each range() call and the lower and upper bound of each slice."""
    for node in site.nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            yield from node.args[:2]
        elif isinstance(node, ast.Slice):
            yield from (b for b in (node.lower, node.upper) if b is not None)


@register
class OffByOne(Mutator):
    name = "off_by_one"
    description = "an integer literal, a range() bound or a slice bound moved by one"

    def edits(self, site: Site) -> Iterator[Edit]:
        for node in site.of_type(ast.Constant):
            if _is_int(node):
                start, stop = site.start(node), site.stop(node)
                yield Edit(start, stop, str(node.value + 1))
                if node.value >= 1:
                    yield Edit(start, stop, str(node.value - 1))
        for bound in _bounds(site):
            if _is_int(bound) or (isinstance(bound, ast.BinOp) and _is_int(bound.right)):
                continue  # the literal itself is moved above
            text = _wrap(site, bound, _LOOSER_THAN_ADD)
            for delta in (" + 1", " - 1"):
                yield Edit(site.start(bound), site.stop(bound), text + delta)


@register
class WrongVariable(Mutator):
    name = "wrong_variable"
    description = "a variable read replaced by another name bound earlier in the function"

    def edits(self, site: Site) -> Iterator[Edit]:
        for node in site.of_type(ast.Name):
            parent = site.parents.get(node)
            if (
                not isinstance(node.ctx, ast.Load)
                or node.id not in site.bound_from
                or (isinstance(parent, ast.Call) and parent.func is node)
            ):
                continue
            start = site.start(node)
            for other in site.names_before(start):
                if other != node.id:
                    yield Edit(start, site.stop(node), other)


def _condition_tests(site: Site, *, filters: bool) -> Iterator[ast.expr]:
    """The tests of ``if``/``while``/conditional expressions (and comprehension filters)."""
    for node in site.nodes:
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield node.test
        elif filters and isinstance(node, ast.comprehension):
            yield from node.ifs


@register
class NegateCondition(Mutator):
    name = "negate_condition"
    description = "the test of an if, while or conditional expression negated (or its `not` removed)"

    def edits(self, site: Site) -> Iterator[Edit]:
        for test in _condition_tests(site, filters=False):
            start, stop = site.start(test), site.stop(test)
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                yield Edit(start, stop, _wrap(site, test.operand, (ast.IfExp, ast.Lambda, ast.NamedExpr)))
            elif isinstance(test, _LOOSER_THAN_NOT):
                yield Edit(start, stop, f"not ({site.text(test)})")
            else:
                yield Edit(start, start, "not ")


@register
class DropCondition(Mutator):
    name = "drop_condition"
    description = "an if guard or comprehension filter made True, or one clause of its and/or dropped"

    def edits(self, site: Site) -> Iterator[Edit]:
        for test in _condition_tests(site, filters=True):
            owner = site.parents.get(test)
            if not isinstance(owner, ast.While | ast.IfExp) and not isinstance(test, ast.Constant):
                yield Edit(site.start(test), site.stop(test), "True")
            if isinstance(test, ast.BoolOp):
                values = test.values
                yield Edit(site.start(values[0]), site.start(values[1]), "")
                for before, value in pairwise(values):
                    yield Edit(site.stop(before), site.stop(value), "")


@register
class WrongReturn(Mutator):
    name = "wrong_return"
    description = "a returned value replaced by another bound name or a literal (True <-> False)"

    @staticmethod
    def _literals(value: ast.expr) -> tuple[str, ...]:
        if isinstance(value, ast.Constant):
            return (str(not value.value),) if isinstance(value.value, bool) else ()
        if isinstance(value, (ast.Compare, ast.BoolOp)) or (
            isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
        ):
            return ("True", "False")
        return ("None",)

    def edits(self, site: Site) -> Iterator[Edit]:
        for node in site.of_type(ast.Return):
            if node.value is None:
                continue
            value, start = node.value, site.start(node)
            old = site.text(value)
            is_bool = isinstance(value, ast.Constant) and isinstance(value.value, bool)
            for new in (*(() if is_bool else site.names_before(start)), *self._literals(value)):
                if new != old:
                    yield Edit(site.start(value), site.stop(value), new)


@register
class SwapArguments(Mutator):
    name = "swap_args"
    description = "two neighbouring positional arguments of a call swapped"

    def edits(self, site: Site) -> Iterator[Edit]:
        for call in site.of_type(ast.Call):
            for a, b in pairwise(call.args):
                if isinstance(a, ast.Starred) or isinstance(b, ast.Starred):
                    continue
                ta, tb = site.text(a), site.text(b)
                if ta != tb:
                    gap = site.source[site.stop(a) : site.start(b)]
                    yield Edit(site.start(a), site.stop(b), tb + gap + ta)


_SIMPLE = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.Return,
    ast.Break,
    ast.Continue,
    ast.Raise,
    ast.Delete,
)


@register
class MissingStatement(Mutator):
    name = "missing_statement"
    description = "one simple statement deleted (replaced by `pass` when its block would be empty)"

    def _blocks(self, site: Site) -> Iterator[list[ast.stmt]]:
        for node in (site.func, *site.nodes):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield block

    def edits(self, site: Site) -> Iterator[Edit]:
        for block in self._blocks(site):
            for stmt in block:
                if (
                    not isinstance(stmt, _SIMPLE)
                    or site.start(stmt) < site.region_start
                    or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
                ):
                    continue
                start, stop = site.start(stmt), site.stop(stmt)
                if len(block) == 1:
                    yield Edit(start, stop, "pass")
                    continue
                line_start, line_stop = site.line_span(stmt)
                before = site.source[line_start:start]
                after = site.source[stop:line_stop].strip()
                if not before.strip() and (not after or after.startswith("#")):
                    yield Edit(line_start, line_stop, "")


# Builtins swapped for one of the same shape: same arguments, same kind of result. Left out on
# purpose: sorted/reversed (a list vs an iterator), sum/len and ord/chr (other types).
_BUILTIN_LOOK_ALIKES = {
    "min": ("max",),
    "max": ("min",),
    "any": ("all",),
    "all": ("any",),
    "round": ("int",),
    "int": ("round",),
}
_NUMERIC_OPS = (ast.Sub, ast.Mult, ast.Div, ast.Pow)  # not +, % (strings) nor // (already an int)


def _numeric(node: ast.expr) -> bool:
    """Surely a number, never a string: arithmetic, a float literal, a float() or math.*() call."""
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _NUMERIC_OPS)
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "float") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "math"
        )
    return isinstance(node, ast.Constant) and type(node.value) is float


@register
class WrongBuiltin(Mutator):
    """``min`` <-> ``max`` and ``any`` <-> ``all`` in any call; ``round(x)`` -> ``int(x)`` and
    ``int(x)`` -> ``round(x)`` with one argument, for ``int`` only a surely numeric one (``int(s)``
    of a string would just crash). Names the function binds are not builtins and are skipped."""

    name = "wrong_builtin"
    description = "a builtin call replaced by a look-alike: min <-> max, any <-> all, int(x) <-> round(x)"

    def edits(self, site: Site) -> Iterator[Edit]:
        for call in site.of_type(ast.Call):
            name = _builtin(site, call)
            if name not in _BUILTIN_LOOK_ALIKES:
                continue
            if name in ("int", "round") and (
                len(call.args) != 1
                or call.keywords
                or isinstance(call.args[0], ast.Starred)
                or (name == "int" and not _numeric(call.args[0]))
            ):
                continue
            for other in _BUILTIN_LOOK_ALIKES[name]:
                yield Edit(site.start(call.func), site.stop(call.func), other)


# Look-alike methods of str, list, dict and math, each name with the ones it is mistaken for.
_METHOD_LOOK_ALIKES = {
    "startswith": ("endswith",),
    "endswith": ("startswith",),
    "lower": ("upper",),
    "upper": ("lower",),
    "islower": ("isupper",),
    "isupper": ("islower",),
    "lstrip": ("rstrip",),
    "rstrip": ("lstrip",),
    "append": ("extend",),
    "extend": ("append",),
    "keys": ("values",),
    "values": ("keys",),
    "index": ("find",),
    "find": ("index", "rfind"),
    "rfind": ("find",),
    "floor": ("ceil",),
    "ceil": ("floor",),
}


@register
class WrongAttribute(Mutator):
    """``obj.a`` -> ``obj.b`` for each other name ``b`` the module's source uses after a dot the same
    way: not called, on any object (``p.x`` -> ``p.y``); called, on an object of the same text
    (``self.f()`` -> ``self.g()``, ``math.floor()`` -> ``math.sqrt()``, not ``s.split()`` ->
    ``s.append()`` for ``xs.append()``). And the look-alikes in ``_METHOD_LOOK_ALIKES``, whether the
    source uses them or not. Dunder names are neither replaced nor used."""

    name = "wrong_attribute"
    description = "an attribute or method name replaced by another the source uses alike, or a look-alike method"

    @staticmethod
    def _used(module: ast.Module) -> tuple[list[str], dict[str, set[str]]]:
        """Attribute names in the module in order of first use: not called, and called (with their objects)."""
        callees = {id(n.func) for n in ast.walk(module) if isinstance(n, ast.Call)}
        data: dict[str, None] = {}
        methods: dict[str, set[str]] = {}
        for node in ast.walk(module):
            if isinstance(node, ast.Attribute) and not node.attr.startswith("__"):
                if id(node) in callees:
                    methods.setdefault(node.attr, set()).add(ast.dump(node.value))
                else:
                    data[node.attr] = None
        return list(data), methods

    @staticmethod
    def _others(node: ast.Attribute, called: bool, data: list[str], methods: dict[str, set[str]]) -> Iterator[str]:
        """The names that may replace ``node.attr`` (may repeat it)."""
        yield from _METHOD_LOOK_ALIKES.get(node.attr, ())
        if not called:
            yield from data
            return
        obj = ast.dump(node.value)
        yield from (other for other, objects in methods.items() if obj in objects)

    def edits(self, site: Site) -> Iterator[Edit]:
        data, methods = self._used(site.module)
        for node in site.of_type(ast.Attribute):
            stop = site.stop(node)
            start = stop - len(node.attr)  # the name ends the node
            if node.attr.startswith("__") or site.source[start:stop] != node.attr:
                continue
            for other in self._others(node, site.is_called(node), data, methods):
                if other != node.attr:
                    yield Edit(start, stop, other)


# Calls dropped around their one argument: the conversion, sort, copy or absolute value is lost.
_UNWRAPPED = frozenset({"abs", "float", "int", "list", "reversed", "round", "set", "sorted", "str"})
# Needs no parentheses anywhere a call can stand (a generator expression has its own).
_ATOMIC = (
    ast.Name,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Call,
    ast.List,
    ast.ListComp,
    ast.Dict,
    ast.DictComp,
    ast.Set,
    ast.SetComp,
    ast.GeneratorExp,
    ast.JoinedStr,
)
_WHOLE_VALUE = (ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.keyword)


@register
class DropWrap(Mutator):
    """``f(e)`` -> ``e`` for ``f`` in ``_UNWRAPPED`` with one positional argument (keywords such as
    ``key=`` go too; not for a literal: ``float("inf")``); ``len(e)`` -> ``e`` only as an operand
    of a comparison or arithmetic (``len(xs) > k``, ``len(s) - 1``), where the slip reads
    naturally; ``max(0, e)``, ``min(e, n)``, ... -> ``e`` when the other argument is a number."""

    name = "drop_wrap"
    description = "a call dropped around its argument: abs(e), int(e), sorted(e), ... -> e; max(0, e) -> e"

    @staticmethod
    def _inner(site: Site, call: ast.Call) -> ast.expr | None:
        name, args = _builtin(site, call), call.args
        if name is None or any(isinstance(a, ast.Starred) for a in args):
            return None
        if name in _UNWRAPPED or name == "len":
            if len(args) != 1 or isinstance(args[0], ast.Constant) or _is_number(args[0]):
                return None
            if name == "len" and not isinstance(site.parents.get(call), (ast.Compare, ast.BinOp)):
                return None
            return args[0]
        if name in ("min", "max") and len(args) == 2 and not call.keywords:
            kept = [a for a in args if not _is_number(a)]
            return kept[0] if len(kept) == 1 else None
        return None

    def edits(self, site: Site) -> Iterator[Edit]:
        for call in site.of_type(ast.Call):
            inner = self._inner(site, call)
            if inner is None:
                continue
            parent, text = site.parents.get(call), site.text(inner)
            fits = isinstance(parent, _WHOLE_VALUE) or (isinstance(parent, ast.Call) and call in parent.args)
            if not isinstance(inner, _ATOMIC) and not (
                fits and not isinstance(inner, (ast.Tuple, ast.NamedExpr, ast.Yield, ast.YieldFrom))
            ):
                text = f"({text})"
            yield Edit(site.start(call), site.stop(call), text)


@register
class SwapSubscript(Mutator):
    """Two neighbouring indices swapped, in a chain ``g[a][b]`` or a tuple ``d[a, b]``, when their
    texts differ; slices and starred items are left alone."""

    name = "swap_subscript"
    description = "two indices swapped: g[a][b] -> g[b][a], d[a, b] -> d[b, a]"

    def edits(self, site: Site) -> Iterator[Edit]:
        for node in site.of_type(ast.Subscript):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node.value, ast.Subscript):
                pairs.append((node.value.slice, node.slice))
            if isinstance(node.slice, ast.Tuple):
                pairs.extend(pairwise(node.slice.elts))
            for a, b in pairs:
                if isinstance(a, (ast.Slice, ast.Starred)) or isinstance(b, (ast.Slice, ast.Starred)):
                    continue
                ta, tb = site.text(a), site.text(b)
                if ta != tb:
                    yield Edit(site.start(a), site.stop(b), tb + site.source[site.stop(a) : site.start(b)] + ta)


def _is_one(node: ast.AST) -> bool:
    return _is_int(node) and node.value == 1  # type: ignore[attr-defined]


@register
class OffByOneBound(Mutator):
    """``range(n + 1)`` -> ``range(n)``, ``s[i - 1:]`` -> ``s[i:]``, ``range(1 + n)`` -> ``range(n)``: the
    bounds of ``_bounds``. (``off_by_one`` moves the literal instead: ``n + 2``, ``n + 0``.)"""

    name = "off_by_one_bound"
    description = "a + 1 or - 1 on a range() or slice bound removed: range(n + 1) -> range(n)"

    def edits(self, site: Site) -> Iterator[Edit]:
        for bound in _bounds(site):
            if not isinstance(bound, ast.BinOp) or not isinstance(bound.op, (ast.Add, ast.Sub)):
                continue
            if _is_one(bound.right):
                kept = bound.left
            elif isinstance(bound.op, ast.Add) and _is_one(bound.left):
                kept = bound.right
            else:
                continue
            yield Edit(site.start(bound), site.stop(bound), _wrap(site, kept, (ast.Tuple, ast.NamedExpr)))


# --------------------------------------------------------------------------------- mutants


def find_function(tree: ast.Module, name: str) -> FunctionNode | None:
    """The last top-level function ``name``, else the first nested one."""
    top = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    if top:
        return top[-1]
    return next(
        (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name), None
    )


def _lines(text: str, offsets: TextOffsets, start: int, end: int) -> str:
    first, last = offsets.line_of(start), offsets.line_of(max(start, end - 1))
    return text[offsets.line_starts[first - 1] : offsets.line_end(last)].strip()


def _mutant(kind: str, source: str, offsets: TextOffsets, edit: Edit, new: str) -> Mutant:
    new_offsets = TextOffsets(new)
    whole_lines = (
        edit.text == ""
        and edit.start in offsets.line_starts
        and (edit.end in offsets.line_starts or edit.end == len(source))
    )
    return Mutant(
        kind=kind,
        source=new,
        edit=edit,
        line=offsets.line_of(edit.start),
        original=_lines(source, offsets, edit.start, edit.end),
        mutated="" if whole_lines else _lines(new, new_offsets, edit.start, edit.start + len(edit.text)),
    )


def _tree_key(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def mutants(source: str, function: str, *, region_start: int = 0, types: Iterable[str] | None = None) -> list[Mutant]:
    """Every distinct parsing mutant of ``function``'s body at or after ``region_start``.

    In registry order of the types, then by position. Raises MutationError when ``source``
    does not parse or has no such function, ConfigError for an unknown type.
    """
    operators = get_mutators(types)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise MutationError("does not parse", f"{exc.msg} (line {exc.lineno})") from None
    func = find_function(tree, function)
    if func is None:
        raise MutationError("does not define the entry point", repr(function))
    site = Site(source, func, region_start)
    seen = {ast.dump(tree)}
    out: list[Mutant] = []
    for op in operators:
        for edit in sorted(set(op.edits(site)), key=lambda e: (e.start, e.end, e.text)):
            if not region_start <= edit.start <= edit.end <= site.end:
                continue
            new = edit.apply(source)
            key = _tree_key(new)
            if key is None or key in seen:
                continue
            seen.add(key)
            out.append(_mutant(op.name, source, site.offsets, edit, new))
    return out


# ------------------------------------------------------------------------------- bug sets

KEEP = frozenset({"failed", "error"})  # statuses of a kept mutant: its tests raise
Runner = Callable[[Sequence[Candidate], float], Sequence[CandidateResult]]  # (candidates, timeout)
CANONICAL_SLACK = 10.0  # canonical solutions get this many times the per-run timeout
SLOW_FACTOR = 3.0  # a task's mutants get at least this many times its canonical solution's seconds


@dataclass(frozen=True)
class Skip:
    """A task that gave no bug: why (a short reason shared by similar tasks) and the details."""

    task_id: str
    reason: str
    detail: str = ""


@dataclass
class BugSet:
    """What ``make_bugs`` made: the records to write and the numbers behind them."""

    records: list[dict[str, Any]]
    counts: dict[str, int]  # kept mutants per type, registry order
    skipped: list[Skip]
    dropped: dict[str, int]  # tested mutants not kept, by test status ("passed", "timeout", ...)
    tested: int  # programs run, canonical solutions included
    seconds: float


@dataclass
class _Plan:
    """One task's mutants: per type a seeded queue, and the types in a seeded order."""

    task: Task
    order: list[str]
    queues: dict[str, list[Mutant]]
    canonical: CandidateResult | None = None
    timeout: float = 0.0  # seconds per mutant run, from the canonical solution's time
    known: dict[Mutant, str] = field(default_factory=dict)

    @classmethod
    def build(cls, task: Task, found: list[Mutant], seed: int) -> _Plan:
        rng = random.Random(f"{seed}\x00{task.task_id}")
        queues: dict[str, list[Mutant]] = {}
        for m in found:
            queues.setdefault(m.kind, []).append(m)
        for queue in queues.values():
            rng.shuffle(queue)
        order = list(queues)
        rng.shuffle(order)
        return cls(task, order, queues)

    def select(self, per_task: int) -> tuple[list[Mutant], list[tuple[str, int]]]:
        """Round-robin over the types, each time the type's next mutant not known to pass.

        Returns the picks known to fail and the (type, position) of untested mutants that
        would be picked if they fail: the choice is final when that list is empty.
        """
        pointer = dict.fromkeys(self.order, 0)
        picks: list[Mutant] = []
        untested: list[tuple[str, int]] = []
        active = list(self.order)
        while active and len(picks) + len(untested) < per_task:
            for kind in list(active):
                queue = self.queues[kind]
                while pointer[kind] < len(queue) and self.known.get(queue[pointer[kind]], "untested") not in {
                    *KEEP,
                    "untested",
                }:
                    pointer[kind] += 1
                if pointer[kind] == len(queue):
                    active.remove(kind)
                    continue
                if queue[pointer[kind]] in self.known:
                    picks.append(queue[pointer[kind]])
                else:
                    untested.append((kind, pointer[kind]))
                pointer[kind] += 1
                if len(picks) + len(untested) == per_task:
                    break
        return picks, untested


def sandbox_runner(candidates: Sequence[Candidate], timeout: float) -> Sequence[CandidateResult]:
    """The default ``Runner``: ``run_batch`` (one interpreter, a fork per candidate)."""
    return run_batch(candidates, timeout=timeout).results


def make_bugs(
    tasks: Sequence[Task],
    *,
    seed: int = 0,
    per_task: int = 3,
    types: Iterable[str] | None = None,
    timeout: float = 3.0,
    run: Runner | None = None,
    lookahead: int = 1,
    log: Callable[[str], None] = lambda s: None,
) -> BugSet:
    """Failing single-point mutants of each task's canonical solution, as HumanEval-format records.

    Each record is the task's record with ``task_id`` = ``ID/TYPE/N`` and ``buggy_solution``
    (the text after the prompt), ``mutation``, ``bug_line`` (1-based, in prompt + buggy
    solution), ``bug_original`` and ``bug_mutated`` added. ``timeout`` is the least time limit
    of a mutant's run (see the module docstring). ``lookahead`` untested mutants of a
    type are run at once in the first round, twice as many each later round (speed only: the
    choice does not depend on it).
    """
    if per_task < 1:
        raise ConfigError(f"per_task={per_task}: must be >= 1")
    names = [m.name for m in get_mutators(types)]
    run = run or sandbox_runner
    started = time.monotonic()
    plans: list[_Plan] = []
    skipped: list[Skip] = []
    for task in tasks:
        try:
            found = mutants(task.program(), task.entry_point, region_start=len(task.prompt), types=names)
        except MutationError as exc:
            skipped.append(Skip(task.task_id, f"prompt + canonical_solution {exc.reason}", exc.detail))
            continue
        if found:
            plans.append(_Plan.build(task, found, seed))
        else:
            skipped.append(Skip(task.task_id, "no place to mutate for these types"))
    # Canonical solutions first, with room to spare; each task's mutants then get a time limit
    # scaled to its own solution's time, so a slow but correct task survives a busy machine.
    tested, round_no = len(plans), 0
    if plans:
        log(f"make-bugs: running {len(plans)} canonical solutions")
        results = run(
            [Candidate(p.task.program(), p.task.test_program, f"{p.task.task_id}/canonical") for p in plans],
            timeout * CANONICAL_SLACK,
        )
        for plan, result in zip(plans, results):
            plan.canonical = result
            plan.timeout = round(max(timeout, SLOW_FACTOR * result.seconds), 1)
    while True:
        ahead = lookahead << min(round_no, 4)  # a queue of survivors is read faster each round
        batch: dict[tuple[int, Mutant], None] = {}  # an ordered set
        for i, plan in enumerate(plans):
            if plan.canonical is not None and plan.canonical.passed:
                for kind, pos in plan.select(per_task)[1]:
                    batch.update(
                        dict.fromkeys((i, m) for m in plan.queues[kind][pos : pos + ahead] if m not in plan.known)
                    )
        if not batch:
            break
        round_no += 1
        log(f"make-bugs: round {round_no}: running {len(batch)} mutants")
        tested += len(batch)
        for limit in sorted({plans[i].timeout for i, _ in batch}):
            group = [(i, m) for i, m in batch if plans[i].timeout == limit]
            results = run(
                [
                    Candidate(m.source, plans[i].task.test_program, f"{plans[i].task.task_id}/{m.kind}")
                    for i, m in group
                ],
                limit,
            )
            for (i, m), result in zip(group, results):
                plans[i].known[m] = result.status
    records: list[dict[str, Any]] = []
    counts = dict.fromkeys(names, 0)
    dropped: dict[str, int] = {}
    for plan in plans:
        task, canonical = plan.task, plan.canonical
        if canonical is None or not canonical.passed:
            detail = f"{canonical.status}: {canonical.exc_type} {canonical.message}".strip() if canonical else ""
            skipped.append(Skip(task.task_id, "canonical solution fails its tests", detail))
            continue
        for status in plan.known.values():
            if status not in KEEP:
                dropped[status] = dropped.get(status, 0) + 1
        picks = plan.select(per_task)[0]
        if not picks:
            skipped.append(Skip(task.task_id, "no mutant fails the tests", f"{len(plan.known)} tested"))
            continue
        numbers: dict[str, int] = {}
        for m in sorted(picks, key=lambda m: names.index(m.kind)):
            numbers[m.kind] = numbers.get(m.kind, 0) + 1
            counts[m.kind] += 1
            records.append(
                {
                    **task.record,
                    "task_id": f"{task.task_id}/{m.kind}/{numbers[m.kind]}",
                    "buggy_solution": m.source[len(task.prompt) :],
                    "mutation": m.kind,
                    "bug_line": m.line,
                    "bug_original": m.original,
                    "bug_mutated": m.mutated,
                }
            )
    order = {t.task_id: i for i, t in enumerate(tasks)}
    skipped.sort(key=lambda s: order.get(s.task_id, -1))
    return BugSet(records, counts, skipped, dropped, tested, time.monotonic() - started)
