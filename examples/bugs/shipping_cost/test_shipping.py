import pytest

from shipping import Parcel, cheapest_split, girth, shipping_cost


def test_heavy_small_parcel_rounds_up():
    assert shipping_cost(Parcel(2.3, 20, 15, 10)) == 8.1


def test_whole_kilograms():
    assert shipping_cost(Parcel(5.0, 30, 20, 10)) == 10.5


def test_bulky_light_parcel_uses_volume():
    assert shipping_cost(Parcel(1.0, 50, 40, 30)) == 18.9


def test_bulky_parcel_with_partial_kilogram():
    assert shipping_cost(Parcel(0.5, 60, 30, 26)) == 16.5


def test_too_long():
    with pytest.raises(ValueError):
        shipping_cost(Parcel(1.0, 130, 10, 10))


def test_girth_and_total():
    assert girth(Parcel(1.0, 20, 50, 10)) == 110
    assert cheapest_split([Parcel(2.3, 20, 15, 10), Parcel(5.0, 30, 20, 10)]) == 18.6
