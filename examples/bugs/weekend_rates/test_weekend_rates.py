from datetime import date

from weekend_rates import is_weekend, nightly_rate, stay_price

MONDAY = date(2024, 6, 3)
FRIDAY = date(2024, 6, 7)
SATURDAY = date(2024, 6, 8)
SUNDAY = date(2024, 6, 9)


def test_friday_and_saturday_are_weekend_nights():
    assert is_weekend(FRIDAY)
    assert is_weekend(SATURDAY)


def test_other_nights_are_not():
    assert not is_weekend(MONDAY)
    assert not is_weekend(SUNDAY)


def test_nightly_rate():
    assert nightly_rate(MONDAY) == 120
    assert nightly_rate(SATURDAY) == 150


def test_a_week_gets_the_discount():
    assert stay_price(MONDAY, 7) == round((5 * 120 + 2 * 150) * 0.9, 2)


def test_short_stay():
    assert stay_price(MONDAY, 2) == 240
