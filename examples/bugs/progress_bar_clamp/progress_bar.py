"""Text progress bars for command-line tools."""

from __future__ import annotations


def clamp(value: float, low: float, high: float) -> float:
    """value limited to the range [low, high]."""
    return max(low, min(high, value))


def percent(done: int, total: int) -> int:
    """Whole percent done, 0..100 (an empty job counts as finished)."""
    if total <= 0:
        return 100
    return round(clamp(done / total, 0.0, 1.0) * 100)


def render_bar(done: int, total: int, width: int = 20, fill: str = "#", empty: str = ".") -> str:
    """e.g. '[#####...............]' for a quarter done; overshoot shows as a full bar."""
    ratio = 1.0 if total <= 0 else done / total
    ratio = clamp(ratio, 1.0, 0.0)
    filled = round(ratio * width)
    return "[" + fill * filled + empty * (width - filled) + "]"


def status_line(label: str, done: int, total: int, width: int = 20) -> str:
    return f"{label} {render_bar(done, total, width)} {percent(done, total):3d}% ({done}/{total})"
