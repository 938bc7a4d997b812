from flood_fill import fill, parse_grid, region_sizes


def test_fill_middle_region():
    grid = parse_grid("""
        000
        010
        000
    """)
    assert fill(grid, 1, 1, 5) == 1
    assert grid == [[0, 0, 0], [0, 5, 0], [0, 0, 0]]


def test_same_colour_is_a_no_op():
    grid = parse_grid("11\n11")
    assert fill(grid, 0, 0, 1) == 0


def test_fill_stops_at_top_edge():
    grid = parse_grid("""
        110
        000
        111
    """)
    assert fill(grid, 0, 0, 7) == 2
    assert grid == [[7, 7, 0], [0, 0, 0], [1, 1, 1]]


def test_fill_stops_at_left_edge():
    grid = parse_grid("100\n101")
    assert fill(grid, 0, 1, 4) == 3
    assert grid == [[1, 4, 4], [1, 4, 1]]


def test_region_sizes():
    assert region_sizes(parse_grid("1100\n1000\n0011")) == [7, 3, 2]
