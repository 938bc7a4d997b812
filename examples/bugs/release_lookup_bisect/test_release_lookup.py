from datetime import date

from release_lookup import between, first_at_or_after, insert_sorted, latest_before

RELEASES = [date(2023, 1, 10), date(2023, 4, 2), date(2023, 4, 2), date(2023, 9, 30), date(2024, 2, 14)]


def test_exact_match_gives_first_equal():
    assert first_at_or_after(RELEASES, date(2023, 4, 2)) == 1


def test_between_dates():
    assert first_at_or_after(RELEASES, date(2023, 5, 1)) == 3


def test_before_everything_and_after_everything():
    assert first_at_or_after(RELEASES, date(2020, 1, 1)) == 0
    assert first_at_or_after(RELEASES, date(2030, 1, 1)) == 5


def test_empty_list():
    assert first_at_or_after([], 3) == 0


def test_between():
    assert between([1, 3, 3, 5, 8], 3, 8) == [3, 3, 5]


def test_latest_before():
    assert latest_before(RELEASES, date(2023, 9, 30)) == date(2023, 4, 2)
    assert latest_before(RELEASES, date(2023, 1, 10)) is None


def test_insert_sorted():
    values = [2, 4, 4, 9]
    insert_sorted(values, 5)
    insert_sorted(values, 1)
    assert values == [1, 2, 4, 4, 5, 9]
