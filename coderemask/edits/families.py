"""Edit families: the kinds of one-statement fixes people make, each yielding candidate edits.

The families follow the "simple stupid bugs" of ManySStuBs4J / PySStuBs and AlphaRepair's
templates. Each is a class registered by name in ``FAMILIES``; ``generate(context)`` yields
``Edit``s of the accused lines only:

    identifier  another name in scope: parameters, locals, module names, builtins that fit the
                position (a callee gets callables: ``min`` for ``max``), True / False / None
    attribute   another attribute used in the module, or a look-alike method (startswith/endswith)
    operator    another operator of the same group: arithmetic, comparison, boolean, bitwise,
                augmented (bitwise-augmented too), is / is not, in / not in; a unary operator dropped;
                an operator used twice or more on a line changed at every place at once
    literal     an integer +-1, 0, 1 or another of the module's; ``+ 1`` / ``- 1`` added to an
                int-valued expression (an index, a slice or range bound, ``len(...)``, a compared
                or assigned value); another returned literal
    swap        two call arguments, the operands of a non-commutative operator or of a comparison,
                the elements of a subscript tuple, the indices of nested subscripts
    condition   ``c and <hole>`` / ``c or <hole>`` (the model fills the hole), a guard from a name
                the condition reads (``x and c``), ``0 <=`` chained to an upper bound, a clause of
                and/or dropped, the condition negated or un-negated
    wrap        ``abs(e)``, ``len(e)``, ``sorted(e)``, ``int(e)``, a one-argument callee
                the module uses (``math.ceil(e)``); ``max(<hole>, e)`` /
                ``min(e, <hole>)``; unwrap ``f(e)`` -> ``e``; drop an operand (``1 + e`` -> ``e``)
    statement   insert a statement before or after an accused statement (a hole, or a statement
                copied from the module: the fix's ingredients are often in the program), delete
                one, replace a ``return`` value with a hole
    whole_line  the accused line masked whole at a few lengths, or its first or last half kept
    syntax      code that does not parse: a missing colon or closing bracket added, an extra one dropped

An ``Edit`` replaces ``code[start:end]`` with its ``pieces``: text, and holes (``int``: slots
for the model to fill; [NULL] makes a fill shorter). Holes make an edit a *fill*: the ranker
writes it K ways. Families know ``ast``, Python tokens and the module's names; they do not
know models, tests or the loop.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
from dataclasses import dataclass, field, replace
from typing import ClassVar, Iterator, Mapping, Sequence, TypeVar, Union

from coderemask.edits.scope import CALLABLE_BUILTINS, ModuleScope
from coderemask.edits.tree import FunctionTree
from coderemask.errors import ConfigError

Piece = Union[str, int]
_Node = TypeVar("_Node", bound=ast.AST)


@dataclass(frozen=True)
class Edit:
    """Replace ``code[start:end]`` with ``pieces`` (text, and holes of ``int`` slots).

    line: the 1-based line of the function's text the edit belongs to (its suspicion ranks it);
    note: what changes, for traces (``min -> max``); prior: a static hint (below).
    """

    family: str
    start: int
    end: int
    pieces: tuple[Piece, ...]
    line: int
    note: str
    prior: float = 0.0
    """A static hint, in nats, added to the edit's priority (e.g. reading a local that is
    assigned but never read: the original likely reads the wrong name)."""

    @property
    def holes(self) -> int:
        return sum(isinstance(p, int) for p in self.pieces)

    def text(self, fills: Sequence[str] = ()) -> str:
        """The replacement text, holes filled by ``fills`` in order."""
        out, k = [], 0
        for p in self.pieces:
            if isinstance(p, int):
                out.append(fills[k])
                k += 1
            else:
                out.append(p)
        return "".join(out)

    def apply(self, code: str, fills: Sequence[str] = ()) -> str:
        return code[: self.start] + self.text(fills) + code[self.end :]

    def template(self, code: str) -> list[Piece]:
        """``code`` with the edit in place, as text and hole pieces (for the sampler)."""
        return [code[: self.start], *self.pieces, code[self.end :]]


@dataclass(frozen=True)
class Token:
    """A Python token with character offsets in the function's text."""

    type: int
    string: str
    start: int
    end: int
    line: int


@dataclass
class EditContext:
    """What the families read: the function's text, the accused lines (1-based, with suspicion
    in [0, 1]) and the module's scope."""

    code: str
    lines: Mapping[int, float]
    scope: ModuleScope = field(default_factory=ModuleScope)
    hole_slots: int = 6
    """Slots of a hole inside an expression (a condition's new clause, a clamp's bound)."""
    statement_slots: int = 8
    """Slots of a new statement or a ``return`` value."""

    def __post_init__(self) -> None:
        self.tree = FunctionTree.parse(self.code)
        self.tokens = _tokens(self.code)

    def accused(self, node: ast.AST) -> bool:
        return self.tree is not None and hasattr(node, "lineno") and self.tree.line(node) in self.lines

    def accused_nodes(self, *types: type[_Node]) -> Iterator[_Node]:
        if self.tree is None:
            return
        for node in self.tree.nodes():
            if isinstance(node, types) and self.accused(node):
                yield node


def line_starts(code: str) -> list[int]:
    """Offsets where lines start, as ``tokenize`` reading ``io.StringIO`` sees them: after each
    ``\n`` only (a form feed or U+2028 inside a line does not end it)."""
    return [0] + [m.end() for m in re.finditer("\n", code)]


def _tokens(code: str) -> list[Token]:
    """The significant tokens of ``code`` (none when it does not tokenize)."""
    starts = line_starts(code)
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
                tokenize.COMMENT,
            ):
                continue
            a = starts[tok.start[0] - 1] + tok.start[1]
            b = starts[tok.end[0] - 1] + tok.end[1]
            out.append(Token(tok.type, tok.string, a, b, tok.start[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return out
    return out


# ------------------------------------------------------------------------------ the registry


class EditFamily:
    """One kind of fix: ``generate`` yields its edits of the context's accused lines."""

    name: ClassVar[str]
    description: ClassVar[str]

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        raise NotImplementedError


FAMILIES: dict[str, EditFamily] = {}


def register(cls: type[EditFamily]) -> type[EditFamily]:
    """Class decorator: one instance of the family in ``FAMILIES`` under ``cls.name``."""
    FAMILIES[cls.name] = cls()
    return cls


def get_families(names: Sequence[str] | None = None) -> list[EditFamily]:
    """The families named (all when None), in registry order; ConfigError names an unknown one."""
    if names is None:
        return list(FAMILIES.values())
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ConfigError(f"unknown edit family {', '.join(map(repr, unknown))}; known: {', '.join(FAMILIES)}")
    return [FAMILIES[n] for n in FAMILIES if n in names]


def generate(ctx: EditContext, families: Sequence[EditFamily] | None = None) -> list[Edit]:
    """Every edit of every family (duplicates of the same text at the same place dropped)."""
    seen: set[tuple[int, int, tuple[Piece, ...]]] = set()
    out = []
    for family in families if families is not None else FAMILIES.values():
        for edit in family.generate(ctx):
            key = (edit.start, edit.end, edit.pieces)
            if key in seen or not edit.holes and ctx.code[edit.start : edit.end] == edit.text():
                continue
            seen.add(key)
            out.append(edit)
    return out


def _replace(family: str, ctx: EditContext, start: int, end: int, new: str, note: str = "") -> Edit:
    line = ctx.code.count("\n", 0, start) + 1
    old = ctx.code[start:end]
    return Edit(
        family, start, end, (new,), line, note or f"{old.strip() or '<nothing>'} -> {new.strip() or '<nothing>'}"
    )


def _node_edit(family: str, ctx: EditContext, node: ast.AST, pieces: Sequence[Piece], note: str) -> Edit:
    tree = ctx.tree
    assert tree is not None
    return Edit(family, tree.start(node), tree.stop(node), tuple(pieces), tree.line(node), note)


# ------------------------------------------------------------------------------ token families


OPERATOR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("+", "-", "*", "/", "//", "%", "**"),
    ("==", "!=", "<", "<=", ">", ">="),
    ("+=", "-=", "*=", "/=", "//=", "%="),
    ("&", "|", "^", "<<", ">>"),
    ("&=", "|=", "^=", "<<=", ">>="),
    ("and", "or"),
    ("in", "not in"),
    ("is", "is not", "==", "!="),
)
CONSTANTS = ("True", "False", "None")


def _is_keyword_argument(tokens: Sequence[Token], i: int) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].string == "=" and i > 0 and tokens[i - 1].string in ("(", ",")


@register
class ChangeIdentifier(EditFamily):
    name = "identifier"
    description = "another name in scope (a callee: a callable, e.g. min for max); True/False/None"

    unused_prior: float = 5.0
    """Nats added for a name the function binds but never reads (``right = pad - left`` and
    then ``left`` twice): about what the suspicion of a line ten times as suspicious adds."""

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        toks = ctx.tokens
        tree = ctx.tree
        bound = sorted(tree.bound_names()) if tree is not None else []
        if tree is not None:  # names the body reads (annotations are types, not values)
            used = list(
                dict.fromkeys(
                    n.id
                    for stmt in tree.func.body
                    for n in ast.walk(stmt)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                )
            )
        else:
            used = list(
                dict.fromkeys(t.string for t in toks if t.type == tokenize.NAME and not keyword.iskeyword(t.string))
            )
        operands = _operand_starts(tree) if tree is not None else set()
        called = {
            toks[i].string
            for i in range(len(toks) - 1)
            if toks[i + 1].string == "(" and toks[i].type == tokenize.NAME and not keyword.iskeyword(toks[i].string)
        }
        module_values = sorted(ctx.scope.names - ctx.scope.functions)
        unused = ctx.tree.unused_names() if ctx.tree is not None else set()
        for i, tok in enumerate(toks):
            if tok.line not in ctx.lines or tok.type != tokenize.NAME:
                continue
            if keyword.iskeyword(tok.string) and tok.string not in CONSTANTS:
                continue
            before = toks[i - 1].string if i else ""
            if before in (".", "def", "class", "import", "as", "from", "global", "nonlocal") or _is_keyword_argument(
                toks, i
            ):
                continue
            is_callee = i + 1 < len(toks) and toks[i + 1].string == "("
            if is_callee:
                options = [*CALLABLE_BUILTINS, *sorted(ctx.scope.functions), *sorted(called)]
            else:
                options = [*used, *bound, *module_values, *CONSTANTS]
            for new in dict.fromkeys(options):
                if new in CONSTANTS and (is_callee or tok.start in operands):
                    continue  # None(x), fill * False: fails whenever it runs
                if new != tok.string:
                    edit = _replace(self.name, ctx, tok.start, tok.end, new)
                    yield replace(edit, prior=self.unused_prior) if new in unused else edit


def _operand_starts(tree: FunctionTree) -> set[int]:
    """Where the names that are arithmetic operands, subscripted or attribute owners start."""
    out: set[int] = set()
    for node in tree.nodes():
        if isinstance(node, ast.BinOp):
            out.update(tree.start(n) for n in (node.left, node.right) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name):
            out.add(tree.start(node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.value, ast.Name):
            out.add(tree.start(node.value))
    return out


@register
class ChangeAttribute(EditFamily):
    name = "attribute"
    description = "another attribute used in the module, or a look-alike method"

    max_attributes: int = 40

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        toks = ctx.tokens
        own = [t.string for i, t in enumerate(toks) if i and toks[i - 1].string == "." and t.type == tokenize.NAME]
        for i, tok in enumerate(toks):
            if tok.line not in ctx.lines or tok.type != tokenize.NAME or not i or toks[i - 1].string != ".":
                continue
            options = [*ctx.scope.look_alikes(tok.string), *own, *ctx.scope.attributes[: self.max_attributes]]
            for new in dict.fromkeys(options):
                if new != tok.string:
                    yield _replace(self.name, ctx, tok.start, tok.end, new)


@register
class ChangeOperator(EditFamily):
    name = "operator"
    description = "another operator of the same group; a unary operator dropped; one changed on its whole line"

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        toks = ctx.tokens
        repeated: dict[tuple[int, str], list[tuple[int, int]]] = {}  # (line, operator) -> its places
        for i, tok in enumerate(toks):
            if tok.line not in ctx.lines:
                continue
            text, start, end = tok.string, tok.start, tok.end
            after = toks[i + 1].string if i + 1 < len(toks) else ""
            before = toks[i - 1].string if i else ""
            if text == "not" and before == "is" or text == "not" and after == "in":
                continue  # part of "is not" / "not in", edited as one operator
            if text == "is" and after == "not":
                text, end = "is not", toks[i + 1].end
            elif text == "in" and before == "not":
                text, start = "not in", toks[i - 1].start
            if text == "not":  # unary not: dropped
                yield Edit(
                    self.name, start, toks[i + 1].start if i + 1 < len(toks) else end, ("",), tok.line, "drop `not`"
                )
                continue
            if tok.type not in (tokenize.OP, tokenize.NAME):
                continue
            groups = [g for g in OPERATOR_GROUPS if text in g]
            if text in ("-", "+") and (
                not i
                or toks[i - 1].type == tokenize.OP
                and toks[i - 1].string not in ")]}"
                or keyword.iskeyword(before)
                and before not in CONSTANTS
            ):
                yield Edit(
                    self.name,
                    start,
                    toks[i + 1].start if i + 1 < len(toks) else end,
                    ("",),
                    tok.line,
                    f"drop unary `{text}`",
                )
                continue
            for new in dict.fromkeys(op for g in groups for op in g):
                if new != text:
                    yield _replace(self.name, ctx, start, end, new)
            if groups:
                repeated.setdefault((tok.line, text), []).append((start, end))
        yield from self._every_on_the_line(ctx, repeated)

    def _every_on_the_line(
        self, ctx: EditContext, repeated: Mapping[tuple[int, str], list[tuple[int, int]]]
    ) -> Iterator[Edit]:
        """The same operator changed at each of its places on a line (``a < y and x < b`` ->
        ``a <= y and x <= b``): a bug made twice (an exclusive bound for an inclusive one)
        that no single change improves."""
        for (line, text), places in repeated.items():
            if len(places) < 2:
                continue
            first, last = places[0][0], places[-1][1]
            for new in dict.fromkeys(op for g in OPERATOR_GROUPS if text in g for op in g):
                if new == text:
                    continue
                pieces, at = [], first
                for a, b in places:
                    pieces += [ctx.code[at:a], new]
                    at = b
                yield Edit(self.name, first, last, ("".join(pieces),), line, f"every `{text}` on the line -> `{new}`")


@register
class ChangeLiteral(EditFamily):
    name = "literal"
    description = (
        "an integer +-1, 0, 1 or another integer of the module; `+ 1` / `- 1` on an int-valued bound; "
        "another returned literal"
    )

    RETURN_LITERALS = ("None", "True", "False", "0", "1", "-1", '""', "[]", "{}", "()")
    max_numbers: int = 8
    """Other integers of the module an integer may become (``60`` -> ``24``), most used first."""

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        for tok in ctx.tokens:
            if tok.line in ctx.lines and tok.type == tokenize.NUMBER and tok.string.isdigit():
                n = int(tok.string)
                for v in dict.fromkeys((n - 1, n + 1, 0, 1, *ctx.scope.numbers[: self.max_numbers])):
                    if v >= 0 and v != n:
                        yield _replace(self.name, ctx, tok.start, tok.end, str(v))
        if ctx.tree is None:
            return
        tree = ctx.tree
        for node in _int_bounds(ctx):
            text = tree.text(node)
            arithmetic = isinstance(node, ast.BinOp) and isinstance(node.op, _TIGHTER_THAN_ADD)
            base = text if arithmetic or not isinstance(node, _COMPOUND_EXPR) else f"({text})"
            for delta in (" + 1", " - 1"):
                yield _node_edit(self.name, ctx, node, (base + delta,), f"{text} -> {base}{delta}")
        for ret in ctx.accused_nodes(ast.Return):
            value = ret.value
            if value is not None and _is_literal(value):
                old = tree.text(value)
                for new in self.RETURN_LITERALS:
                    if new != old:
                        yield _node_edit(self.name, ctx, value, (new,), f"return {old} -> return {new}")


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and not node.elts:
        return True
    if isinstance(node, ast.Dict) and not node.keys:
        return True
    return isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant)


_NOT_INT = (
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Lambda,
    ast.NamedExpr,
    ast.Constant,
    ast.JoinedStr,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.Starred,
    ast.Slice,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
)


def _int_bounds(ctx: EditContext) -> Iterator[ast.expr]:
    """Expressions of the accused lines that are likely ints and bounds: subscripts and slice bounds,
    range arguments, ``len(...)`` calls, compared values, assigned names and arithmetic
    (``lo = mid``; each once, outermost first)."""
    seen: set[int] = set()
    for node in ctx.accused_nodes(ast.Subscript, ast.Call, ast.Compare, ast.Assign, ast.AugAssign):
        found: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            if isinstance(node.value, (ast.Name, ast.BinOp, ast.Subscript, ast.Attribute)):
                found.append(node.value)
        elif isinstance(node, ast.Subscript):
            s = node.slice
            found += [b for b in (s.lower, s.upper) if b is not None] if isinstance(s, ast.Slice) else [s]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "range":
                found += node.args
            elif node.func.id == "len":
                found.append(node)
        elif isinstance(node, ast.Compare):
            found += [node.left, *node.comparators]
        for e in found:
            if isinstance(e, _NOT_INT) or id(e) in seen or _is_plus_minus_one(e):
                continue
            seen.add(id(e))
            yield e


def _is_plus_minus_one(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, (ast.Add, ast.Sub))
        and isinstance(node.right, ast.Constant)
        and node.right.value == 1
    )


# ------------------------------------------------------------------------------ tree families


_NON_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.MatMult)


@register
class Swap(EditFamily):
    name = "swap"
    description = "two call arguments, operands, subscript tuple elements, nested subscript indices"

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        tree = ctx.tree
        if tree is None:
            return
        for node in ctx.accused_nodes(ast.Call, ast.BinOp, ast.Compare, ast.Subscript):
            pairs: list[tuple[ast.AST, ast.AST]] = []
            if (
                isinstance(node, ast.Call)
                and len(node.args) >= 2
                and not any(isinstance(a, ast.Starred) for a in node.args)
            ):
                args = node.args
                pairs += [(args[i], args[i + 1]) for i in range(len(args) - 1)]
                if len(args) > 2:
                    pairs.append((args[0], args[-1]))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, _NON_COMMUTATIVE):
                pairs.append((node.left, node.right))
            elif isinstance(node, ast.Compare) and len(node.ops) == 1:
                pairs.append((node.left, node.comparators[0]))
            elif isinstance(node, ast.Subscript):
                s = node.slice
                if isinstance(s, ast.Tuple) and len(s.elts) >= 2:
                    pairs += [(s.elts[i], s.elts[i + 1]) for i in range(len(s.elts) - 1)]
                inner = node.value
                if (
                    isinstance(inner, ast.Subscript)
                    and not isinstance(s, ast.Slice)
                    and not isinstance(inner.slice, ast.Slice)
                ):
                    pairs.append((inner.slice, s))
            for a, b in pairs:
                ta, tb = tree.text(a), tree.text(b)
                gap = ctx.code[tree.stop(a) : tree.start(b)]
                if ta == tb or "#" in gap or "\\" in gap:
                    continue
                if isinstance(node, (ast.BinOp, ast.Compare)):  # the whole expression, parentheses as needed
                    op = gap.strip(" \t\n()")
                    new = f"{_grouped(tree, b)} {op} {_grouped(tree, a)}"
                    yield Edit(
                        self.name, tree.start(node), tree.stop(node), (new,), tree.line(a), f"swap {ta} and {tb}"
                    )
                elif gap.strip(" \t\n") in (",", "]["):  # arguments, tuple elements, nested indices
                    yield Edit(
                        self.name, tree.start(a), tree.stop(b), (tb + gap + ta,), tree.line(a), f"swap {ta} and {tb}"
                    )


def _condition_nodes(ctx: EditContext) -> Iterator[ast.expr]:
    if ctx.tree is not None:
        for node in ctx.tree.nodes():
            if isinstance(node, ast.comprehension):
                yield from (c for c in node.ifs if ctx.accused(c))
    for node in ctx.accused_nodes(ast.If, ast.While, ast.IfExp, ast.Assert, ast.Return):
        if isinstance(node, ast.Return):
            if isinstance(node.value, (ast.BoolOp, ast.Compare)) or (
                isinstance(node.value, ast.UnaryOp) and isinstance(node.value.op, ast.Not)
            ):
                yield node.value
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            yield node.test


_COMPOUND_EXPR = (
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.UnaryOp,
    ast.IfExp,
    ast.Lambda,
    ast.NamedExpr,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
)
_TIGHTER_THAN_ADD = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult)
_OPERATOR_PARENTS = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.BoolOp,
    ast.Attribute,
    ast.Subscript,
    ast.Call,
    ast.Await,
    ast.Starred,
    ast.IfExp,
)


def _grouped(tree: FunctionTree, node: ast.AST) -> str:
    """``node``'s text, in parentheses when it is a compound expression."""
    text = tree.text(node)
    return f"({text})" if isinstance(node, _COMPOUND_EXPR) else text


def _in_place_of(tree: FunctionTree, old: ast.AST, new: ast.AST) -> str:
    """``new``'s text to stand where ``old`` stands: in parentheses when it is compound and
    ``old``'s parent is an operator, a call or a subscript (``abs(a - b) * 2`` -> ``(a - b) * 2``)."""
    parent = tree.parents.get(old)
    if isinstance(parent, _OPERATOR_PARENTS) and not (isinstance(parent, ast.Call) and old is not parent.func):
        return _grouped(tree, new)
    return tree.text(new)


def _parenthesized(text: str, node: ast.AST, loose: tuple[type, ...]) -> str:
    return f"({text})" if isinstance(node, loose) else text


@register
class Condition(EditFamily):
    name = "condition"
    description = (
        "c and <hole> / c or <hole>; a guard from a name it reads (x and c); 0 <= chained to a bound; "
        "a clause of and/or dropped; negated or un-negated"
    )

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        tree = ctx.tree
        if tree is None:
            return
        for cond in _condition_nodes(ctx):
            text = tree.text(cond)
            for op in ("and", "or"):
                loose = (ast.IfExp, ast.Lambda, ast.NamedExpr) + (
                    (ast.BoolOp,)
                    if not (isinstance(cond, ast.BoolOp) and isinstance(cond.op, ast.And if op == "and" else ast.Or))
                    else ()
                )
                left = _parenthesized(text, cond, loose)
                yield _node_edit(self.name, ctx, cond, (f"{left} {op} ", ctx.hole_slots), f"{text} -> {text} {op} …")
            if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
                inner = tree.text(cond.operand)
                yield _node_edit(self.name, ctx, cond, (inner,), f"not {inner} -> {inner}")
            else:
                negated = "not " + _parenthesized(
                    text, cond, (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr, ast.Compare)
                )
                yield _node_edit(self.name, ctx, cond, (negated,), f"{text} -> {negated}")
            yield from self._guards(ctx, cond, text)
            if isinstance(cond, ast.BoolOp):
                op = " and " if isinstance(cond.op, ast.And) else " or "
                for k in range(len(cond.values)):
                    rest = [tree.text(v) for j, v in enumerate(cond.values) if j != k]
                    yield _node_edit(self.name, ctx, cond, (op.join(rest),), f"drop `{tree.text(cond.values[k])}`")

    def _guards(self, ctx: EditContext, cond: ast.expr, text: str) -> Iterator[Edit]:
        """A guard before the condition, from a name it reads (``x and c``, ``x is not None and c``:
        PAR's null checker), and a lower bound chained to an upper one (``i < n`` -> ``0 <= i < n``)."""
        tree = ctx.tree
        assert tree is not None
        body = _parenthesized(text, cond, (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr))
        names = dict.fromkeys(
            n.id
            for n in ast.walk(cond)
            if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)
            and n.id not in CALLABLE_BUILTINS
            and n.id not in CONSTANTS
        )
        for name in names:
            for guard in (name, f"{name} is not None"):
                yield _node_edit(self.name, ctx, cond, (f"{guard} and {body}",), f"{text} -> {guard} and {text}")
        for node in [cond, *(cond.values if isinstance(cond, ast.BoolOp) else ())]:
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.ops[0], (ast.Lt, ast.LtE))
                and not isinstance(node.left, ast.Constant)
            ):
                left = tree.text(node.left)
                yield Edit(
                    self.name,
                    tree.start(node),
                    tree.start(node),
                    ("0 <= ",),
                    tree.line(node),
                    f"{left} ... -> 0 <= {left} ...",
                )


_WRAPS = ("abs", "len", "sorted", "int")
_UNWRAPPABLE = frozenset(
    ("abs", "len", "list", "sorted", "int", "str", "float", "round", "tuple", "set", "reversed", "bool", "max", "min")
)


def _wrappable(ctx: EditContext) -> Iterator[ast.expr]:
    """Loaded expressions of the accused lines that a call could wrap (not a callee, not the object
    of an attribute, not a constant)."""
    tree = ctx.tree
    assert tree is not None
    for node in ctx.accused_nodes(ast.Name, ast.Attribute, ast.Call, ast.BinOp, ast.Subscript):
        parent = tree.parents.get(node)
        if getattr(node, "ctx", ast.Load()).__class__ is not ast.Load:
            continue
        if isinstance(parent, ast.Call) and parent.func is node or isinstance(parent, ast.Attribute):
            continue
        if isinstance(parent, ast.keyword) or isinstance(node, ast.Name) and node.id in CONSTANTS:
            continue
        yield node


@register
class Wrap(EditFamily):
    name = "wrap"
    description = (
        "wrap an expression in a call (abs, len, ..., a one-argument callee of the module; max/min with "
        "a filled bound); unwrap; drop an operand"
    )

    module_callees: int = 2
    """One-argument callees of the module (``math.ceil``) tried as wraps, most used first."""

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        tree = ctx.tree
        if tree is None:
            return
        callees = [*_WRAPS, *(c for c in ctx.scope.unary_calls[: self.module_callees] if c not in _WRAPS)]
        for node in _wrappable(ctx):
            text = tree.text(node)
            for f in callees:
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == f):
                    yield _node_edit(self.name, ctx, node, (f"{f}({text})",), f"{text} -> {f}({text})")
            yield _node_edit(
                self.name, ctx, node, ("max(", ctx.hole_slots // 2, f", {text})"), f"{text} -> max(…, {text})"
            )
            yield _node_edit(
                self.name, ctx, node, (f"min({text}, ", ctx.hole_slots // 2, ")"), f"{text} -> min({text}, …)"
            )
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in _UNWRAPPABLE
                and not node.keywords
            ):
                for arg in node.args:
                    if not isinstance(arg, ast.Starred) and (len(node.args) == 1 or node.func.id in ("max", "min")):
                        inner = _in_place_of(tree, node, arg)
                        yield _node_edit(self.name, ctx, node, (inner,), f"{text} -> {inner}")
            if isinstance(node, ast.BinOp):
                for keep in (node.left, node.right):
                    inner = _in_place_of(tree, node, keep)
                    yield _node_edit(self.name, ctx, node, (inner,), f"{text} -> {inner}")


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


@register
class Statement(EditFamily):
    name = "statement"
    description = (
        "insert a statement before or after an accused one (filled by the model, or copied from the "
        "module); delete one; refill a return value"
    )

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        tree = ctx.tree
        if tree is None:
            return
        code = ctx.code
        for stmt in ctx.accused_nodes(ast.stmt):
            line = tree.line(stmt)
            line_start, _ = tree.line_bounds(line)
            indent = tree.indent_of(line)
            if code[line_start : tree.start(stmt)].strip():
                continue  # not the first statement of its line
            yield Edit(
                self.name,
                line_start,
                line_start,
                (indent, ctx.statement_slots, "\n"),
                line,
                f"insert a statement before line {line}",
            )
            for copy in self._ingredients(ctx, stmt):
                yield Edit(
                    self.name,
                    line_start,
                    line_start,
                    (f"{indent}{copy}\n",),
                    line,
                    f"insert `{copy}` before line {line}",
                )
                if not isinstance(stmt, (*_COMPOUND, ast.Return, ast.Raise, ast.Continue, ast.Break)):
                    _, end = tree.line_bounds(tree.end_line(stmt))
                    if end < len(code):
                        yield Edit(
                            self.name,
                            end + 1,
                            end + 1,
                            (f"{indent}{copy}\n",),
                            line,
                            f"insert `{copy}` after line {line}",
                        )
            if isinstance(stmt, _COMPOUND):
                first = stmt.body[0]
                at_line = tree.line(first)
                if at_line > line:
                    start, _ = tree.line_bounds(at_line)
                    yield Edit(
                        self.name,
                        start,
                        start,
                        (tree.indent_of(at_line), ctx.statement_slots, "\n"),
                        line,
                        f"insert a statement at the top of the block of line {line}",
                    )
            else:
                last = tree.end_line(stmt)
                _, end = tree.line_bounds(last)
                if end < len(code):
                    yield Edit(
                        self.name,
                        end + 1,
                        end + 1,
                        (indent, ctx.statement_slots, "\n"),
                        line,
                        f"insert a statement after line {line}",
                    )
                yield from self._delete(ctx, stmt, line, indent)
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                yield _node_edit(
                    self.name, ctx, stmt.value, (ctx.statement_slots,), f"return {tree.text(stmt.value)} -> return …"
                )

    max_ingredients: int = 12

    def _ingredients(self, ctx: EditContext, stmt: ast.stmt) -> list[str]:
        """Statements of the module to copy next to ``stmt`` (the plastic surgery hypothesis: a
        fix's ingredients are often elsewhere in the program): the ones sharing the most names
        with the function, never ``stmt`` itself."""
        tree = ctx.tree
        assert tree is not None
        own = tree.text(stmt).strip()
        used = {t.string for t in ctx.tokens if t.type == tokenize.NAME}
        scored = []
        for k, text in enumerate(ctx.scope.statements):
            if text == own:
                continue
            names = {t.string for t in _tokens(text) if t.type == tokenize.NAME}
            shared = len(names & used)
            if shared:
                scored.append((-shared / max(len(names), 1), k, text))
        return [text for *_, text in sorted(scored)[: self.max_ingredients]]

    def _delete(self, ctx: EditContext, stmt: ast.stmt, line: int, indent: str) -> Iterator[Edit]:
        tree = ctx.tree
        assert tree is not None
        parent = tree.parents.get(stmt)
        block = next(
            (
                b
                for b in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody"))
                if isinstance(b, list) and stmt in b
            ),
            None,
        )
        if block is None or tree.end_line(stmt) != line:
            return
        start, end = tree.line_bounds(line)
        rest = ctx.code[tree.stop(stmt) : end].strip()
        if rest and not rest.startswith("#"):
            return
        if len(block) == 1:
            yield Edit(self.name, tree.start(stmt), tree.stop(stmt), ("pass",), line, f"delete line {line} (pass)")
        elif end < len(ctx.code):
            yield Edit(self.name, start, end + 1, ("",), line, f"delete line {line}")


@register
class WholeLine(EditFamily):
    name = "whole_line"
    description = "the accused line masked whole at a few lengths, or its first or last half kept"

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        code = ctx.code
        starts = line_starts(code)
        by_line: dict[int, list[Token]] = {}
        for t in ctx.tokens:
            by_line.setdefault(t.line, []).append(t)
        for line in sorted(ctx.lines):
            if line < 2 or line > len(starts):  # never the header
                continue
            start = starts[line - 1]
            end = code.find("\n", start)
            end = len(code) if end < 0 else end
            text = code[start:end]
            body = text.strip()
            if not body or body.startswith("#"):
                continue
            a = start + len(text) - len(text.lstrip())
            b = start + len(text.rstrip())
            tail = ":" if body.endswith(":") else ""
            b -= len(tail)
            n = max(2, round((b - a) / 3.0))
            for slots in dict.fromkeys((n, n + 3)):
                yield Edit(self.name, a, b, (slots,), line, f"rewrite line {line} ({slots} slots)")
            toks = [t for t in by_line.get(line, []) if a <= t.start and t.end <= b]
            if len(toks) >= 4:
                half = len(toks) // 2
                keep_head = toks[half - 1].end
                yield Edit(self.name, keep_head, b, (" ", max(2, n // 2 + 2)), line, f"rewrite the end of line {line}")
                keep_tail = toks[half].start
                yield Edit(
                    self.name, a, keep_tail, (max(2, n // 2 + 2), " "), line, f"rewrite the start of line {line}"
                )


_OPENERS = ("if", "elif", "else", "for", "while", "def", "class", "try", "except", "finally", "with", "async")


@register
class SyntaxRepair(EditFamily):
    name = "syntax"
    description = "code that does not parse: a missing colon or closing bracket added, an extra one dropped"

    def generate(self, ctx: EditContext) -> Iterator[Edit]:
        if ctx.tree is not None:
            return
        code = ctx.code
        starts = line_starts(code)
        for line in sorted(ctx.lines):
            if line > len(starts):
                continue
            start = starts[line - 1]
            end = code.find("\n", start)
            end = len(code) if end < 0 else end
            text = code[start:end].rstrip()
            stripped = text.strip()
            if not stripped:
                continue
            stop = start + len(text)
            first = stripped.split()[0].rstrip(":(")
            if first in _OPENERS and not stripped.endswith(":"):
                yield _replace(self.name, ctx, stop, stop, ":", f"add `:` to line {line}")
            for opener, closer in (("(", ")"), ("[", "]"), ("{", "}")):
                balance = stripped.count(opener) - stripped.count(closer)
                at = stop - 1 if stripped.endswith(":") else stop
                if balance > 0:
                    yield _replace(self.name, ctx, at, at, closer * balance, f"close `{opener}` on line {line}")
                elif balance < 0:
                    k = code.rfind(closer, start, stop)
                    yield _replace(self.name, ctx, k, k + 1, "", f"drop an extra `{closer}` on line {line}")
