"""Shortening text for table cells and notifications."""

from __future__ import annotations

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters; when text is cut, the last character is an ellipsis."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + ELLIPSIS


def truncate_words(text: str, max_words: int) -> str:
    """The first max_words words, with an ellipsis if any were dropped."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]) + ELLIPSIS


def fit_columns(cells: list[str], widths: list[int]) -> str:
    """One table row: each cell truncated and left-aligned in its column, separated by ' | '."""
    if len(cells) != len(widths):
        raise ValueError("one width per cell")
    return " | ".join(truncate(cell, w).ljust(w) for cell, w in zip(cells, widths))
