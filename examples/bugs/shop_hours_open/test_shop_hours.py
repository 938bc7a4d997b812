from datetime import datetime

from shop_hours import hours_per_week, is_open, next_opening

# 2024-06-03 is a Monday, 2024-06-09 a Sunday.


def test_open_during_the_day():
    assert is_open(datetime(2024, 6, 3, 9, 0))
    assert is_open(datetime(2024, 6, 3, 16, 59))


def test_closed_at_night():
    assert not is_open(datetime(2024, 6, 3, 17, 0))
    assert not is_open(datetime(2024, 6, 3, 3, 30))


def test_closed_on_sunday():
    assert not is_open(datetime(2024, 6, 9, 11, 0))


def test_next_opening_same_morning():
    assert next_opening(datetime(2024, 6, 4, 7, 15)) == datetime(2024, 6, 4, 9, 0)


def test_next_opening_after_sunday():
    assert next_opening(datetime(2024, 6, 8, 18, 0)) == datetime(2024, 6, 10, 9, 0)


def test_hours_per_week():
    assert hours_per_week() == 48
