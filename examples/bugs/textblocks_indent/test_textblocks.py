from textblocks import common_indent, dedent, indent, reindent


def test_common_indent():
    assert common_indent(["    a", "      b", "    c"]) == 4


def test_blank_lines_do_not_count():
    assert common_indent(["    a", "", "  ", "      b"]) == 4


def test_all_blank():
    assert common_indent(["", "   "]) == 0


def test_dedent():
    assert dedent("    if x:\n        y()\n\n    z()") == "if x:\n    y()\n\nz()"


def test_indent_skips_blank_lines():
    assert indent("a\n\nb", "> ") == "> a\n\n> b"


def test_reindent():
    assert reindent("      a\n        b", 2) == "  a\n    b"
