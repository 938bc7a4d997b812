"""Small frozen value types shared across coderemask: spans of text and evidence about them.

This module knows characters and scores only; it does not know tokens, models, parsers or tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in one piece of text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"Span({self.start}, {self.end}): need 0 <= start <= end")

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Span) -> bool:
        """True when the two ranges share at least one character."""
        return self.start < other.end and other.start < self.end

    def splice(self, text: str, new: str) -> str:
        """``text`` with its characters ``[start, end)`` replaced by ``new``: the one place a
        function's new code is put into its file (tasks, checkers, eval records)."""
        return text[: self.start] + new + text[self.end :]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One witness's claim that ``span`` is wrong, with a ``score`` in [0, 1] (1: surely wrong).

    ``source`` names the witness (``"syntax"``, ``"tests"``, ``"confidence"``, ...);
    ``message`` says why, for people and traces.
    """

    source: str
    span: Span
    score: float
    message: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"Evidence score {self.score!r} from {self.source!r}: need 0 <= score <= 1")


@dataclass(frozen=True, slots=True)
class PlannedSpan:
    """One span the policy remasks: ``slots`` masked positions replace its tokens (more slots
    than tokens let it grow; the model writes [NULL] in slots it does not need)."""

    span: Span
    slots: int
    score: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class RemaskPlan:
    """What to remask next and how many denoising steps the round gets."""

    spans: tuple[PlannedSpan, ...]
    steps: int
    reason: str = ""
    whole: bool = False

    @property
    def slots(self) -> int:
        return sum(s.slots for s in self.spans)
