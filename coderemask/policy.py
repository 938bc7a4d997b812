"""The remask policy: evidence about a function's text becomes a RemaskPlan.

Each witness (``WITNESSES``: syntax, tests, confidence, detector) gives ``Evidence`` spans with
scores in [0, 1].
The policy:
1. weighs them (``PolicyConfig.weights``) into one score per character of the editable region;
2. takes candidate spans from the evidence, snaps each to the smallest enclosing remaskable
   syntax unit (expression, statement, block: ``grammars/python/units.scm``), merges overlaps;
3. chooses spans greedily by score, up to ``max_fraction`` of the editable tokens;
4. lets each span grow by ``grow_slots`` slots (the model writes [NULL] to shrink it back);
5. grants denoising steps in proportion to the masked slots (inference-time scaling);
6. falls back to the whole editable region when the evidence is too diffuse, and escalates
   (parent unit, then the whole region) instead of repeating a plan that just failed.

Policies by name (``POLICIES``) differ in which witnesses they listen to and in their scope:
``spans`` remasks the accused spans; ``whole`` resamples the whole region whenever anything is
accused (inference-time scaling without localization, the ablation's baseline).
This module knows text spans and scores; it does not know tokens' ids, models or how the
evidence was gathered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from coderemask.errors import ConfigError
from coderemask.types import Evidence, PlannedSpan, RemaskPlan, Span

Snap = Callable[[str, Span], Sequence[Span]]
"""snap(code, span) -> the enclosing syntax units of ``span``, innermost first."""

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class PolicyConfig:
    """Knobs of the remask policy (defaults are the project's defaults).

    weights: witness name (``WITNESSES``) -> weight of its scores (a missing witness weighs 0;
        a witness that weighs 0 is not even asked, so the detector then never loads).
    min_score: a span weaker than this is ignored.
    max_fraction: at most this share of the editable tokens is remasked per round.
    grow_slots: extra slots given to each span (the model fills unneeded ones with [NULL]).
    steps_per_slot: denoising steps granted per masked slot (inference-time scaling).
    min_steps: at least this many steps per round.
    diffuse_fraction: when three or more accused spans, none clearly ahead of the rest, together
        cover more than this share of the editable region, remask the whole region instead.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: {"syntax": 1.0, "tests": 1.0, "confidence": 0.5})
    min_score: float = 0.15
    max_fraction: float = 0.35
    grow_slots: int = 2
    steps_per_slot: float = 1.0
    min_steps: int = 2
    diffuse_fraction: float = 0.6
    scope: str = "spans"

    def __post_init__(self) -> None:
        checks = [
            ("min_score", 0.0 <= self.min_score <= 1.0, "must be in [0, 1]"),
            ("max_fraction", 0.0 < self.max_fraction <= 1.0, "must be in (0, 1]"),
            ("grow_slots", self.grow_slots >= 0, "must be >= 0"),
            ("steps_per_slot", self.steps_per_slot > 0, "must be > 0"),
            ("min_steps", self.min_steps >= 1, "must be >= 1"),
            ("diffuse_fraction", 0.0 < self.diffuse_fraction <= 1.0, "must be in (0, 1]"),
            ("scope", self.scope in SCOPES, f"must be one of {', '.join(SCOPES)}"),
        ]
        for name, ok, why in checks:
            if not ok:
                raise ConfigError(f"PolicyConfig.{name}={getattr(self, name)!r}: {why}")
        for name, w in self.weights.items():
            if name not in WITNESSES:
                raise ConfigError(f"PolicyConfig.weights[{name!r}]: no such witness; witnesses: {', '.join(WITNESSES)}")
            if w < 0:
                raise ConfigError(f"PolicyConfig.weights[{name!r}]={w!r}: must be >= 0")


SCOPES = ("spans", "whole")

WITNESSES: dict[str, str] = {
    "syntax": "tree-sitter ERROR/MISSING nodes and compile() errors (signals/syntax.py)",
    "tests": "failing tests' tracebacks and fault localization (signals/tests.py, signals/localize.py)",
    "confidence": "the model's own low-confidence tokens (signals/confidence.py)",
    "detector": "the bug-detector head's corrupted tokens, when the model ships detector/ (signals/detector.py)",
}
"""Witness name -> what it listens to. ``Evidence.source`` is one of these names, and a policy's
weights name them."""

DETECTOR_WEIGHT = 0.5
"""The detector's weight in ``combined`` and ``whole``. Measured on the repair dev set
(``python benchmarks/repair_devset.py --settings combined,combined+detector``, the shipped model,
2026-12-02): at 0.5 the winning patch ranks higher (median rank 26.5 against 39; 9 bugs ranked
higher, 4 lower), bugs are fixed sooner (median 4.4 s against 6.6 s) and one fewer of 37 is
fixed in 30 s (30 against 31: a hanging bug whose fill line the detector's order moved). With a
detector that is no better than this one, more weight would let its guesses outvote the tests."""
DETECTOR_WEIGHT_ON = DETECTOR_WEIGHT
"""The detector's weight in ``combined+detector`` (the same as ``combined`` since it was measured;
the name stays for scripts that asked for the detector before ``combined`` heard it)."""


@dataclass(frozen=True)
class NamedPolicy:
    """A policy preset: the witnesses it listens to (weights) and its scope."""

    weights: Mapping[str, float]
    scope: str = "spans"
    help: str = ""


_ALL_WITNESSES = {"syntax": 1.0, "tests": 1.0, "confidence": 0.5, "detector": DETECTOR_WEIGHT}

POLICIES: dict[str, NamedPolicy] = {
    "confidence": NamedPolicy({"confidence": 1.0}, help="the model's own low-confidence tokens"),
    "syntax": NamedPolicy({"syntax": 1.0}, help="tree-sitter and compile errors"),
    "tests": NamedPolicy({"tests": 1.0}, help="failing tests' tracebacks and fault localization"),
    "detector": NamedPolicy({"detector": 1.0}, help="the model's bug-detector head (models with detector/)"),
    "combined": NamedPolicy(_ALL_WITNESSES, help="all witnesses, weighted (the default)"),
    "combined+detector": NamedPolicy(
        {**_ALL_WITNESSES, "detector": DETECTOR_WEIGHT_ON},
        help="combined with the detector witness on (models with detector/)",
    ),
    "whole": NamedPolicy(
        _ALL_WITNESSES, scope="whole", help="any accusation resamples the whole region (no localization)"
    ),
}
"""Policy name -> preset. ``combined`` is the default."""


def policy_config(name: str, **overrides: object) -> PolicyConfig:
    """The PolicyConfig of a named policy; ConfigError lists the known names."""
    if name not in POLICIES:
        raise ConfigError(f"policy {name!r} is unknown; known policies: {', '.join(POLICIES)}")
    preset = POLICIES[name]
    settings: dict[str, object] = {"weights": dict(preset.weights), "scope": preset.scope, **overrides}
    return PolicyConfig(**settings)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Candidate:
    span: Span
    score: float
    evidence: tuple[Evidence, ...]


class Policy:
    """Evidence -> RemaskPlan for one function (see the module docstring for the steps)."""

    def __init__(self, config: PolicyConfig, *, snap: Snap, count_tokens: CountTokens) -> None:
        self.config = config
        self.snap = snap
        self.count_tokens = count_tokens

    def plan(
        self, code: str, region: Span, evidence: Sequence[Evidence], history: Sequence[RemaskPlan] = ()
    ) -> RemaskPlan | None:
        """Spans of ``code`` to remask next, or None when no witness accuses anything.

        region: the editable characters of ``code`` (spans are clipped to it).
        history: the plans of earlier rounds, most recent last (for escalation).
        """
        candidates = self._candidates(code, region, evidence)
        if not candidates:
            return None
        if self.config.scope == "whole":
            return self._whole(code, region, candidates, "whole-region policy: resample the whole region")
        region_tokens = max(1, self.count_tokens(code[region.start : region.end]))
        budget = max(1, int(self.config.max_fraction * region_tokens))
        wanted = sum(self.count_tokens(code[c.span.start : c.span.end]) for c in candidates)
        if self._diffuse(candidates) and wanted > self.config.diffuse_fraction * region_tokens:
            return self._whole(code, region, candidates, "evidence too diffuse: the whole region")
        chosen = self._greedy(code, candidates, budget)
        plan = self._make_plan(code, chosen, "highest-scoring spans")
        attempt = 0
        while _same_spans(plan, history) and attempt < 4:
            attempt += 1
            widened = [self._widen(code, region, c) for c in chosen]
            if all(w.span == c.span for w, c in zip(widened, chosen)):
                return self._whole(code, region, candidates, "escalated: the narrower plan already failed")
            chosen = _merge(widened)
            plan = self._make_plan(code, chosen, f"escalated {attempt}x to the enclosing units")
        if _same_spans(plan, history):
            return self._whole(code, region, candidates, "escalated: the narrower plan already failed")
        return plan

    # ------------------------------------------------------------------ pieces

    def _candidates(self, code: str, region: Span, evidence: Sequence[Evidence]) -> list[_Candidate]:
        weights = self.config.weights
        out: list[_Candidate] = []
        for ev in evidence:
            w = weights.get(ev.source, 0.0)
            span = _clip(ev.span, region)
            if w <= 0 or span is None or w * ev.score < self.config.min_score:
                continue
            snapped = self._snap_inside(code, region, span)
            out.append(_Candidate(snapped, w * ev.score, (ev,)))
        merged = _merge(out)
        top = max((c.score for c in merged), default=0.0)
        return [c for c in merged if c.score >= max(self.config.min_score, 0.25 * top)]

    @staticmethod
    def _diffuse(candidates: Sequence[_Candidate]) -> bool:
        """Three or more accused spans, none clearly ahead (top < 1.25 x the median score)."""
        scores = sorted((c.score for c in candidates), reverse=True)
        return len(scores) >= 3 and scores[0] < 1.25 * scores[len(scores) // 2]

    def _snap_inside(self, code: str, region: Span, span: Span) -> Span:
        """Smallest enclosing unit inside the region; the span's whole lines instead when that
        unit is much larger (broken code parses into a few big units, e.g. the whole block)."""
        lines = _clip(_whole_lines(code, span), region) or span
        for unit in self.snap(code, span):
            clipped = _clip(unit, region)
            if clipped is not None and clipped == unit:
                return unit if len(unit) <= 1.5 * len(lines) else lines
        return lines

    def _widen(self, code: str, region: Span, c: _Candidate) -> _Candidate:
        for unit in self.snap(code, c.span):
            if unit.start <= c.span.start and unit.end >= c.span.end and unit != c.span:
                inside = _clip(unit, region)
                if inside is not None and inside != c.span:
                    return replace(c, span=inside)
        lines = _clip(_whole_lines(code, c.span), region)
        if lines is not None and lines != c.span:
            return replace(c, span=lines)
        return c

    def _greedy(self, code: str, candidates: list[_Candidate], budget: int) -> list[_Candidate]:
        chosen: list[_Candidate] = []
        used = 0
        for c in sorted(candidates, key=lambda c: (-c.score, len(c.span), c.span.start)):
            n = self.count_tokens(code[c.span.start : c.span.end])
            if chosen and used + n > budget:
                continue
            chosen.append(c)
            used += n
        return sorted(chosen, key=lambda c: c.span.start)

    def _whole(self, code: str, region: Span, candidates: list[_Candidate], reason: str) -> RemaskPlan:
        ev = tuple(e for c in candidates for e in c.evidence)
        return self._make_plan(code, [_Candidate(region, max(c.score for c in candidates), ev)], reason, whole=True)

    def _make_plan(self, code: str, chosen: Sequence[_Candidate], reason: str, *, whole: bool = False) -> RemaskPlan:
        spans = []
        slots_total = 0
        for c in chosen:
            n = self.count_tokens(code[c.span.start : c.span.end])
            grow = self.config.grow_slots if not whole else max(self.config.grow_slots, n // 4)
            spans.append(PlannedSpan(span=c.span, slots=n + grow, score=c.score, evidence=c.evidence))
            slots_total += n + grow
        steps = max(self.config.min_steps, math.ceil(self.config.steps_per_slot * slots_total))
        return RemaskPlan(spans=tuple(spans), steps=steps, reason=reason, whole=whole)


# ---------------------------------------------------------------------- span helpers


def _clip(span: Span, region: Span) -> Span | None:
    start, end = max(span.start, region.start), min(span.end, region.end)
    return Span(start, end) if start < end else None


def _whole_lines(code: str, span: Span) -> Span:
    start = code.rfind("\n", 0, span.start) + 1
    end = code.find("\n", max(span.end - 1, span.start))
    return Span(start, len(code) if end < 0 else end)


def _merge(cands: Sequence[_Candidate]) -> list[_Candidate]:
    """Merge overlapping or touching spans; the merged score is the maximum."""
    out: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: (c.span.start, c.span.end)):
        if out and c.span.start <= out[-1].span.end:
            last = out[-1]
            out[-1] = _Candidate(
                Span(last.span.start, max(last.span.end, c.span.end)),
                max(last.score, c.score),
                last.evidence + c.evidence,
            )
        else:
            out.append(c)
    return out


def _same_spans(plan: RemaskPlan, history: Sequence[RemaskPlan]) -> bool:
    """True when an earlier round already tried exactly these spans."""
    spans = [s.span for s in plan.spans]
    return any(spans == [s.span for s in old.spans] for old in history)
