from inventory.stock import needs_reorder, restock, total_value


def test_total_value():
    assert total_value([(2, 3.5), (1, 10.0)]) == 17.0


def test_total_value_of_nothing():
    assert total_value([]) == 0


def test_needs_reorder_below():
    assert needs_reorder(2, 5)


def test_needs_reorder_at_threshold():
    assert needs_reorder(5, 5)


def test_no_reorder_above():
    assert not needs_reorder(9, 5)


def test_restock_caps_at_capacity():
    assert restock(8, 5, 10) == 10
    assert restock(1, 2, 10) == 3
