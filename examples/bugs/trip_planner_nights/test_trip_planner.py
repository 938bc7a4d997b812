from datetime import date, timedelta

import pytest

from trip_planner import Stay, gaps, nights, stay_cost, trip_cost, trip_length

RATES = {"Lyon": 95.0, "Turin": 80.5}
STAYS = [
    Stay("Lyon", date(2024, 9, 1), date(2024, 9, 4)),
    Stay("Turin", date(2024, 9, 5), date(2024, 9, 7)),
]


def test_nights():
    assert nights(date(2024, 9, 1), date(2024, 9, 4)) == 3


def test_nights_across_month_end():
    assert nights(date(2024, 1, 30), date(2024, 2, 2)) == 3


def test_zero_nights():
    assert nights(date(2024, 9, 1), date(2024, 9, 1)) == 0


def test_check_out_before_check_in():
    with pytest.raises(ValueError):
        nights(date(2024, 9, 4), date(2024, 9, 1))


def test_costs():
    assert stay_cost(STAYS[0], RATES) == 285.0
    assert trip_cost(STAYS, RATES) == 446.0


def test_gaps_and_length():
    assert gaps(STAYS) == [(date(2024, 9, 4), date(2024, 9, 5))]
    assert trip_length(STAYS) == timedelta(days=6)
