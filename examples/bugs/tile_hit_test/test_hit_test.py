from hit_test import Rect, contains, tile_at, topmost

BOX = Rect(10, 20, 19, 29)


def test_size():
    assert (BOX.width, BOX.height) == (10, 10)


def test_inside():
    assert contains(BOX, 15, 25)


def test_edges_belong_to_the_rect():
    assert contains(BOX, 10, 25)
    assert contains(BOX, 19, 29)


def test_outside():
    assert not contains(BOX, 9, 25)
    assert not contains(BOX, 15, 30)


def test_one_pixel_rect():
    assert contains(Rect(3, 3, 3, 3), 3, 3)


def test_topmost_picks_the_last_drawn():
    rects = [Rect(0, 0, 9, 9), Rect(5, 5, 14, 14)]
    assert topmost(rects, 5, 5) == 1
    assert topmost(rects, 2, 2) == 0
    assert topmost(rects, 20, 20) is None


def test_tile_at():
    assert tile_at(33, 7, 16) == (2, 0)
