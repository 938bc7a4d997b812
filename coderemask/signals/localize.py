"""Fault localization: rank the lines of one function by how suspicious a test run makes them.

From a :class:`~coderemask.signals.tests.TestRun` made with coverage of the function, each line
gets a score in [0, 1] built from four witnesses (weights in :class:`Weights`, one place):

- the spectrum: how many failing (ef) and passing (ep) tests ran the line, and how many did not
  (nf, np), through a formula chosen by name from ``FORMULAS`` (Ochiai by default, Tarantula,
  DStar with star = 2);
- failure points: the line where a failing test's traceback leaves the function (its innermost
  frame inside it), and, for a failed assertion on a value, the only ``return`` the test ran;
- def-use: lines of the function that define a name used on a failure point (parameters,
  assignments, loop and ``with``/``except`` targets, imports, found with :mod:`ast`);
- assertion messages: a line holding the literal the failing assertion got (``assert 3 == 4``
  and ``return 3``); the assertion is quoted in the output line's reason.

Only tests that ran the function (or left a frame in it) count; skipped tests never do. The
combined score is divided by the best line's, so the most suspicious line scores 1. A run where
no failing test reaches the function gives no lines and says why (``Localization.status``,
``reason``): these are values, never exceptions.

This module does not know how tests are run (``tests.py``), how evidence is weighed against the
other witnesses (``policy.py``), tokens or models. Def-use is textual and flow-insensitive: a
name's every definition in the function counts, whatever the path; attribute and item stores
(``self.x = ...``, ``d[k] = ...``) are not definitions. A function text that does not parse
still gets spectrum and traceback scores, but no def-use or literal ones.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from coderemask.errors import ConfigError
from coderemask.signals.units import TextOffsets
from coderemask.types import Evidence, Span

if TYPE_CHECKING:
    from coderemask.signals.tests import TestOutcome, TestRun
    from coderemask.source import Target

# ----------------------------------------------------------------------------- formulas


class Spectrum(NamedTuple):
    """Test counts for one line: failing/passing tests that ran it (ef, ep) or did not (nf, np)."""

    ef: int
    ep: int
    nf: int
    np: int


class Formula:
    """A spectrum-based suspiciousness formula; ``score`` is the textbook value."""

    name: str = ""

    def score(self, s: Spectrum) -> float:
        raise NotImplementedError

    def bounded(self, value: float) -> float:
        """``value`` mapped into [0, 1], keeping its order (identity for bounded formulas)."""
        return value


class Ochiai(Formula):
    """ef / sqrt((ef + nf) * (ef + ep))."""

    name = "ochiai"

    def score(self, s: Spectrum) -> float:
        denominator = math.sqrt((s.ef + s.nf) * (s.ef + s.ep))
        return s.ef / denominator if denominator else 0.0


class Tarantula(Formula):
    """(ef / F) / (ef / F + ep / P), with F = ef + nf failing and P = ep + np passing tests."""

    name = "tarantula"

    def score(self, s: Spectrum) -> float:
        if s.ef == 0:
            return 0.0
        failed = s.ef / (s.ef + s.nf)
        passed = s.ep / (s.ep + s.np) if s.ep + s.np else 0.0
        return failed / (failed + passed)


@dataclass(frozen=True)
class DStar(Formula):
    """ef ** star / (ep + nf); infinite when ef > 0 and ep + nf = 0 (only failing tests run it,
    and all of them do). Unbounded: ``bounded`` is x / (1 + x), with infinity -> 1."""

    star: float = 2.0
    name: str = "dstar"

    def score(self, s: Spectrum) -> float:
        if s.ef == 0:
            return 0.0
        denominator = s.ep + s.nf
        return s.ef**self.star / denominator if denominator else math.inf

    def bounded(self, value: float) -> float:
        return 1.0 if math.isinf(value) else value / (1.0 + value)


#: Formulas by name; ``locate --formula`` and :func:`localize` pick from here.
FORMULAS: dict[str, Formula] = {f.name: f for f in (Ochiai(), Tarantula(), DStar())}


def get_formula(name: str | Formula) -> Formula:
    """The formula called ``name`` (or ``name`` itself when it is one)."""
    if isinstance(name, Formula):
        return name
    try:
        return FORMULAS[name.lower()]
    except KeyError:
        raise ConfigError(f"unknown formula {name!r}; choose one of: {', '.join(FORMULAS)}") from None


# ----------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class Weights:
    """How the witnesses add up to a line's score. Every part is in [0, 1]; the weighted sum is
    then divided by the best line's sum.

    spectrum:    the formula's (bounded) score divided by the best line's: the spectrum leads.
    raise_line:  share of failing tests whose traceback leaves the function on this line.
    output_line: share of failing tests whose failed assertion checked a value from this line:
                 the only ``return`` of the function the test ran (weaker: the value may only
                 pass through it).
    def_use:     share of failing tests whose failure point (raise or output line) uses a name
                 this line defines; below the failure point itself, which it may only feed.
    literal:     share of failing assertions whose actual value is a literal on this line.
    """

    spectrum: float = 1.0
    raise_line: float = 0.5
    output_line: float = 0.2
    def_use: float = 0.15
    literal: float = 0.15

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
                raise ConfigError(f"Weights.{f.name}={value!r}: need a finite number >= 0")

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


WEIGHTS = Weights()
PARTS: tuple[str, ...] = tuple(f.name for f in fields(Weights))

# ----------------------------------------------------------------------------- results

Status = Literal["ok", "no_tests", "no_failures", "not_covered"]


@dataclass(frozen=True)
class LineScore:
    """One line of the function: where it is, its score and why.

    ``line`` counts in the file; ``span`` is the line's characters in the function text, from
    its first non-blank character to its last. ``parts`` are the witnesses' values in [0, 1]
    before weighting (names as in :class:`Weights`); ``raw`` is the formula's own value.
    """

    line: int
    code: str
    span: Span
    score: float
    raw: float
    spectrum: Spectrum
    parts: Mapping[str, float]
    failing_tests: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class Localization:
    """Line scores for one function and one test run.

    ``lines``: every non-blank line of the function text, in order; ``ranked``: those with a
    positive score, most suspicious first. ``status`` is ``ok`` when some line has a positive
    score; otherwise ``reason`` says why there is nothing (no tests, none failing, none
    reaching the function). ``tests``: the tests that ran the function (they are the ones
    counted).
    """

    status: Status
    reason: str
    formula: str
    first_line: int
    lines: tuple[LineScore, ...] = ()
    tests: tuple[TestOutcome, ...] = ()
    weights: Weights = field(default=WEIGHTS)

    @property
    def ranked(self) -> list[LineScore]:
        return sorted((s for s in self.lines if s.score > 0), key=lambda s: (-s.score, s.line))

    @property
    def failing(self) -> list[TestOutcome]:
        return [t for t in self.tests if t.outcome in _FAILED]

    def rank(self, line: int) -> int | None:
        """1 + the number of other lines scoring at least as high (ties count against it);
        None when the line has no positive score."""
        mine = next((s.score for s in self.lines if s.line == line and s.score > 0), None)
        if mine is None:
            return None
        return 1 + sum(1 for s in self.lines if s.line != line and s.score >= mine)

    def evidence(self, source: str = "tests") -> list[Evidence]:
        """One Evidence per positive line, in line order; spans are characters of the text."""
        return [Evidence(source, s.span, s.score, s.message) for s in self.lines if s.score > 0]


_FAILED = ("failed", "error")
_COUNTED = ("passed", "failed", "error")

# ----------------------------------------------------------------------------- the function's code


@dataclass(frozen=True)
class _Lines:
    """The function text's lines: 1-based file line -> (code, span without indentation)."""

    first: int
    code: dict[int, tuple[str, Span]]

    @classmethod
    def of(cls, text: str, first: int) -> _Lines:
        offsets = TextOffsets(text)
        count = len(offsets.line_starts) - (1 if text.endswith(("\n", "\r")) else 0)
        code: dict[int, tuple[str, Span]] = {}
        for i in range(1, count + 1):
            start, end = offsets.line_starts[i - 1], offsets.line_end(i)
            raw = text[start:end]
            stripped = raw.strip()
            if stripped:
                lead = len(raw) - len(raw.lstrip())
                code[first + i - 1] = (stripped, Span(start + lead, start + lead + len(stripped)))
        return cls(first, code)

    @property
    def last(self) -> int:
        return max(self.code, default=self.first)

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.first <= line <= self.last


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_BLOCK_FIELDS = {"body", "orelse", "finalbody", "handlers", "cases"}


def _parse_function(text: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None:
    """The function node of ``text`` and the line shift to subtract; None when it does not parse."""
    shift = 1 if text[:1] in (" ", "\t") else 0  # a method: indent it under a dummy block
    source = "if True:\n" + text if shift else text
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    node = next((n for n in ast.walk(module) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    return None if node is None else (node, shift)


def _walk_scope(node: ast.AST) -> Iterable[ast.AST]:
    """``node`` and its descendants, not entering nested functions, lambdas or classes."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, _SCOPES):
                yield child  # its name is defined here; its body is another scope
            else:
                stack.append(child)


def _literal(node: ast.AST) -> tuple[bool, Any]:
    """(True, value) for a scalar literal, ``-1`` included; (False, None) otherwise."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        ok, value = _literal(node.operand)
        if ok and isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return True, -value if isinstance(node.op, ast.USub) else value
        return False, None
    if isinstance(node, ast.Constant) and not isinstance(node.value, type(...)):
        return True, node.value
    return False, None


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, (int, float, complex)) and isinstance(b, (int, float, complex)):
        return a == b
    return type(a) is type(b) and a == b


class _Facts:
    """What :mod:`ast` says about the function, keyed by file line."""

    def __init__(self, parsed: tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None, first: int) -> None:
        self.definitions: dict[str, set[int]] = {}
        self.statements: list[tuple[int, int, ast.stmt]] = []  # (start, end, node), file lines
        self.returns: set[int] = set()
        self.literals: dict[int, list[Any]] = {}
        self.offset = first - 1
        if parsed is None:
            return
        func, shift = parsed
        self.offset -= shift
        arguments = func.args
        for arg in (*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs, arguments.kwarg):
            if arg is not None:
                self._define(arg.arg, arg.lineno)
        docstrings = {
            id(s.value)
            for s in ast.walk(func)
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)
        }
        for stmt in func.body:
            self._scan(stmt, docstrings)

    def _at(self, lineno: int) -> int:
        """File line of a line of the parsed source."""
        return lineno + self.offset

    def _define(self, name: str, lineno: int) -> None:
        self.definitions.setdefault(name, set()).add(self._at(lineno))

    def _scan(self, root: ast.stmt, docstrings: set[int]) -> None:
        skip = docstrings | {id(n.operand) for n in _walk_scope(root) if isinstance(n, ast.UnaryOp)}
        for node in _walk_scope(root):
            if isinstance(node, ast.stmt):
                self.statements.append((self._at(node.lineno), self._at(node.end_lineno or node.lineno), node))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self._define(node.id, node.lineno)
            elif (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)) and node.name
            ):
                self._define(node.name, node.lineno)  # nested def/class, ``except E as name``
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    self._define((alias.asname or alias.name).partition(".")[0], node.lineno)
            elif isinstance(node, ast.Return):
                self.returns.add(self._at(node.lineno))
            ok, value = _literal(node) if id(node) not in skip else (False, None)
            if ok and isinstance(node, ast.expr):  # _literal accepts only expressions
                self.literals.setdefault(self._at(node.lineno), []).append(value)

    def statement_at(self, line: int) -> ast.stmt | None:
        """The innermost statement whose lines hold ``line``."""
        around = [(start, end, node) for start, end, node in self.statements if start <= line <= end]
        return min(around, key=lambda t: t[1] - t[0])[2] if around else None

    def uses(self, line: int) -> set[str]:
        """Names read by the statement on ``line`` (for a compound statement: by its header)."""
        stmt = self.statement_at(line)
        if stmt is None:
            return set()
        names: set[str] = set()
        parts = [value for name, value in ast.iter_fields(stmt) if name not in _BLOCK_FIELDS]
        for part in parts:
            for sub in part if isinstance(part, list) else [part]:
                if isinstance(sub, ast.AST):
                    names.update(
                        n.id
                        for n in ast.walk(sub)
                        if isinstance(n, ast.Name) and (isinstance(n.ctx, ast.Load) or isinstance(stmt, ast.AugAssign))
                    )
        return names


# ----------------------------------------------------------------------------- assertion messages

_WHERE = re.compile(r"^\s*\+\s+where (?P<value>.+?) = ")


@dataclass(frozen=True)
class _Assertion:
    """A failed ``assert a == b``: its first line and the value the code under test produced."""

    text: str
    actual: str
    value: Any
    has_value: bool


def _assertion(test: TestOutcome) -> _Assertion | None:
    """Read pytest's rewritten message (``assert 3 == 4\\n +  where 3 = f(2)``)."""
    if test.exc_type != "AssertionError" or not test.message:
        return None
    lines = test.message.strip().splitlines()
    first = _first_line(lines[0], 120)
    if not first.startswith("assert "):
        return None
    try:
        expr = ast.parse(first[len("assert ") :], mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return _Assertion(first, "", None, False)
    if not isinstance(expr, ast.Compare) or len(expr.ops) != 1:
        return _Assertion(first, "", None, False)
    sides = [expr.left, expr.comparators[0]]
    sources = [ast.unparse(s) for s in sides]
    produced = {m["value"].strip() for m in map(_WHERE.match, lines[1:]) if m}
    actual = next((i for i, src in enumerate(sources) if src in produced), 0)
    ok, value = _literal(sides[actual])
    return _Assertion(first, sources[actual], value, ok)


# ----------------------------------------------------------------------------- scoring


def _short(nodeid: str) -> str:
    return nodeid.rpartition("::")[2] or nodeid


def _names(tests: Sequence[str], most: int = 3) -> str:
    shown = ", ".join(_short(t) for t in tests[:most])
    return shown + (f" and {len(tests) - most} more" if len(tests) > most else "")


def _first_line(text: str, most: int = 100) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= most else line[: most - 3] + "..."


#: How each part's reason reads: (template with {tests} and {detail}, whether details differ by
#: test and only the first is shown, or are facts about the line and all are shown).
_REASONS: dict[str, tuple[str, bool]] = {
    "raise_line": ("failing line of {tests} ({detail})", True),
    "output_line": ("returned the value that {tests} rejected ({detail})", True),
    "def_use": ("{detail}", False),
    "literal": ("holds the value that {tests} got ({detail})", True),
}


assert set(_REASONS) == set(PARTS) - {"spectrum"}, "a Weights part without a reason (or the reverse)"


class _Witness:
    """Per-part credits: file line -> the failing tests backing it, and the details why."""

    def __init__(self) -> None:
        self.backers: dict[str, dict[int, list[str]]] = {part: {} for part in _REASONS}
        self.details: dict[str, dict[int, list[str]]] = {part: {} for part in _REASONS}

    def add(self, part: str, line: int, test: str, detail: str) -> None:
        for store, item in ((self.backers, test), (self.details, detail)):
            items = store[part].setdefault(line, [])
            if item not in items:
                items.append(item)

    def reasons(self, line: int) -> list[str]:
        out = []
        for part, (template, first_only) in _REASONS.items():
            tests, details = self.backers[part].get(line), self.details[part].get(line, [])
            if tests:
                detail = details[0] + (" ..." if len(details) > 1 else "") if first_only else "; ".join(details)
                out.append(template.format(tests=_names(tests), detail=detail))
        return out


def _failure_points(test: TestOutcome, lines: _Lines, facts: _Facts, witness: _Witness) -> None:
    """Credit the raise or output line of one failing test, and the definitions it uses."""
    inside = [f for f in test.frames if f.in_target and f.line in lines]
    points: list[tuple[int, str]] = []
    if inside:
        line = inside[-1].line
        what = f"{test.exc_type}: {_first_line(test.message)}" if test.message else str(test.exc_type)
        witness.add("raise_line", line, test.nodeid, what)
        points.append((line, "raise"))
    assertion = None if inside else _assertion(test)
    if assertion is not None:
        ran = [r for r in sorted(facts.returns) if r in test.covered_lines]
        if len(ran) == 1:
            witness.add("output_line", ran[0], test.nodeid, assertion.text)
            points.append((ran[0], "output"))
        if assertion.has_value:
            for line, values in facts.literals.items():
                if line in test.covered_lines and any(_same_value(v, assertion.value) for v in values):
                    witness.add("literal", line, test.nodeid, assertion.text)
    for point, kind in points:
        for name in sorted(facts.uses(point)):
            for line in sorted(facts.definitions.get(name, ())):
                if line != point and line in lines:
                    witness.add("def_use", line, test.nodeid, f"defines {name}, used on the {kind} line {point}")


def _relevant(run: TestRun, lines: _Lines) -> list[TestOutcome]:
    """Tests that ran the function or left a frame in it (skipped ones never count)."""
    return [
        t
        for t in run.tests
        if t.outcome in _COUNTED
        and (any(n in lines for n in t.covered_lines) or any(f.in_target and f.line in lines for f in t.frames))
    ]


def _empty(
    run: TestRun, relevant: Sequence[TestOutcome], formula: Formula, lines: _Lines, weights: Weights
) -> Localization | None:
    """A Localization with no lines when the run cannot blame any, else None."""
    status: Status
    if not run.tests:
        status, reason = "no_tests", f"no tests ran ({run.status}: {run.message or 'nothing collected'})"
    elif not any(t.outcome in _FAILED for t in relevant):
        failing = len(run.failing)
        if failing:
            status, reason = "not_covered", f"{failing} test(s) failed, but none of them ran the function"
        elif relevant:
            status, reason = "no_failures", f"the {len(relevant)} test(s) that run the function pass"
        else:
            status, reason = "not_covered", "no test ran the function"
        if run.collect_errors:
            reason += f"; {run.message}"
    else:
        return None
    return Localization(status, reason, formula.name, lines.first, tests=tuple(relevant), weights=weights)


def localize(
    run: TestRun,
    target: Target | int,
    text: str | None = None,
    *,
    formula: str | Formula = "ochiai",
    weights: Weights = WEIGHTS,
) -> Localization:
    """Score every line of a function from a test run made on it.

    ``target``: the :class:`~coderemask.source.Target` (its ``text`` and ``start_line``), or the
    file line where ``text`` starts. ``text``: the function's text as it was when the tests ran
    (a candidate's; default the target's). Coverage and frames outside its lines are ignored.
    """
    chosen = get_formula(formula)
    if isinstance(target, int):
        if text is None:
            raise TypeError("localize(run, first_line, text): the text is needed with a line number")
        first = target
    else:
        first, text = target.start_line, target.text if text is None else text
    lines = _Lines.of(text, first)
    relevant = _relevant(run, lines)
    empty = _empty(run, relevant, chosen, lines, weights)
    if empty is not None:
        return empty
    failing = [t for t in relevant if t.outcome in _FAILED]
    passing = [t for t in relevant if t.outcome == "passed"]
    facts = _Facts(_parse_function(text), first)
    witness = _Witness()
    for test in failing:
        _failure_points(test, lines, facts, witness)

    spectra: dict[int, Spectrum] = {}
    raw: dict[int, float] = {}
    for line in lines.code:
        ef = sum(line in t.covered_lines for t in failing)
        ep = sum(line in t.covered_lines for t in passing)
        spectra[line] = Spectrum(ef, ep, len(failing) - ef, len(passing) - ep)
        raw[line] = chosen.score(spectra[line])
    best_spectrum = max((chosen.bounded(v) for v in raw.values()), default=0.0)

    totals: dict[int, float] = {}
    parts: dict[int, dict[str, float]] = {}
    for line in lines.code:
        mine = {"spectrum": chosen.bounded(raw[line]) / best_spectrum if best_spectrum else 0.0}
        for part, backers in witness.backers.items():  # every part but the spectrum
            mine[part] = len(backers.get(line, ())) / len(failing)
        parts[line] = mine
        totals[line] = sum(getattr(weights, part) * value for part, value in mine.items())
    top = max(totals.values(), default=0.0)
    scored = []
    for line, (code, span) in lines.code.items():
        covering = tuple(t.nodeid for t in failing if line in t.covered_lines)
        reasons = _reasons(chosen, raw[line], spectra[line], covering, line, witness) if totals[line] > 0 else ()
        scored.append(
            LineScore(
                line,
                code,
                span,
                min(1.0, totals[line] / top) if top else 0.0,
                raw[line],
                spectra[line],
                parts[line],
                covering,
                reasons,
            )
        )
    status: Status = "ok" if top > 0 else "not_covered"
    reason = "" if top > 0 else "the failing tests leave no trace in the function's lines"
    return Localization(status, reason, chosen.name, first, tuple(scored), tuple(relevant), weights)


def _reasons(
    formula: Formula, raw: float, s: Spectrum, covering: Sequence[str], line: int, witness: _Witness
) -> tuple[str, ...]:
    if s.ef + s.ep:
        value = "inf" if math.isinf(raw) else f"{raw:.2f}"
        ran = f"run by {s.ef}/{s.ef + s.nf} failing" + (f" ({_names(covering)})" if covering else "")
        spectrum = f"{formula.name} {value}: {ran}, {s.ep}/{s.ep + s.np} passing"
    else:
        spectrum = f"{formula.name} 0: no test ran it"
    return (spectrum, *witness.reasons(line))


def fault_evidence(
    run: TestRun,
    target: Target | int,
    text: str | None = None,
    *,
    formula: str | Formula = "ochiai",
    weights: Weights = WEIGHTS,
) -> list[Evidence]:
    """Evidence (source ``"tests"``) for the suspicious lines of ``text`` (see :func:`localize`).

    Spans are characters of the function text (the candidate's when given); empty when the run
    blames no line (``localize(...).reason`` says why).
    """
    return localize(run, target, text, formula=formula, weights=weights).evidence()


__all__ = [
    "FORMULAS",
    "PARTS",
    "WEIGHTS",
    "DStar",
    "Formula",
    "LineScore",
    "Localization",
    "Ochiai",
    "Spectrum",
    "Tarantula",
    "Weights",
    "fault_evidence",
    "get_formula",
    "localize",
]
