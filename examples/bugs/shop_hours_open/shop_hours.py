"""Opening hours of a shop: weekdays and Saturday 9:00-17:00, closed on Sunday."""

from __future__ import annotations

from datetime import datetime, timedelta

OPEN_HOUR = 9
CLOSE_HOUR = 17
CLOSED_DAYS = {6}  # datetime.weekday(): Monday is 0, Sunday is 6


def is_open(when: datetime) -> bool:
    """Whether the shop is open at `when` (opening hour included, closing hour excluded)."""
    if when.weekday() in CLOSED_DAYS:
        return False
    return when.hour >= OPEN_HOUR or when.hour < CLOSE_HOUR


def next_opening(when: datetime) -> datetime | None:
    """The first full hour at or after `when` at which the shop is open."""
    t = when.replace(minute=0, second=0, microsecond=0)
    if t < when:
        t += timedelta(hours=1)
    for _ in range(24 * 8):
        if is_open(t):
            return t
        t += timedelta(hours=1)
    return None


def hours_per_week() -> int:
    return (CLOSE_HOUR - OPEN_HOUR) * (7 - len(CLOSED_DAYS))
