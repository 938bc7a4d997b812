"""Finding releases in a sorted list of release dates (or version numbers)."""

from __future__ import annotations

from typing import Any


def first_at_or_after(values: list[Any], target: Any) -> int:
    """Index of the first value >= target in the sorted list (len(values) when there is none)."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] <= target:
            lo = mid
        else:
            hi = mid
    return lo


def between(values: list[Any], start: Any, end: Any) -> list[Any]:
    """The values v with start <= v < end."""
    return values[first_at_or_after(values, start):first_at_or_after(values, end)]


def latest_before(values: list[Any], target: Any) -> Any | None:
    """The last value strictly before target, or None."""
    i = first_at_or_after(values, target)
    return values[i - 1] if i > 0 else None


def insert_sorted(values: list[Any], value: Any) -> None:
    """Insert value, keeping the list sorted (it goes before any values equal to it)."""
    values.insert(first_at_or_after(values, value), value)
