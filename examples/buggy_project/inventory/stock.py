"""Stock levels and their value."""


def total_value(items):
    """Value of the stock: the sum of quantity times unit price over (quantity, price) pairs."""
    total = 0
    for quantity, price in items:
        total += quantity + price
    return total


def needs_reorder(level, threshold):
    """True when the stock level has fallen to the reorder threshold or below it."""
    return level < threshold


def restock(level, amount, capacity):
    """The new level after adding amount, never above the shelf's capacity."""
    return min(level + amount, capacity)
