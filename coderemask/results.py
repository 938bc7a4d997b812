"""Budgets, round traces and the tagged result of a repair (solved / gave up / failed).

Every result carries every Round: the spans remasked and the evidence that chose each (or the
search candidates tested), the steps granted, NFE and seconds (and how much of each went to
ranking edits and to denoising), and what each candidate scored; and the run's SearchSummary. ``to_json`` is the stable JSON form (``"schema": "coderemask.result/1"``). This module
knows values only, not models, tests or the CLI.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Sequence, Union

from coderemask.errors import ConfigError
from coderemask.types import Evidence, RemaskPlan

SCHEMA = "coderemask.result/1"  # see schema()


def schema(kind: str, version: int = 1) -> str:
    """The ``"schema"`` of a JSON document coderemask prints: ``coderemask.<kind>/<version>``.

    Within a version fields are only added; removing or redefining one makes a new version."""
    return f"coderemask.{kind}/{version}"


@dataclass(frozen=True)
class Budget:
    """Limits of one run; each is enforced between rounds and caps the steps of a round (NFE)."""

    max_nfe: int = 512
    max_rounds: int = 1000
    """A cap, not the budget: a search round tests one batch of candidates, so a repair may run
    hundreds of rounds; the seconds decide."""
    max_seconds: float = 300.0
    max_candidates: int = 100_000
    """Candidates checked by the tests in all (search edits and sampled rewrites alike)."""

    def __post_init__(self) -> None:
        for name in ("max_nfe", "max_rounds", "max_seconds", "max_candidates"):
            value = getattr(self, name)
            if not value > 0 or (isinstance(value, float) and not math.isfinite(value)):  # NaN, inf
                raise ConfigError(f"Budget.{name}={value!r}: must be a finite number > 0")


@dataclass(frozen=True)
class Attempt:
    """One candidate of a round: its text and how it scored (passed/total None: not tested).

    For a search candidate: ``edit`` (family, line: what changed), its ``rank`` in the search's
    queue and its ranking ``score`` (the priority: model score, the line's suspicion term and the
    family's prior)."""

    code: str
    parses: bool
    passed: int | None
    total: int | None
    confidence: float
    edit: str = ""
    rank: int | None = None
    score: float | None = None


@dataclass(frozen=True)
class SearchSummary:
    """What the edit search did in a run: candidates generated (edits, fills written) and ranked
    (after the static checks) over ``searches`` searches, tested, and left unranked for lack of
    time (``skipped``); the winning candidate's rank in its queue and edit (None / "" when no
    search candidate solved it); seconds ranking (model included) and testing."""

    searches: int = 0
    generated: int = 0
    ranked: int = 0
    tested: int = 0
    skipped: int = 0
    winning_rank: int | None = None
    winning_edit: str = ""
    rank_seconds: float = 0.0
    test_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**vars(self), "rank_seconds": round(self.rank_seconds, 3), "test_seconds": round(self.test_seconds, 3)}

    def describe(self) -> str:
        won = (
            f"; the fix was candidate #{self.winning_rank} ({self.winning_edit})"
            if self.winning_rank is not None
            else ""
        )
        skipped = f", {self.skipped} left unranked (no time)" if self.skipped else ""
        return (
            f"{self.generated} generated, {self.ranked} ranked, {self.tested} tested in {self.searches} "
            f"search(es){skipped}; ranking {self.rank_seconds:.1f} s, testing {self.test_seconds:.1f} s{won}"
        )


@dataclass(frozen=True)
class Round:
    """One round: the plan (spans, evidence, steps), its cost, and the candidates it produced.

    nfe: forward passes of the round, ``rank_nfe`` of them spent ranking edits and the rest
    denoising; seconds: time since the run began, at the round's end; rank_seconds /
    denoise_seconds: time the round spent ranking / denoising (the rest went to checking).
    """

    index: int
    plan: RemaskPlan
    steps: int
    nfe: int
    seconds: float
    attempts: tuple[Attempt, ...]
    best_index: int
    adopted: bool
    rank_nfe: int = 0
    rank_seconds: float = 0.0
    denoise_seconds: float = 0.0

    @property
    def best(self) -> Attempt:
        return self.attempts[self.best_index]

    @property
    def denoise_nfe(self) -> int:
        return self.nfe - self.rank_nfe

    def cost_text(self) -> str:
        """``NFE n`` and, where the round spent any, the ranking and denoising parts with their
        milliseconds, e.g. ``NFE 2 (ranking 2 in 130 ms)``: for traces printed by front-ends."""
        parts = [
            f"{what} {nfe} in {seconds * 1000:.0f} ms"
            for what, nfe, seconds in (
                ("ranking", self.rank_nfe, self.rank_seconds),
                ("denoising", self.denoise_nfe, self.denoise_seconds),
            )
            if nfe or seconds
        ]
        return f"NFE {self.nfe}" + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class _Outcome:
    """The fields every result shares, so front-ends read any of them the same way.

    code: the solution (Solved), the best candidate (GaveUp), the best so far or None (Failed);
    reason: why the run ended, in words."""

    code: str | None
    reason: str
    rounds: tuple[Round, ...]
    nfe: int
    seconds: float
    passed: int | None = None
    total: int | None = None
    parses: bool = False
    search: SearchSummary | None = None


@dataclass(frozen=True)
class Solved(_Outcome):
    """The code parses and the tests pass (or, without tests, parses with converged confidence)."""

    status = "solved"


@dataclass(frozen=True)
class GaveUp(_Outcome):
    """The budget ran out or no witness pointed anywhere; ``code`` is the best candidate."""

    status = "gave_up"


@dataclass(frozen=True)
class Failed(_Outcome):
    """The run could not go on (interrupted, model error); ``code`` is the best so far, or None."""

    status = "failed"


RepairResult = Union[Solved, GaveUp, Failed]


def _evidence_json(e: Evidence) -> dict[str, Any]:
    return {
        "source": e.source,
        "start": e.span.start,
        "end": e.span.end,
        "score": round(e.score, 4),
        "message": e.message,
    }


def _round_json(r: Round) -> dict[str, Any]:
    return {
        "index": r.index,
        "reason": r.plan.reason,
        "whole": r.plan.whole,
        "spans": [
            {
                "start": s.span.start,
                "end": s.span.end,
                "slots": s.slots,
                "score": round(s.score, 4),
                "evidence": [_evidence_json(e) for e in s.evidence],
            }
            for s in r.plan.spans
        ],
        "steps": r.steps,
        "nfe": r.nfe,
        "seconds": round(r.seconds, 3),
        "rank_nfe": r.rank_nfe,
        "rank_seconds": round(r.rank_seconds, 3),
        "denoise_nfe": r.denoise_nfe,
        "denoise_seconds": round(r.denoise_seconds, 3),
        "best_index": r.best_index,
        "adopted": r.adopted,
        "attempts": [
            {
                "code": a.code,
                "parses": a.parses,
                "passed": a.passed,
                "total": a.total,
                "confidence": round(a.confidence, 4),
                **(
                    {"edit": a.edit, "rank": a.rank, "score": None if a.score is None else round(a.score, 4)}
                    if a.rank is not None
                    else {}
                ),
            }
            for a in r.attempts
        ],
    }


def cost(rounds: Sequence[Round]) -> dict[str, dict[str, float]]:
    """NFE and seconds spent ranking edits and denoising, over ``rounds``."""
    parts = {
        "ranking": [(r.rank_nfe, r.rank_seconds) for r in rounds],
        "denoising": [(r.denoise_nfe, r.denoise_seconds) for r in rounds],
    }
    return {
        name: {"nfe": sum(n for n, _ in costs), "seconds": round(sum(t for _, t in costs), 3)}
        for name, costs in parts.items()
    }


def cost_text(result: RepairResult) -> str:
    """``ranking N NFE in T ms, denoising N NFE in T ms``: the run's model cost, for summaries."""
    return ", ".join(
        f"{what} {c['nfe']} NFE in {c['seconds'] * 1000:.0f} ms"
        for what, c in cost(result.rounds).items()
        if c["nfe"] or c["seconds"]
    )


def to_dict(result: RepairResult) -> dict[str, Any]:
    """The stable JSON-ready form of a result (schema ``coderemask.result/1``)."""
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "status": result.status,
        "nfe": result.nfe,
        "seconds": round(result.seconds, 3),
        **cost(result.rounds),
        "search": result.search.to_json() if result.search is not None else None,
        "rounds": [_round_json(r) for r in result.rounds],
    }
    out.update(reason=result.reason, code=result.code)
    if not isinstance(result, Failed):
        out.update(parses=result.parses, passed=result.passed, total=result.total)
    return out


def to_json(result: RepairResult, indent: int | None = 2) -> str:
    return json.dumps(to_dict(result), indent=indent, sort_keys=False)
