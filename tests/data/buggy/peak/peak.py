"""Peaks in a series."""


def find_peak(values):
    """Index of the first value larger than both neighbours, or -1 when there is none."""
    if len(values) < 3:
        return -1
    for i in range(1, len(values)):
        if values[i] > values[i - 1] and values[i] > values[i + 1]:
            return i
    return -1
