"""Confidence signal: the model's own doubt about the tokens it wrote, as Evidence.

Input is what the sampler's last state says, already moved to plain Python: for each token, its
character range in the code and the probability the model gave it when committing it. Tokens
below ``threshold`` become evidence with score ``1 - confidence``; neighbouring doubtful tokens
merge into one span. This module never imports torch and knows nothing of models or tests.
"""

from __future__ import annotations

from typing import Sequence

from coderemask.types import Evidence, Span


def confidence_evidence(
    offsets: Sequence[tuple[int, int]],
    confidence: Sequence[float],
    *,
    region: Span | None = None,
    threshold: float = 0.5,
    max_gap: int = 1,
) -> list[Evidence]:
    """Evidence for low-confidence tokens.

    offsets: character range of each token in the code; confidence: its commit probability
    (same length). region: only tokens inside it count (e.g. the function body). Tokens at most
    ``max_gap`` characters apart are merged; the span's score is its worst token's doubt.
    """
    if len(offsets) != len(confidence):
        raise ValueError(f"{len(offsets)} offsets but {len(confidence)} confidences")
    doubts = [1.0 - float(p) for p in confidence]
    return [
        Evidence("confidence", span, doubt, f"model confidence {1 - doubt:.2f}")
        for span, doubt in suspect_spans(
            offsets, doubts, region=region, min_score=1.0 - threshold, max_gap=max_gap, strict=True
        )
    ]


def suspect_spans(
    offsets: Sequence[tuple[int, int]],
    scores: Sequence[float],
    *,
    region: Span | None = None,
    min_score: float,
    max_gap: int = 1,
    strict: bool = False,
) -> list[tuple[Span, float]]:
    """Merged spans of the tokens whose score (higher = more suspect, clipped to [0, 1]) reaches
    ``min_score`` (exceeds it when ``strict``): tokens at most ``max_gap`` characters apart
    merge, a span's score is its worst token's. Tokens outside ``region`` and empty ones are
    skipped. Shared by the witnesses that score tokens (confidence, detector)."""
    out: list[tuple[Span, float]] = []
    cur: tuple[int, int, float] | None = None
    for (a, b), raw in zip(offsets, scores):
        score = min(1.0, max(0.0, float(raw)))
        if b <= a or (score <= min_score if strict else score < min_score):
            continue
        if region is not None and not (region.start <= a and b <= region.end):
            continue
        if cur is not None and a - cur[1] <= max_gap:
            cur = (cur[0], max(cur[1], b), max(cur[2], score))
        else:
            if cur is not None:
                out.append((Span(cur[0], cur[1]), cur[2]))
            cur = (a, b, score)
    if cur is not None:
        out.append((Span(cur[0], cur[1]), cur[2]))
    return out
