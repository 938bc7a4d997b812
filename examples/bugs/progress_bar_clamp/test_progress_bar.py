from progress_bar import clamp, percent, render_bar, status_line


def test_clamp():
    assert clamp(5, 0, 3) == 3
    assert clamp(-1, 0, 3) == 0
    assert clamp(2, 0, 3) == 2


def test_bar_partly_done():
    assert render_bar(1, 4, width=8) == "[##......]"


def test_bar_empty_and_full():
    assert render_bar(0, 10, width=4) == "[....]"
    assert render_bar(10, 10, width=4) == "[####]"


def test_overshoot_is_a_full_bar():
    assert render_bar(15, 10, width=4) == "[####]"


def test_percent():
    assert percent(1, 3) == 33
    assert percent(5, 0) == 100


def test_status_line():
    assert status_line("copy", 3, 4, width=4) == "copy [###.]  75% (3/4)"
