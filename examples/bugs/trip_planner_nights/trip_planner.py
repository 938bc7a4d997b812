"""Costing the hotel stays of a trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Stay:
    city: str
    check_in: date
    check_out: date


def nights(check_in: date, check_out: date) -> int:
    """Number of nights between check-in and check-out."""
    n = (check_in - check_out).days
    if n < 0:
        raise ValueError("check-out is before check-in")
    return n


def stay_cost(stay: Stay, nightly_rates: dict[str, float]) -> float:
    return round(nights(stay.check_in, stay.check_out) * nightly_rates[stay.city], 2)


def trip_cost(stays: list[Stay], nightly_rates: dict[str, float]) -> float:
    return round(sum(stay_cost(s, nightly_rates) for s in stays), 2)


def gaps(stays: list[Stay]) -> list[tuple[date, date]]:
    """Periods between consecutive stays with no hotel booked (stays sorted by check-in)."""
    ordered = sorted(stays, key=lambda s: s.check_in)
    return [(a.check_out, b.check_in) for a, b in zip(ordered, ordered[1:]) if b.check_in > a.check_out]


def first_night_of(stays: list[Stay], city: str) -> date | None:
    for stay in sorted(stays, key=lambda s: s.check_in):
        if stay.city == city and stay.check_out > stay.check_in:
            return stay.check_in
    return None


def trip_length(stays: list[Stay]) -> timedelta:
    return max(s.check_out for s in stays) - min(s.check_in for s in stays)
