from datetime import date

import pytest

from booking import RoomCalendar, days_in, overlaps

D = date


def test_overlapping_ranges():
    assert overlaps((D(2024, 5, 1), D(2024, 5, 5)), (D(2024, 5, 3), D(2024, 5, 9)))


def test_disjoint_ranges():
    assert not overlaps((D(2024, 5, 1), D(2024, 5, 2)), (D(2024, 5, 3), D(2024, 5, 4)))


def test_ranges_sharing_one_day():
    assert overlaps((D(2024, 5, 1), D(2024, 5, 3)), (D(2024, 5, 3), D(2024, 5, 4)))


def test_single_day_ranges():
    day = (D(2024, 5, 1), D(2024, 5, 1))
    assert overlaps(day, day)


def test_days_in():
    assert days_in((D(2024, 2, 28), D(2024, 3, 1))) == [D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1)]


def test_calendar_refuses_double_booking():
    cal = RoomCalendar()
    cal.book("kim", D(2024, 5, 1), D(2024, 5, 3))
    with pytest.raises(ValueError):
        cal.book("lee", D(2024, 5, 3), D(2024, 5, 6))
    cal.book("lee", D(2024, 5, 4), D(2024, 5, 6))
    assert cal.guest_on(D(2024, 5, 4)) == "lee"
    assert cal.guest_on(D(2024, 5, 9)) is None
