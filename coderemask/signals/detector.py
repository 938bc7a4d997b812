"""Detector witness: the bug-detector head's opinion of which tokens were changed, as Evidence.

A detector (``coderemask train --detector``; ``model/detector.py`` loads it) gives each token of
the code a probability that it was corrupted. Tokens at or above ``threshold`` become evidence
(source ``"detector"``, score = that probability); neighbouring ones merge into one span. The
detector is asked for lazily, on the first call; a model without one makes the witness silent,
and it says so once per process. This module never imports torch: it gets a loader that returns
something with ``score_text`` (``model.detector.TokenDetector``) or None, and knows nothing of
models, tests or policies.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from coderemask.signals.confidence import suspect_spans
from coderemask.types import Evidence, Span

SOURCE = "detector"
_log = logging.getLogger("coderemask.detector")
_said: set[str] = set()


class TokenScorer(Protocol):
    def score_text(self, text: str) -> tuple[Sequence[tuple[int, int]], Sequence[float]]:
        """(character range of each token of ``text``, its probability of being corrupted)."""
        ...


def detector_evidence(
    offsets: Sequence[tuple[int, int]],
    probabilities: Sequence[float],
    *,
    region: Span | None = None,
    threshold: float = 0.3,
    max_gap: int = 1,
    relative: bool = False,
) -> list[Evidence]:
    """Evidence for tokens the detector thinks were changed: probability >= ``threshold``, or with
    ``relative``, probability >= ``threshold`` x the highest in ``region`` (then a span's score is
    that share: the detector's favourite token scores 1, whatever its calibration)."""
    if len(offsets) != len(probabilities):
        raise ValueError(f"{len(offsets)} offsets but {len(probabilities)} probabilities")
    scores = list(probabilities)
    if relative:
        inside = [
            p for (a, b), p in zip(offsets, probabilities) if region is None or region.start <= a < b <= region.end
        ]
        top = max(inside, default=0.0)
        if top <= 0:
            return []
        scores = [p / top for p in probabilities]
    evidence = []
    for span, score in suspect_spans(offsets, scores, region=region, min_score=threshold, max_gap=max_gap):
        share = f" ({score:.2f} of its most suspect token's)" if relative else ""
        p_max = max(p for (a, b), p in zip(offsets, probabilities) if span.start <= a and b <= span.end)
        evidence.append(
            Evidence(SOURCE, span, score, f"the detector's opinion: changed with probability {p_max:.2f}{share}")
        )
    return evidence


@dataclass(frozen=True)
class LineOpinion:
    """The detector's opinion of one line: its most suspect token and that token's probability."""

    line: int
    """1-based line of the scored text."""
    probability: float
    token: Span
    """Character range of the line's most suspect token."""


def line_opinions(
    text: str, offsets: Sequence[tuple[int, int]], probabilities: Sequence[float], region: Span | None = None
) -> list[LineOpinion]:
    """Each line of ``text`` that has a scored token (inside ``region``, when given), most
    suspect first (ties: the earlier line first). A line's probability is its worst token's."""
    if len(offsets) != len(probabilities):
        raise ValueError(f"{len(offsets)} offsets but {len(probabilities)} probabilities")
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    best: dict[int, LineOpinion] = {}
    for (a, b), p in zip(offsets, probabilities):
        if b <= a or not text[a:b].strip() or (region is not None and not (region.start <= a and b <= region.end)):
            continue
        line = bisect_right(starts, a + len(text[a:b]) - len(text[a:b].lstrip()))  # its first visible character
        if line not in best or p > best[line].probability:
            best[line] = LineOpinion(line, float(p), Span(a, b))
    return sorted(best.values(), key=lambda o: (-o.probability, o.line))


def say_once(message: str) -> None:
    """Log ``message`` as a warning the first time this process sees it."""
    if message not in _said:
        _said.add(message)
        _log.warning(message)


class DetectorWitness:
    """``witness(code, region) -> list[Evidence]`` over a detector loaded on the first call.

    load: returns the scorer, or None when the model has none (then every call returns [] and
    the absence is said once). threshold: the lowest probability that accuses a token, or with
    ``relative`` the lowest share of the region's highest probability (``detector_evidence``).
    """

    def __init__(
        self,
        load: Callable[[], TokenScorer | None],
        *,
        threshold: float = 0.3,
        max_gap: int = 1,
        relative: bool = False,
        name: str = "the model",
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"detector threshold {threshold!r}: must be in (0, 1]")
        self._load = load
        self._scorer: TokenScorer | None = None
        self._loaded = False
        self._last: tuple[str, tuple[Sequence[tuple[int, int]], Sequence[float]]] | None = None
        self.threshold, self.max_gap, self.relative, self.name = threshold, max_gap, relative, name

    @property
    def available(self) -> bool:
        """Whether a detector is there (loads it on first use)."""
        if not self._loaded:
            self._scorer = self._load()
            self._loaded = True
            if self._scorer is None:
                say_once(
                    f"{self.name} has no detector/ folder: the detector witness says nothing "
                    "(train one with `coderemask train --corrupt-share 0.3 --detector`)"
                )
        return self._scorer is not None

    def __call__(self, code: str, region: Span | None = None) -> list[Evidence]:
        scored = self.scores(code)
        if scored is None:
            return []
        offsets, probabilities = scored
        return detector_evidence(
            offsets,
            probabilities,
            region=region,
            threshold=self.threshold,
            max_gap=self.max_gap,
            relative=self.relative,
        )

    def lines(self, code: str, region: Span | None = None) -> list[LineOpinion]:
        """``line_opinions`` of ``code`` (no threshold: every line, most suspect first); [] without a detector."""
        scored = self.scores(code)
        return [] if scored is None else line_opinions(code, *scored, region=region)

    def scores(self, code: str) -> tuple[Sequence[tuple[int, int]], Sequence[float]] | None:
        """(character range, P(corrupted)) of each token of ``code``; None without a detector.
        The last text's scores are kept: the policy and the search ask about the same code."""
        if not self.available:
            return None
        assert self._scorer is not None
        if self._last is None or self._last[0] != code:
            self._last = (code, self._scorer.score_text(code))
        return self._last[1]
