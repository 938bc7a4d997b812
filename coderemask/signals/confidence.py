"""Confidence signal: the model's own doubt about the tokens it wrote, as Evidence.

Input is what the sampler's last state says, already moved to plain Python: for each token, its
character range in the code and the probability the model gave it when committing it. Tokens
below ``threshold`` become evidence with score ``1 - confidence``; neighbouring doubtful tokens
merge into one span. This module never imports torch and knows nothing of models or tests.
"""

from __future__ import annotations

from typing import Sequence

from ..types import Evidence, Span


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
    out: list[Evidence] = []
    cur: tuple[int, int, float] | None = None
    for (a, b), p in zip(offsets, confidence):
        if b <= a or p >= threshold:
            continue
        if region is not None and not (region.start <= a and b <= region.end):
            continue
        doubt = min(1.0, max(0.0, 1.0 - float(p)))
        if cur is not None and a - cur[1] <= max_gap:
            cur = (cur[0], max(cur[1], b), max(cur[2], doubt))
        else:
            if cur is not None:
                out.append(_evidence(*cur))
            cur = (a, b, doubt)
    if cur is not None:
        out.append(_evidence(*cur))
    return out


def _evidence(a: int, b: int, doubt: float) -> Evidence:
    return Evidence("confidence", Span(a, b), doubt, f"model confidence {1 - doubt:.2f}")
