"""Closed numeric intervals [start, end], e.g. busy periods in a calendar."""

from __future__ import annotations

Interval = tuple[float, float]


def merge(intervals: list[Interval]) -> list[Interval]:
    """Overlapping or touching intervals merged; result sorted by start."""
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] and end > merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def total_length(intervals: list[Interval]) -> float:
    return sum(e - s for s, e in merge(intervals))


def free_slots(busy: list[Interval], day_start: float, day_end: float) -> list[Interval]:
    """Gaps between busy periods within [day_start, day_end]."""
    slots = []
    cursor = day_start
    for s, e in merge(busy):
        if s > cursor:
            slots.append((cursor, min(s, day_end)))
        cursor = max(cursor, e)
        if cursor >= day_end:
            break
    if cursor < day_end:
        slots.append((cursor, day_end))
    return [(s, e) for s, e in slots if e > s]
