import pytest

from grid_math import column_sums, multiply, normalize_columns, row_sums, shape, transpose


def test_column_sums_square():
    assert column_sums([[1, 2], [3, 4]]) == [4, 6]


def test_column_sums_wide():
    assert column_sums([[1, 2, 3], [10, 20, 30]]) == [11, 22, 33]


def test_column_sums_tall():
    assert column_sums([[1], [2], [3]]) == [6]


def test_column_sums_empty():
    assert column_sums([]) == []


def test_row_sums_and_shape():
    assert row_sums([[1, 2, 3], [4, 5, 6]]) == [6, 15]
    with pytest.raises(ValueError):
        shape([[1, 2], [3]])


def test_transpose_and_multiply():
    a = [[1, 2, 3], [4, 5, 6]]
    assert transpose(a) == [[1, 4], [2, 5], [3, 6]]
    assert multiply(a, transpose(a)) == [[14, 32], [32, 77]]


def test_normalize_columns():
    assert normalize_columns([[1, 0], [3, 0]]) == [[0.25, 0], [0.75, 0]]
