from rect_shapes import Rect


def test_area():
    assert Rect(0, 0, 4, 3).area() == 12


def test_perimeter():
    assert Rect(0, 0, 4, 3).perimeter() == 14
    assert Rect(1, 1, 10, 0.5).perimeter() == 21


def test_perimeter_of_square():
    assert Rect(0, 0, 5, 5).perimeter() == 20


def test_contains():
    r = Rect(1, 2, 3, 4)
    assert r.contains(1, 2)
    assert r.contains(4, 6)
    assert not r.contains(4.5, 3)


def test_intersection():
    assert Rect(0, 0, 4, 4).intersection(Rect(2, 1, 5, 5)) == Rect(2, 1, 2, 3)
    assert Rect(0, 0, 1, 1).intersection(Rect(1, 0, 1, 1)) is None


def test_scaled_perimeter():
    assert Rect(0, 0, 2, 1).scaled(3).perimeter() == 18
