from peak import find_peak


def test_too_short():
    assert find_peak([1, 2]) == -1


def test_peak_in_the_middle():
    assert find_peak([1, 3, 2]) == 1


def test_later_peak():
    assert find_peak([1, 2, 5, 4, 3]) == 2


def test_falling():
    assert find_peak([4, 3, 2, 1]) == -1


def test_rising():
    assert find_peak([1, 2, 3, 4]) == -1


def test_plateau_then_rise():
    assert find_peak([2, 2, 3]) == -1
