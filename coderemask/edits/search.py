"""From a function and the evidence against it to a ranked queue of candidate functions.

For the most suspicious lines (``SearchConfig.lines``; a branch or loop header inherits most of
its block's suspicion: ``_control_dependence``), every family of ``families.py`` yields
edits; fill edits (holes) are written by the model for the ``fill_lines`` most suspicious of
them. Then:

1. **static checks** drop a candidate that does not compile or gives a SyntaxWarning the
   original does not (``True[0]``: it fails whenever it runs), that equals the original or an
   earlier candidate of any search of the run (same syntax tree: spacing and comments do not
   count), or that reads a name defined nowhere (not a builtin, not bound in the module or the
   function) which the original did not read already;
2. **ranking**: ``priority = model score + suspicion_weight * ln(max(suspicion, 0.05)) + prior``, where
   the model score is the mean log-probability of the edit's new tokens less that of the
   tokens it replaces (for a fill: of the tokens it wrote; ``ranking.py``) and the suspicion is
   the accused line's score in [0, 1] (SBFL, tracebacks, parse errors). With the default weight
   1, an edit on a line half as suspicious needs new tokens about twice as likely per token to
   rank level with it; ``prior`` is a family's static hint (a name bound but never read: +5).
   Then the order is *spread*: every site's best candidate before any
   site's second (``_spread``), since a test costs milliseconds and a small model's favourite
   site is often the wrong one;
3. **stages**: a ``SearchQueue`` ranks its edits in stages as the tests reach them (the concrete
   edits of the most suspicious lines, the fills, the concrete edits of the rest), so a bug
   found in the first batch costs the ranking of one stage; of a stage that would not fit in
   the seconds left, what fits is ranked and the rest waits.

The loop (``repair.py``) tests the queue in rank order, in batches, and may start a new search
from a candidate that made more tests pass (a second edit). This module knows edits, the
ranker and evidence; it does not run tests.
"""

from __future__ import annotations

import ast
import math
import time
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

from coderemask.edits.families import Edit, EditContext, generate, get_families, line_starts
from coderemask.edits.ranking import EditRanker
from coderemask.edits.scope import ModuleScope
from coderemask.edits.tree import BUILTIN_NAMES, FunctionTree, compile_code, loaded_names
from coderemask.errors import ConfigError
from coderemask.signals.detector import LineOpinion
from coderemask.types import Evidence


@dataclass(frozen=True)
class SearchConfig:
    """How wide the search is and how it ranks."""

    families: tuple[str, ...] | None = None
    """Edit families by name (None: all registered)."""
    lines: int = 8
    """Accused lines to edit, most suspicious first."""
    first_lines: int = 3
    """Of those, the lines whose concrete edits are ranked and tested first (the rest later)."""
    fill_lines: int = 1
    """Of those, lines whose fill edits (holes) the model writes (a fill costs denoising steps)."""
    suspicion_weight: float = 1.0
    batch: int = 32
    """Candidates tested per round."""
    max_candidates: int = 1000
    """Edits a stage ranks at most (those of the most suspicious lines)."""

    def __post_init__(self) -> None:
        if self.families is not None:
            get_families(self.families)  # ConfigError names an unknown family
        for name in ("lines", "batch", "max_candidates"):
            if getattr(self, name) < 1:
                raise ConfigError(f"SearchConfig.{name}={getattr(self, name)!r}: must be >= 1")
        if self.fill_lines < 0 or not math.isfinite(self.suspicion_weight) or self.suspicion_weight < 0:
            raise ConfigError(
                f"SearchConfig.fill_lines={self.fill_lines}, suspicion_weight={self.suspicion_weight}: must be >= 0"
            )


@dataclass(frozen=True)
class Candidate:
    """A candidate function: the edit that made it, the fill of its holes, and how it ranks."""

    code: str
    edit: Edit
    fills: tuple[str, ...]
    score: float
    suspicion: float
    priority: float
    rank: int = 0

    def describe(self) -> str:
        fill = f" [{' | '.join(f.strip() for f in self.fills)}]" if self.fills else ""
        return f"{self.edit.family} (line {self.edit.line}): {self.edit.note}{fill}"


@dataclass
class SearchCounts:
    """What one search produced: edits generated, candidates left after the static checks and
    ranked, and the time ranking took (model included)."""

    generated: int = 0
    ranked: int = 0
    seconds: float = 0.0
    nfe: int = 0


def line_suspicion(code: str, evidence: Iterable[Evidence], top: int | None = None) -> dict[int, float]:
    """1-based lines of ``code`` -> the highest score of the evidence touching them (the
    ``confidence`` and ``detector`` witnesses left out: the model's doubt is already in the
    ranking, and the detector's opinion is ``add_opinion``'s), the ``top`` most suspicious lines
    only (a tie goes to the earlier line); never the ``def`` line."""
    starts = line_starts(code)
    scores: dict[int, float] = {}
    for e in evidence:
        if e.source in ("confidence", "detector"):
            continue
        first = bisect_right(starts, e.span.start)
        last = bisect_right(starts, max(e.span.start, e.span.end - 1))
        for line in range(first, last + 1):
            scores[line] = max(scores.get(line, 0.0), e.score)
    tree = FunctionTree.parse(code)
    if tree is not None:
        _control_dependence(tree, scores)
    header = tree.line(tree.func.body[0]) - 1 if tree is not None and tree.func.body else 1  # decorators, def
    ranked = sorted(((s, -line) for line, s in scores.items() if line > header and s > 0), reverse=True)
    return {-neg: s for s, neg in ranked[:top]}


def add_opinion(lines: Mapping[int, float], opinion: Mapping[int, float], weight: float) -> dict[int, float]:
    """``lines`` (line -> suspicion) with ``weight`` x ``opinion[line]`` added to each: the
    detector's opinion (``relative_opinion``, in [0, 1]) orders the lines the program's witnesses
    accuse, most usefully those they suspect alike (one failing test runs them all). It adds to
    the accused lines only, after their cut, so it changes the order of the search, never which
    lines it searches."""
    return {line: s + weight * opinion.get(line, 0.0) for line, s in lines.items()}


def relative_opinion(opinions: Iterable[LineOpinion]) -> dict[int, float]:
    """Line -> its detector probability over the most suspect line's (that line scores 1), so
    the weight means the same whatever the detector's calibration (it trains on rare positives)."""
    ranked = list(opinions)
    top = max((o.probability for o in ranked), default=0.0)
    return {o.line: o.probability / top for o in ranked} if top > 0 else {}


CONTROL_SHARE = 0.9
"""The share of a block's highest suspicion its ``if`` / ``while`` / ``for`` header inherits."""


def _control_dependence(tree: FunctionTree, scores: dict[int, float]) -> None:
    """Raise each branch or loop header to ``CONTROL_SHARE`` x the highest suspicion in its
    blocks: when a statement runs only in failing tests, the condition that let it run is as
    likely wrong as the statement (SBFL sees the header run by every test and clears it)."""
    for node in tree.nodes():
        if not isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor)):
            continue
        inside = [s for block in (node.body, node.orelse) for s in block]
        if not inside:
            continue
        lines = range(tree.line(inside[0]), tree.end_line(inside[-1]) + 1)
        best = max((scores.get(line, 0.0) for line in lines), default=0.0)
        head = tree.line(node)
        if best > 0 and scores.get(head, 0.0) < CONTROL_SHARE * best:
            scores[head] = CONTROL_SHARE * best


@dataclass
class EditSearch:
    """Generates, checks and ranks the candidates of one function.

    scope: the module's names; ranker: the model's scores; config: width and weights.
    """

    ranker: EditRanker
    scope: ModuleScope = field(default_factory=ModuleScope)
    config: SearchConfig = field(default_factory=SearchConfig)
    seen: set[str] = field(default_factory=set)
    """Syntax trees of every candidate offered so far, by all of this search's queues."""

    def queue(self, code: str, lines: Mapping[int, float]) -> SearchQueue:
        """The search of ``code`` with ``lines`` accused (line -> suspicion). Nothing is ranked
        yet: the queue ranks its stages as the tests reach them."""
        cfg = self.config
        top = dict(sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.lines])
        order = sorted(top, key=lambda line: (-top[line], line))
        edits = generate(EditContext(code, top, self.scope), get_families(cfg.families))
        first, rest = set(order[: cfg.first_lines]), set(order[cfg.first_lines :])
        fill_lines = set(order[: cfg.fill_lines])
        stages = [
            _Stage("concrete", [e for e in edits if not e.holes and e.line in first]),
            _Stage("fill", [e for e in edits if e.holes and e.line in fill_lines]),
            _Stage("concrete", [e for e in edits if not e.holes and e.line in rest]),
        ]
        for st in stages:  # the most suspicious lines' edits, at most max_candidates a stage
            st.edits = sorted(st.edits, key=lambda e: -top.get(e.line, 0.0))[: cfg.max_candidates]
        stages = [st for st in stages if st.edits]
        return SearchQueue(
            self,
            code,
            top,
            [],
            stages,
            _StaticCheck(code, self.scope, self.seen),
            SearchCounts(generated=sum(len(st.edits) for st in stages)),
        )

    def _candidate(
        self, code: str, edit: Edit, fills: tuple[str, ...], score: float, lines: Mapping[int, float]
    ) -> Candidate:
        suspicion = lines.get(edit.line, 0.0)
        priority = score + self.config.suspicion_weight * math.log(max(suspicion, 0.05)) + edit.prior
        return Candidate(code, edit, fills, score, suspicion, priority)

    def rank(self, queue: SearchQueue, stage: _Stage) -> list[Candidate]:
        """A stage's edits checked, scored (fills written) and spread."""
        code, out = queue.code, []
        if stage.kind == "concrete":
            kept = [e for e in stage.edits if queue.check.keep(e.apply(code))]
            scores = self.ranker.score(code, kept) if kept else []
            out = [self._candidate(e.apply(code), e, (), sc, queue.lines) for e, sc in zip(kept, scores)]
            return _spread(out)
        for edit, options in zip(stage.edits, self.ranker.fill(code, stage.edits)):
            for option in options:
                texts = [_clean_fill(f) for f in option.fills]
                if any(t is None for t in texts):
                    continue
                new = edit.apply(code, texts)  # type: ignore[arg-type]
                if queue.check.keep(new):
                    out.append(self._candidate(new, edit, tuple(texts), option.score, queue.lines))  # type: ignore[arg-type]
        return _spread(out)

    def cost(self, stage: _Stage) -> float:
        """Seconds ranking ``stage`` should take, at the ranker's measured seconds per row (an
        upper bound for concrete edits: alternatives that share a row are counted each)."""
        if stage.kind == "concrete":
            rows = len(stage.edits)
        else:
            rows = (
                len(stage.edits)
                * self.ranker.samples
                * max(1, math.ceil(max(sum(p for p in e.pieces if isinstance(p, int)) for e in stage.edits) / 2))
            )
        return rows * self.ranker.row_seconds


@dataclass
class _Stage:
    """Edits ranked together: "concrete" (scored) or "fill" (written by the model)."""

    kind: str
    edits: list[Edit]


@dataclass
class SearchQueue:
    """The untested candidates of one search, in test order, ranked in stages as the tests
    reach them: the concrete edits of the ``first_lines`` most suspicious lines, then the fills
    of the ``fill_lines`` most suspicious, then the concrete edits of the other lines. A stage
    is ranked when fewer than a batch of candidates is left, and it joins what is left by
    alternation (fill scores and concrete scores are not on one scale). Of a stage whose
    ranking would not fit in half the seconds left, the most suspicious lines' edits that fit
    are ranked and the rest waits at the end of the stages (skipped when nothing fits). ``rank`` is a candidate's place in the test
    order, from 1; ``counts`` sums what the stages cost.
    """

    search: EditSearch
    code: str
    lines: Mapping[int, float]
    pending: list[Candidate]
    stages: list[_Stage]
    check: _StaticCheck
    counts: SearchCounts
    tested: int = 0
    skipped: int = 0

    def __bool__(self) -> bool:
        return bool(self.pending or self.stages)

    def next_batch(self, n: int, seconds_left: float = math.inf) -> tuple[list[Candidate], SearchCounts]:
        """The next ``n`` candidates, and the ranking cost this call added (stages ranked)."""
        added = SearchCounts()
        while len(self.pending) < n and self.stages:
            stage = self.stages.pop(0)
            cost = self.search.cost(stage)
            if cost > seconds_left / 2:  # rank the most suspicious part that fits; the rest waits
                keep = int(len(stage.edits) * seconds_left / 2 / cost)
                if keep < 1:
                    self.skipped += len(stage.edits)
                    continue
                by_suspicion = sorted(stage.edits, key=lambda e: -self.lines.get(e.line, 0.0))
                stage, rest = _Stage(stage.kind, by_suspicion[:keep]), _Stage(stage.kind, by_suspicion[keep:])
                self.stages.append(rest)
            t0, nfe0 = time.monotonic(), self.search.ranker.nfe
            ranked = self.search.rank(self, stage)
            added.ranked += len(ranked)
            added.seconds += time.monotonic() - t0
            added.nfe += self.search.ranker.nfe - nfe0
            seconds_left -= time.monotonic() - t0
            self.pending = _alternate(self.pending, ranked)
        self.counts.ranked += added.ranked
        self.counts.seconds += added.seconds
        self.counts.nfe += added.nfe
        batch, self.pending = self.pending[:n], self.pending[n:]
        batch = [replace(c, rank=self.tested + i + 1) for i, c in enumerate(batch)]
        self.tested += len(batch)
        return batch, added


def _spread(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates by level (each site's best is level 0, its second best level 1, ...), then by
    priority: every site gets its best edit tested before any site its second, so no site with
    many plausible alternatives crowds out the rest. A site is a family's edited characters
    (``left`` as a name and ``left`` wrapped in a call are two sites; for a fill, the edit
    itself: its fills are its levels)."""
    level: dict[tuple, int] = {}
    keyed = []
    for c in sorted(candidates, key=lambda c: -c.priority):
        site = (c.edit.family, c.edit.start, c.edit.end) + ((c.edit.pieces,) if c.fills else ())
        level[site] = level.get(site, -1) + 1
        keyed.append((level[site], -c.priority, c))
    return [k[-1] for k in sorted(keyed, key=lambda k: k[:2])]


def _alternate(first: Sequence[Candidate], second: Sequence[Candidate]) -> list[Candidate]:
    out: list[Candidate] = []
    for i in range(max(len(first), len(second))):
        out += [c[i] for c in (first, second) if i < len(c)]
    return out


def _clean_fill(text: str) -> str | None:
    """A hole's text as it may stand in code: one line, no comment, stripped (None: unusable)."""
    text = text.strip()
    if not text or "\n" in text or "#" in text or '"""' in text or "'''" in text:
        return None
    return text


class _StaticCheck:
    """Keeps a candidate that compiles without a SyntaxWarning the original does not give, is
    new (its syntax tree is in ``seen``, shared by every search of a run, only once) and reads
    no name defined nowhere that the original did not read already. Each candidate is parsed
    and compiled once."""

    def __init__(self, original: str, scope: ModuleScope, seen: set[str]) -> None:
        self.scope, self.seen = scope, seen
        compiled = compile_code(original)
        self.warnings = compiled.warnings if compiled is not None else frozenset()
        if compiled is not None:
            seen.add(compiled.key)
        self.known_undefined = (self._undefined(original, compiled.tree) if compiled is not None else None) or set()

    def _undefined(self, code: str, tree: ast.Module) -> set[str] | None:
        function = FunctionTree.parse(code, tree)
        if function is None:
            return None
        bound = function.bound_names()
        return {
            n for n in loaded_names(tree) if n not in bound and n not in BUILTIN_NAMES and n not in self.scope.names
        }

    def keep(self, code: str) -> bool:
        compiled = compile_code(code)
        if compiled is None or not compiled.warnings <= self.warnings or compiled.key in self.seen:
            return False
        undefined = self._undefined(code, compiled.tree)
        if undefined is None or not undefined <= self.known_undefined:
            return False
        self.seen.add(compiled.key)
        return True
