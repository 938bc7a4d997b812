from datetime import date

from streaks import current_streak, longest_streak, missed_days


def june(*days):
    return [date(2024, 6, d) for d in days]


def test_no_days():
    assert longest_streak([]) == 0


def test_single_run():
    assert longest_streak(june(3, 4, 5)) == 3


def test_longest_run_comes_later():
    assert longest_streak(june(1, 3, 4, 5, 9)) == 3


def test_two_runs_of_two_after_a_gap():
    assert longest_streak(june(10, 20, 21, 25, 26)) == 2


def test_unsorted_with_duplicates():
    assert longest_streak(june(8, 6, 7, 7, 1)) == 3


def test_current_streak():
    assert current_streak(june(1, 2, 4, 5, 6), date(2024, 6, 6)) == 3
    assert current_streak(june(1, 2, 4, 5, 6), date(2024, 6, 7)) == 3
    assert current_streak(june(1, 2), date(2024, 6, 7)) == 0


def test_missed_days():
    assert missed_days(june(1, 2, 4), date(2024, 6, 1), date(2024, 6, 5)) == june(3, 5)
