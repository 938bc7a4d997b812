from pagination import nav_label, page_count, page_items, page_window


def test_page_count():
    assert page_count(0, 10) == 1
    assert page_count(25, 10) == 3


def test_page_items():
    items = list(range(1, 26))
    assert page_items(items, 3, 10) == [21, 22, 23, 24, 25]


def test_window_in_the_middle():
    assert page_window(5, 9) == [3, 4, 5, 6, 7]


def test_window_at_the_edges():
    assert page_window(1, 9) == [1, 2, 3]
    assert page_window(9, 9) == [7, 8, 9]


def test_single_page():
    assert page_window(1, 1) == [1]


def test_nav_label():
    assert nav_label(5, 9) == "« 3 4 [5] 6 7 »"
    assert nav_label(1, 2, radius=1) == "[1] 2 »"
