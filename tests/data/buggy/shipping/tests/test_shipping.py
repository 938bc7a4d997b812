import pytest

from shipping import shipping_cost


def test_light_parcel():
    assert shipping_cost(3) == 5.0


def test_heavy_parcel():
    assert shipping_cost(20) == 10.0


def test_bad_weight():
    with pytest.raises(ValueError):
        shipping_cost(0)


def test_express_light_parcel():
    assert shipping_cost(3, express=True) == 10.0


def test_express_heavy_parcel():
    assert shipping_cost(20, express=True) == 20.0
