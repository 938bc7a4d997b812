import pytest

from summary_stats import mean, median, summary, value_range


def test_median_odd():
    assert median([7, 1, 3]) == 3


def test_median_even():
    assert median([10, 2, 8, 4]) == 6


def test_median_sorted_input():
    assert median([1, 2, 3, 4, 5]) == 3


def test_median_does_not_reorder_input():
    data = [3, 1, 2]
    median(data)
    assert data == [3, 1, 2]


def test_mean_and_range():
    assert mean([1, 2, 6]) == 3
    assert value_range([4, 9, 1]) == 8
    with pytest.raises(ValueError):
        median([])


def test_summary():
    assert summary([5, 1, 4, 2]) == {"count": 4, "mean": 3.0, "median": 3.0, "range": 4}
