import pytest

from recent import last_n_average


def test_no_values():
    assert last_n_average([], 3) == 0.0


def test_bad_n():
    with pytest.raises(ValueError):
        last_n_average([1, 2], 0)


def test_last_two():
    assert last_n_average([1, 2, 3, 5], 2) == 4.0


def test_fewer_than_n():
    assert last_n_average([2, 4], 5) == 3.0
