from inventory.codes import format_code, parse_code


def test_parse_code():
    assert parse_code("tea-0042") == ("TEA", 42)


def test_format_code():
    assert format_code("tea", 42) == "TEA-0042"


def test_round_trip():
    assert parse_code(format_code("jam", 7)) == ("JAM", 7)
