"""Small helpers for matrices stored as lists of rows."""

from __future__ import annotations

Grid = list[list[float]]


def shape(grid: Grid) -> tuple[int, int]:
    """(rows, columns); every row must have the same length."""
    rows = len(grid)
    cols = len(grid[0]) if grid else 0
    if any(len(row) != cols for row in grid):
        raise ValueError("ragged grid")
    return rows, cols


def row_sums(grid: Grid) -> list[float]:
    return [sum(row) for row in grid]


def column_sums(grid: Grid) -> list[float]:
    rows, cols = shape(grid)
    return [sum(grid[c][r] for r in range(rows)) for c in range(cols)]


def transpose(grid: Grid) -> Grid:
    return [list(col) for col in zip(*grid)]


def multiply(a: Grid, b: Grid) -> Grid:
    (n, m), (m2, p) = shape(a), shape(b)
    if m != m2:
        raise ValueError("shapes do not match")
    return [[sum(a[i][k] * b[k][j] for k in range(m)) for j in range(p)] for i in range(n)]


def normalize_columns(grid: Grid) -> Grid:
    """Each column divided by its sum (columns summing to 0 are left alone)."""
    totals = column_sums(grid)
    return [[v / t if t else v for v, t in zip(row, totals)] for row in grid]
