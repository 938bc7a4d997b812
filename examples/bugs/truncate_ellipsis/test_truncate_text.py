import pytest

from truncate_text import fit_columns, truncate, truncate_words


def test_short_text_unchanged():
    assert truncate("hello", 5) == "hello"


def test_cut_text_fits_the_limit():
    assert truncate("hello world", 5) == "hell…"
    assert len(truncate("abcdefghij", 7)) == 7


def test_trailing_space_is_dropped_before_ellipsis():
    assert truncate("hello world", 7) == "hello…"


def test_limit_one():
    assert truncate("abc", 1) == "…"
    with pytest.raises(ValueError):
        truncate("abc", 0)


def test_truncate_words():
    assert truncate_words("the quick brown fox", 2) == "the quick…"
    assert truncate_words("  two   words ", 5) == "two words"


def test_fit_columns():
    assert fit_columns(["Widget deluxe", "3"], [8, 3]) == "Widget…  | 3  "
