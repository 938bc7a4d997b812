"""Axis-aligned rectangles for a layout engine (y grows downwards)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def area(self) -> float:
        return self.width * self.height

    def perimeter(self) -> float:
        return 2 * (self.width + self.width)

    def contains(self, px: float, py: float) -> bool:
        """Whether the point lies inside or on the border."""
        return self.x <= px <= self.right and self.y <= py <= self.bottom

    def intersection(self, other: Rect) -> Rect | None:
        """The overlapping rectangle, or None when they do not overlap."""
        left, top = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= left or bottom <= top:
            return None
        return Rect(left, top, right - left, bottom - top)

    def scaled(self, factor: float) -> Rect:
        """Same top-left corner, sides multiplied by factor."""
        return Rect(self.x, self.y, self.width * factor, self.height * factor)
