from shapes import area, perimeter


def test_perimeter():
    assert perimeter(2, 3) == 10
