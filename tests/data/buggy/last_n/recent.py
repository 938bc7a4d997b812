"""Averages over the latest readings."""


def last_n_average(values, n):
    """Mean of the last n values (of all of them when there are fewer)."""
    if n <= 0:
        raise ValueError("n must be positive")
    count = min(n, len(values))
    if count == 0:
        return 0.0
    total = 0
    for i in range(count):
        total += values[len(values) - i]
    return total / count
