"""Pagination helpers for a listing page (pages are numbered from 1)."""

from __future__ import annotations

import math
from typing import Any


def page_count(total: int, per_page: int) -> int:
    """Number of pages needed for total items; an empty listing still has one page."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, math.ceil(total / per_page))


def page_items(items: list[Any], page: int, per_page: int) -> list[Any]:
    """The items shown on the given page."""
    if page < 1:
        raise ValueError("pages start at 1")
    start = (page - 1) * per_page
    return items[start:start + per_page]


def page_window(current: int, last: int, radius: int = 2) -> list[int]:
    """Page numbers for the navigation bar: up to radius pages each side of current."""
    first = max(1, current - radius)
    final = min(last, current + radius)
    return list(range(first, final))


def nav_label(current: int, last: int, radius: int = 2) -> str:
    """e.g. '« 3 4 [5] 6 7 »'."""
    parts = [f"[{n}]" if n == current else str(n) for n in page_window(current, last, radius)]
    if current > 1:
        parts.insert(0, "«")
    if current < last:
        parts.append("»")
    return " ".join(parts)
