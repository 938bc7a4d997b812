import pytest

from stockroom import StockRoom


def make_room():
    room = StockRoom()
    room.receive("bolt", 100)
    room.receive("nut", 40)
    room.receive("washer", 5)
    return room


def test_receive_adds_up():
    room = make_room()
    room.receive("nut", 10)
    assert room.level("nut") == 50
    assert room.level("gear") == 0


def test_can_fulfil_when_everything_is_there():
    assert make_room().can_fulfil({"bolt": 10, "nut": 40})


def test_cannot_fulfil_when_one_line_is_short():
    assert not make_room().can_fulfil({"bolt": 10, "washer": 6})


def test_cannot_fulfil_unknown_item():
    assert not make_room().can_fulfil({"bolt": 1, "gear": 1})


def test_empty_order_is_fulfilled():
    assert make_room().can_fulfil({})


def test_pick_is_all_or_nothing():
    room = make_room()
    with pytest.raises(LookupError):
        room.pick({"bolt": 10, "washer": 9})
    assert room.level("bolt") == 100
    room.pick({"bolt": 10, "washer": 5})
    assert room.level("bolt") == 90
    assert room.low_stock(1) == ["washer"]
