"""The syntax witness: where code fails to parse, as :class:`~coderemask.types.Evidence` spans.

Problems come from detectors chosen by name from :data:`DETECTORS`:

- ``"tree-sitter"``: ERROR nodes (unexpected text) and MISSING nodes (a token tree-sitter had to
  invent; the zero-width spot is widened to the token before it);
- ``"compile"``: CPython's own ``compile(code, "<candidate>", "exec")`` (nothing is executed),
  which catches what tree-sitter accepts but Python rejects: bad indentation, an empty block,
  ``return``/``yield``/``await``/``break`` outside their scope, duplicate arguments, ...
- ``"one-function"``: code that starts with a function definition must end with it: a top-level
  statement after the function (a body line that lost its indentation) parses as Python but is
  no longer part of the function, so it is a problem (kind ``"outside"``).

Each problem gives one Evidence on its own span (score by kind, :class:`SyntaxScores`) and one on
the smallest enclosing simple statement (``units.scm`` kind ``"statement"``), or, when no simple
statement encloses it, on the whole lines it touches (without indentation and line breaks), with a
lower score. Evidence with the same span is merged (highest score, messages joined). Code whose
first line is indented (a method cut out of its class) is compiled inside ``if True:``.

The unit helpers the policy snaps spans with (``enclosing_units``, ``smallest_enclosing_unit``,
``remaskable_units``) live in ``coderemask.signals.units`` and are re-exported here.

Offsets are characters of ``code``; line and column in messages are 1-based and relative to
``code``. Failures of the code are values, never exceptions. This module does not know tokens,
models or tests, nor how the policy weighs this evidence against other witnesses.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from coderemask.errors import ConfigError
from coderemask.signals.units import (
    ParsedCode,
    enclosing_units,
    parse,
    remaskable_units,
    smallest_enclosing_unit,
)
from coderemask.types import Evidence, Span

__all__ = [
    "DEFAULT_DETECTORS",
    "DETECTORS",
    "SyntaxProblem",
    "SyntaxScores",
    "SyntaxSignal",
    "compile_problems",
    "one_function_problems",
    "enclosing_statement",
    "enclosing_units",
    "parses",
    "remaskable_units",
    "smallest_enclosing_unit",
    "syntax_evidence",
    "syntax_problems",
    "tree_sitter_problems",
]

SOURCE = "syntax"


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """One place where ``code`` does not parse.

    ``kind``: ``"error"`` (tree-sitter ERROR node), ``"missing"`` (tree-sitter MISSING node),
    ``"compile"`` (CPython rejected it) or ``"outside"`` (code after the function it belongs to);
    ``detector`` names the detector that found it.
    """

    span: Span
    kind: str
    message: str
    detector: str


Detector = Callable[[ParsedCode], list[SyntaxProblem]]


def _where(parsed: ParsedCode, offset: int) -> str:
    line = parsed.offsets.line_of(offset)
    return f"{line}:{offset - parsed.offsets.line_starts[line - 1] + 1}"


def _snippet(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


_WORD = re.compile(r"\w")


def _token_before(text: str, pos: int) -> Span:
    """The token ending at or before ``pos`` (skipping whitespace); ``[pos, pos)`` at the start."""
    end = pos
    while end > 0 and text[end - 1].isspace():
        end -= 1
    if end == 0:
        return Span(pos, pos)
    start = end - 1
    if _WORD.match(text[start]):
        while start > 0 and _WORD.match(text[start - 1]):
            start -= 1
    return Span(start, end)


def _token_at(text: str, pos: int) -> Span:
    """The word or single character starting at ``pos``; the token before it at whitespace or end."""
    if pos >= len(text) or text[pos].isspace():
        return _token_before(text, pos)
    end = pos + 1
    if _WORD.match(text[pos]):
        while end < len(text) and _WORD.match(text[end]):
            end += 1
    return Span(pos, end)


def _line_span(parsed: ParsedCode, first: int, last: int, *, strip: bool) -> Span:
    """Lines ``first..last`` (1-based) without line breaks; without indentation if ``strip``."""
    offsets = parsed.offsets
    start, end = offsets.offset(first, 0), offsets.line_end(last)
    if strip:
        while start < end and parsed.text[start].isspace():
            start += 1
        while end > start and parsed.text[end - 1].isspace():
            end -= 1
    return Span(start, end)


def tree_sitter_problems(parsed: ParsedCode) -> list[SyntaxProblem]:
    """ERROR and MISSING nodes of the tree (an ERROR inside an ERROR is not reported again)."""
    problems: list[SyntaxProblem] = []
    text = parsed.text
    stack: list[tuple[Node, bool]] = [(parsed.root, False)] if parsed.has_error else []
    while stack:  # depth-first, in source order, without recursion (deep trees are fine)
        node, inside_error = stack.pop()
        if node.is_missing:
            span = _token_before(text, parsed.span(node).start)
            what = node.type if node.is_named else repr(node.type)
            message = f"{_where(parsed, span.end)}: missing {what}"
            problems.append(SyntaxProblem(span, "missing", message, "tree-sitter"))
            continue
        if node.is_error and not inside_error:
            span = parsed.span(node)
            if len(span) == 0:
                span = _token_at(text, span.start)
            message = f"{_where(parsed, span.start)}: cannot parse {_snippet(text[span.start : span.end])!r}"
            problems.append(SyntaxProblem(span, "error", message, "tree-sitter"))
        if node.has_error:
            stack.extend((child, inside_error or node.is_error) for child in reversed(node.children))
    return problems


def _first_code_line_indented(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            return stripped != line
    return False


_WRAPPER = "if True:\n"


def compile_problems(parsed: ParsedCode) -> list[SyntaxProblem]:
    """What CPython's ``compile()`` rejects (at most one problem: compile stops at the first)."""
    text = parsed.text
    nul = text.find("\0")
    if nul >= 0:  # compile() refuses the whole text; point at the byte instead
        where = _where(parsed, nul)
        return [SyntaxProblem(Span(nul, nul + 1), "compile", f"{where}: null byte in source", "compile")]
    wrapped = _first_code_line_indented(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(_WRAPPER + text if wrapped else text, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [_compile_problem(parsed, exc, line_shift=1 if wrapped else 0)]
    except (ValueError, UnicodeError, RecursionError, MemoryError, OverflowError) as exc:
        message = f"compile() failed: {type(exc).__name__}: {exc}"
        return [SyntaxProblem(Span(0, len(text)), "compile", message, "compile")]
    return []


def _compile_problem(parsed: ParsedCode, exc: SyntaxError, *, line_shift: int) -> SyntaxProblem:
    offsets, text = parsed.offsets, parsed.text
    line = (exc.lineno or 1) - line_shift
    label = f"{type(exc).__name__}: {exc.msg}"
    if isinstance(exc, IndentationError):  # TabError too: the indentation of the line is wrong
        span = _line_span(parsed, line, line, strip=False)
        if len(span) == 0:
            span = _token_before(text, span.start)
        return SyntaxProblem(span, "compile", f"{line}:1: {label}", "compile")
    start = offsets.offset(line, (exc.offset or 1) - 1)
    end = start
    if exc.end_lineno is not None and exc.end_offset is not None and exc.end_offset > 0:
        end = offsets.offset(exc.end_lineno - line_shift, exc.end_offset - 1)
    span = Span(start, end) if end > start else _token_at(text, start)
    return SyntaxProblem(span, "compile", f"{_where(parsed, span.start)}: {label}", "compile")


_DEFINITIONS = ("function_definition", "decorated_definition")


def one_function_problems(parsed: ParsedCode) -> list[SyntaxProblem]:
    """Top-level statements after a leading function definition (at most one problem, to the end)."""
    statements = [n for n in parsed.root.named_children if n.type != "comment"]
    if len(statements) < 2 or statements[0].type not in _DEFINITIONS:
        return []
    start = parsed.span(statements[1]).start
    end = len(parsed.text.rstrip())
    name = statements[0].child_by_field_name("name") or statements[0]
    if statements[0].type == "decorated_definition":
        inner = statements[0].child_by_field_name("definition")
        name = (inner.child_by_field_name("name") if inner is not None else None) or name
    label = parsed.text[parsed.span(name).start : parsed.span(name).end]
    message = f"{_where(parsed, start)}: code after the end of function {label!r} (a line left its body)"
    return [SyntaxProblem(Span(start, max(end, start + 1)), "outside", message, "one-function")]


#: Registry of detectors by name.
DETECTORS: dict[str, Detector] = {
    "tree-sitter": tree_sitter_problems,
    "compile": compile_problems,
    "one-function": one_function_problems,
}
DEFAULT_DETECTORS: tuple[str, ...] = ("tree-sitter", "compile", "one-function")


def _detectors(names: Iterable[str]) -> list[Detector]:
    chosen = (names,) if isinstance(names, str) else tuple(names)
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        raise ConfigError(f"unknown syntax detector(s) {unknown}; known: {', '.join(DETECTORS)}")
    return [DETECTORS[n] for n in chosen]


def syntax_problems(code: str | ParsedCode, detectors: Sequence[str] = DEFAULT_DETECTORS) -> list[SyntaxProblem]:
    """Every problem the named detectors find, sorted by position (duplicates kept)."""
    parsed = parse(code)
    found = [p for detect in _detectors(detectors) for p in detect(parsed)]
    return sorted(found, key=lambda p: (p.span.start, p.span.end, p.detector))


def parses(code: str | ParsedCode) -> bool:
    """True when tree-sitter finds no ERROR/MISSING node, ``compile()`` accepts the code, and a
    function's code is still one function (no default detector finds a problem)."""
    parsed = parse(code)
    return not parsed.has_error and not compile_problems(parsed) and not one_function_problems(parsed)


@dataclass(frozen=True, slots=True)
class SyntaxScores:
    """Evidence scores in [0, 1] per problem kind, and for the enclosing statement."""

    error: float = 0.9
    missing: float = 1.0
    compile: float = 1.0
    outside: float = 1.0
    statement: float = 0.5

    def __post_init__(self) -> None:
        for name in ("error", "missing", "compile", "outside", "statement"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"SyntaxScores.{name} = {value!r}: need a score in [0, 1]")

    def of(self, kind: str) -> float:
        return float(getattr(self, kind))


def enclosing_statement(parsed: ParsedCode, span: Span) -> Span:
    """The smallest simple statement containing ``span``, else the whole lines it touches
    (without indentation and line breaks), always widened to contain ``span``."""
    unit = smallest_enclosing_unit(parsed, span, kinds=("statement",))
    if unit is not None:
        around = unit.span
    else:
        offsets = parsed.offsets
        last = offsets.line_of(max(span.end - 1, span.start))
        around = _line_span(parsed, offsets.line_of(span.start), last, strip=True)
    return Span(min(around.start, span.start), max(around.end, span.end))


def syntax_evidence(
    code: str | ParsedCode,
    *,
    detectors: Sequence[str] = DEFAULT_DETECTORS,
    scores: SyntaxScores = SyntaxScores(),
) -> list[Evidence]:
    """Evidence (source ``"syntax"``) for every syntax problem and its enclosing statement.

    Sorted by span start, then widest first. Empty when the code parses.
    """
    parsed = parse(code)
    merged: dict[Span, tuple[float, list[str]]] = {}

    def add(span: Span, score: float, message: str) -> None:
        old_score, messages = merged.get(span, (0.0, []))
        if message not in messages:
            messages.append(message)
        merged[span] = (max(old_score, score), messages)

    for problem in syntax_problems(parsed, detectors):
        add(problem.span, scores.of(problem.kind), problem.message)
        statement = enclosing_statement(parsed, problem.span)
        if statement != problem.span:
            add(statement, scores.statement, f"statement around {problem.message}")
    return [
        Evidence(SOURCE, span, score, "; ".join(messages))
        for span, (score, messages) in sorted(merged.items(), key=lambda kv: (kv[0].start, -kv[0].end))
    ]


class SyntaxSignal:
    """The syntax witness as a signal: ``signal(code, ctx) -> list[Evidence]`` (``ctx`` unused)."""

    name = SOURCE

    def __init__(self, detectors: Sequence[str] = DEFAULT_DETECTORS, scores: SyntaxScores = SyntaxScores()) -> None:
        _detectors(detectors)  # fail early on an unknown name
        self.detectors = tuple(detectors)
        self.scores = scores

    def __call__(self, code: str, ctx: object = None) -> list[Evidence]:
        return syntax_evidence(code, detectors=self.detectors, scores=self.scores)
