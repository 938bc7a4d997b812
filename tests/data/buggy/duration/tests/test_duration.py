import pytest

from duration import parse_duration


def test_hours():
    assert parse_duration("2h") == 7200


def test_minutes():
    assert parse_duration("5m") == 300


def test_hours_and_minutes():
    assert parse_duration(" 1h30m ") == 5400


def test_seconds():
    assert parse_duration("45s") == 45


def test_minutes_and_seconds():
    assert parse_duration("1m5s") == 65


def test_unknown_unit():
    with pytest.raises(ValueError):
        parse_duration("3x")


def test_missing_unit():
    with pytest.raises(ValueError):
        parse_duration("12")
