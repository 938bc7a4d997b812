from loop import countdown


def test_even():
    assert countdown(4) == 2


def test_odd():
    assert countdown(3) == 2


def test_zero():
    assert countdown(0) == 0
