"""Helpers for a "recent files" panel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileEntry:
    path: str
    modified: float  # seconds since the epoch
    size: int  # bytes


def most_recent(entries: list[FileEntry], n: int) -> list[FileEntry]:
    """The n most recently modified entries, newest first."""
    if n <= 0:
        return []
    return sorted(entries, key=lambda e: e.modified, reverse=False)[:n]


def total_size(entries: list[FileEntry]) -> int:
    return sum(e.size for e in entries)


def with_extension(entries: list[FileEntry], ext: str) -> list[FileEntry]:
    """Entries whose path ends with ext ("py" and ".py" both work)."""
    if not ext.startswith("."):
        ext = "." + ext
    return [e for e in entries if e.path.endswith(ext)]


def human_size(size: int) -> str:
    """1536 -> '1.5 KB'."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
