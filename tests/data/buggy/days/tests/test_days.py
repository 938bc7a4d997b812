import pytest

from days import days_in_month


def test_february_leap_year():
    assert days_in_month(2, 2024) == 29


def test_february_common_year():
    assert days_in_month(2, 1900) == 28


def test_april():
    assert days_in_month(4, 2023) == 30


def test_november():
    assert days_in_month(11, 2023) == 30


def test_january():
    assert days_in_month(1, 2023) == 31


def test_december():
    assert days_in_month(12, 2023) == 31


def test_bad_month():
    with pytest.raises(ValueError):
        days_in_month(13, 2023)
