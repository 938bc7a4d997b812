"""Smoothing of noisy sensor readings."""

from __future__ import annotations


def moving_average(values: list[float], window: int) -> list[float]:
    """Mean of every run of `window` consecutive values: len(values) - window + 1 results."""
    if window <= 0:
        raise ValueError("window must be positive")
    if window > len(values):
        return []
    return [sum(values[i:i + window]) / window for i in range(len(values) - window)]


def exponential(values: list[float], alpha: float) -> list[float]:
    """Exponentially weighted average; alpha is the weight of the newest value."""
    if not 0 < alpha <= 1:
        raise ValueError("alpha must be in (0, 1]")
    out: list[float] = []
    for v in values:
        out.append(v if not out else alpha * v + (1 - alpha) * out[-1])
    return out


def spikes(values: list[float], window: int, tolerance: float) -> list[int]:
    """Indices i >= window - 1 where values[i] is more than tolerance away from the
    moving average of the window ending at i."""
    averages = moving_average(values, window)
    return [i + window - 1 for i, avg in enumerate(averages)
            if abs(values[i + window - 1] - avg) > tolerance]
