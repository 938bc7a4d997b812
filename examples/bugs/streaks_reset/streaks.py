"""Daily activity streaks, as shown on a habit tracker."""

from __future__ import annotations

from datetime import date, timedelta


def longest_streak(days: list[date]) -> int:
    """Length of the longest run of consecutive days (any order, duplicates allowed)."""
    if not days:
        return 0
    ordered = sorted(set(days))
    best = current = 1
    for prev, day in zip(ordered, ordered[1:]):
        if day - prev == timedelta(days=1):
            current += 1
            best = max(best, current)
        else:
            current = 0
    return best


def current_streak(days: list[date], today: date) -> int:
    """Consecutive days ending today (or yesterday, if today has no entry yet)."""
    done = set(days)
    day = today if today in done else today - timedelta(days=1)
    count = 0
    while day in done:
        count += 1
        day -= timedelta(days=1)
    return count


def missed_days(days: list[date], start: date, end: date) -> list[date]:
    """Days between start and end (inclusive) with no activity."""
    done = set(days)
    span = (end - start).days
    return [start + timedelta(days=i) for i in range(span + 1) if start + timedelta(days=i) not in done]
