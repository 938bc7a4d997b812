"""Confidence signal: low-confidence tokens become merged Evidence spans."""

from __future__ import annotations

import pytest

from coderemask.signals.confidence import confidence_evidence
from coderemask.types import Span

OFFSETS = [(0, 6), (6, 8), (8, 9), (9, 10), (10, 15), (20, 25)]


@pytest.mark.parametrize(
    "confidence, region, expected",
    [
        ([0.9] * 6, None, []),
        ([0.9, 0.2, 0.3, 0.9, 0.9, 0.9], None, [(6, 9, 0.8)]),  # neighbours merge, worst doubt wins
        ([0.1, 0.9, 0.9, 0.9, 0.9, 0.4], None, [(0, 6, 0.9), (20, 25, 0.6)]),
        ([0.1, 0.9, 0.9, 0.9, 0.9, 0.4], Span(6, 30), [(20, 25, 0.6)]),  # outside the region: ignored
    ],
)
def test_confidence_evidence(confidence, region, expected) -> None:
    got = confidence_evidence(OFFSETS, confidence, region=region, threshold=0.5)
    assert [(e.span.start, e.span.end, round(e.score, 3)) for e in got] == expected
    assert all(e.source == "confidence" for e in got)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 offsets but 1"):
        confidence_evidence([(0, 1), (1, 2)], [0.5])
