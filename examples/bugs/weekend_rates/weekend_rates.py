"""Nightly room rates with a weekend surcharge and long-stay discount."""

from __future__ import annotations

from datetime import date, timedelta

BASE_RATE = 120
WEEKEND_SURCHARGE = 30
LONG_STAY_NIGHTS = 7
LONG_STAY_DISCOUNT = 0.1


def is_weekend(day: date) -> bool:
    """Friday and Saturday nights are weekend nights."""
    return day.weekday() != 4 or day.weekday() != 5


def nightly_rate(day: date) -> int:
    return BASE_RATE + (WEEKEND_SURCHARGE if is_weekend(day) else 0)


def stay_price(check_in: date, nights: int) -> float:
    """Price of `nights` nights from check_in, discounted for long stays."""
    total = sum(nightly_rate(check_in + timedelta(days=i)) for i in range(nights))
    if nights >= LONG_STAY_NIGHTS:
        total *= 1 - LONG_STAY_DISCOUNT
    return round(total, 2)
