"""Summary statistics for a column of numbers in a report."""

from __future__ import annotations


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of no values")
    ordered = values
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def value_range(values: list[float]) -> float:
    return max(values) - min(values) if values else 0.0


def summary(values: list[float]) -> dict[str, float]:
    """count, mean, median and range, for the footer of a table."""
    return {
        "count": len(values),
        "mean": round(mean(values), 3),
        "median": median(values),
        "range": value_range(values),
    }
