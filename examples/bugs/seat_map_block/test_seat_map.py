from seat_map import book_block, find_block, format_map, free_count, parse_map

HALL = """
XX..X.
......
X....X
"""


def test_parse_and_format():
    seats = parse_map(HALL)
    assert format_map(seats) == "XX..X.\n......\nX....X"
    assert free_count(seats) == 13


def test_block_in_front_row():
    assert find_block(parse_map(HALL), 2) == (0, 2)


def test_block_further_back():
    assert find_block(parse_map(HALL), 3) == (1, 0)


def test_single_seat():
    assert find_block(parse_map("XXX\nXX."), 1) == (1, 2)


def test_no_block():
    assert find_block(parse_map("X.X.\n.X.X"), 2) is None


def test_book_block():
    seats = parse_map(HALL)
    assert book_block(seats, 4) == (1, 0)
    assert book_block(seats, 4) == (2, 1)
    assert book_block(seats, 4) is None
    assert format_map(seats) == "XX..X.\nXXXX..\nXXXXXX"
