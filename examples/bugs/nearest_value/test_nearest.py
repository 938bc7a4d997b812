from nearest import closest, snap, snap_all, within


def test_closest_above():
    assert closest([1, 5, 9], 6) == 5


def test_closest_below():
    assert closest([10, 20, 30], 24) == 20


def test_tie_goes_to_smaller():
    assert closest([4, 8], 6) == 4


def test_exact_and_empty():
    assert closest([3, 7], 7) == 7
    assert closest([], 1) is None


def test_within():
    assert within([1, 4, 6, 11], 5, 1.5) == [4, 6]


def test_snap():
    assert snap(7.2, 2.5) == 7.5
    assert snap_all([13, 30, 47], [12, 24, 36, 48]) == [12, 24, 48]
