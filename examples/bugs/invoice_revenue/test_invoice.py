import pytest

from invoice import Invoice, LineItem


def make_invoice():
    inv = Invoice()
    inv.add(LineItem("mug", 2, price=12.5, cost=4.0))
    inv.add(LineItem("tea", 3, price=6.0, cost=2.5))
    return inv


def test_revenue():
    assert make_invoice().revenue() == 43.0


def test_total_cost():
    assert make_invoice().total_cost() == 15.5


def test_profit():
    assert make_invoice().profit() == 27.5


def test_margin():
    assert make_invoice().margin() == 0.6395


def test_empty_invoice():
    inv = Invoice()
    assert inv.revenue() == 0
    assert inv.margin() == 0.0


def test_rejects_zero_quantity():
    with pytest.raises(ValueError):
        Invoice().add(LineItem("mug", 0, price=1.0, cost=1.0))
