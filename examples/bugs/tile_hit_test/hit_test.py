"""Hit testing for a tile-map editor: which selection or tile a pointer is over."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    """A rectangle of whole pixels; right and bottom are the last pixels inside it."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1


def contains(rect: Rect, x: int, y: int) -> bool:
    """Whether pixel (x, y) lies in rect; the edge pixels belong to it."""
    return rect.left < x < rect.right and rect.top < y < rect.bottom


def tile_at(x: int, y: int, tile_size: int) -> tuple[int, int]:
    """(column, row) of the tile under pixel (x, y)."""
    return x // tile_size, y // tile_size


def topmost(rects: list[Rect], x: int, y: int) -> int | None:
    """Index of the last-drawn rect under (x, y), or None."""
    for i in range(len(rects) - 1, -1, -1):
        if contains(rects[i], x, y):
            return i
    return None
