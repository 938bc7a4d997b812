"""Looking up the nearest value, e.g. snapping a slider to allowed sizes."""

from __future__ import annotations


def closest(values: list[float], target: float) -> float | None:
    """The value nearest to target; ties go to the smaller value. None when there are no values."""
    if not values:
        return None
    return min(values, key=lambda v: (v - target, v))


def within(values: list[float], target: float, tolerance: float) -> list[float]:
    """Values no further than tolerance from target, in their original order."""
    return [v for v in values if abs(v - target) <= tolerance]


def snap(x: float, step: float, origin: float = 0.0) -> float:
    """x rounded to the nearest origin + k * step."""
    if step <= 0:
        raise ValueError("step must be positive")
    return origin + round((x - origin) / step) * step


def snap_all(xs: list[float], allowed: list[float]) -> list[float]:
    return [closest(allowed, x) for x in xs]
