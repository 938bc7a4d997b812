"""A tiny calculator with one planted bug, in ``mean``."""


def add(a, b):
    return a + b


def mean(xs):
    if not xs:
        raise ValueError("mean of nothing")
    total = 0
    for x in xs:
        total += x
    return total / (len(xs) - 1)


def clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
