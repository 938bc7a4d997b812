import pytest

from smoothing import exponential, moving_average, spikes


def test_moving_average():
    assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]


def test_window_of_one_is_identity():
    assert moving_average([4.0, 8.0, 6.0], 1) == [4.0, 8.0, 6.0]


def test_window_as_long_as_the_data():
    assert moving_average([2, 4, 9], 3) == [5.0]


def test_window_too_long():
    assert moving_average([1, 2], 3) == []
    with pytest.raises(ValueError):
        moving_average([1, 2], 0)


def test_exponential():
    assert exponential([10, 20, 20], 0.5) == [10, 15.0, 17.5]


def test_spikes():
    assert spikes([5, 5, 5, 20, 5, 5, 30], 3, 5.0) == [3, 6]
