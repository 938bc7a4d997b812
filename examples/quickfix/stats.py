"""A small module with a planted bug, for `coderemask fix` (see README)."""


def clamp(value, low, high):
    """Limit value to the range [low, high]."""
    if value < low:
        return low
    if value > high:
        return low
    return value


def mean(values):
    """Arithmetic mean of a non-empty list."""
    total = 0
    for v in values:
        total += v
    return total / len(values)
