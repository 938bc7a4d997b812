from intervals import free_slots, merge, total_length


def test_overlapping():
    assert merge([(1, 3), (2, 6), (8, 10)]) == [(1, 6), (8, 10)]


def test_touching():
    assert merge([(1, 2), (2, 4)]) == [(1, 4)]


def test_contained():
    assert merge([(1, 10), (2, 3), (4, 5)]) == [(1, 10)]


def test_unsorted_input():
    assert merge([(5, 7), (1, 2), (6, 9)]) == [(1, 2), (5, 9)]


def test_total_length():
    assert total_length([(0, 4), (1, 2), (6, 7)]) == 5


def test_free_slots():
    busy = [(9, 10), (9.5, 9.75), (12, 13)]
    assert free_slots(busy, 8, 17) == [(8, 9), (10, 12), (13, 17)]
