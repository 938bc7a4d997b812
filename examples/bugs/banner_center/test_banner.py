from banner import box, center, rule, title


def test_center_even_padding():
    assert center("ab", 6) == "  ab  "


def test_center_odd_padding_goes_right():
    assert center("ab", 5) == " ab  "
    assert len(center("abc", 10)) == 10


def test_center_too_long_text_is_unchanged():
    assert center("abcdef", 4) == "abcdef"


def test_rule():
    assert rule(3, "*") == "***"


def test_box():
    assert box(["hi", "there"]) == "\n".join([
        "+-------+",
        "|  hi   |",
        "| there |",
        "+-------+",
    ])


def test_title():
    assert title("menu", 12) == "=== MENU ==="
    assert title("menu", 13) == "=== MENU ===="
