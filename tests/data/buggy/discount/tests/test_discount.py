from discount import order_total


def test_no_code():
    assert order_total(4, 3) == 12


def test_unknown_code():
    assert order_total(4, 3, code="FREE") == 12


def test_half():
    assert order_total(5, 4, code="HALF") == 10


def test_ten_off_one_expensive_item():
    assert order_total(25, 1, code="TENOFF") == 15


def test_ten_off_many_items():
    assert order_total(5, 4, code="TENOFF") == 10


def test_ten_off_small_order():
    assert order_total(2, 3, code="TENOFF") == 0
