"""Removing duplicates from lists while keeping their order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any


def unique_in_order(items: Iterable[Any], key: Callable[[Any], Hashable] | None = None) -> list[Any]:
    """Items with later duplicates dropped; key(item), when given, decides what counts as a duplicate."""
    seen: set[Hashable] = set()
    result = []
    for item in items:
        k = item if key is None else key(item)
        if k in seen:
            seen.add(k)
            result.append(item)
    return result


def duplicates(items: Iterable[Hashable]) -> list[Hashable]:
    """Values that occur more than once, in order of first occurrence."""
    items = list(items)
    counts = Counter(items)
    return [x for x in dict.fromkeys(items) if counts[x] > 1]


def merge_unique(*lists: Iterable[Any]) -> list[Any]:
    """Concatenate the lists, keeping the first occurrence of each value."""
    combined: list[Any] = []
    for lst in lists:
        combined.extend(lst)
    return unique_in_order(combined)
