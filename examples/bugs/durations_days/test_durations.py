import pytest

from durations import format_duration, parse_duration, split_duration


def test_split_short():
    assert split_duration(3725) == (0, 1, 2, 5)


def test_split_more_than_a_day():
    assert split_duration(90000) == (1, 1, 0, 0)


def test_split_several_days():
    assert split_duration(3 * 86400 + 59) == (3, 0, 0, 59)


def test_format():
    assert format_duration(0) == "0s"
    assert format_duration(93784.9) == "1d 2h 3m 4s"


def test_parse():
    assert parse_duration("1h 30m") == 5400
    assert parse_duration("2d") == 172800
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_round_trip():
    assert parse_duration(format_duration(200000)) == 200000
