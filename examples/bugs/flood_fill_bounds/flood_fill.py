"""Flood fill on a grid of colour numbers, as in a paint program's bucket tool."""

from __future__ import annotations

Grid = list[list[int]]


def fill(grid: Grid, row: int, col: int, new: int) -> int:
    """Recolour, in place, the 4-connected region of (row, col); returns how many cells changed."""
    old = grid[row][col]
    if old == new:
        return 0
    rows, cols = len(grid), len(grid[0])
    stack = [(row, col)]
    changed = 0
    while stack:
        r, c = stack.pop()
        if r < rows and 0 <= c < cols and grid[r][c] == old:
            grid[r][c] = new
            changed += 1
            stack.extend([(r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)])
    return changed


def copy_grid(grid: Grid) -> Grid:
    return [row[:] for row in grid]


def region_sizes(grid: Grid) -> list[int]:
    """Sizes of all single-colour regions, largest first (the grid is not modified)."""
    work = copy_grid(grid)
    marker = -1
    sizes = []
    for r in range(len(work)):
        for c in range(len(work[0])):
            if work[r][c] >= 0:
                sizes.append(fill(work, r, c, marker))
    return sorted(sizes, reverse=True)


def parse_grid(text: str) -> Grid:
    return [[int(ch) for ch in line.strip()] for line in text.strip().splitlines()]
