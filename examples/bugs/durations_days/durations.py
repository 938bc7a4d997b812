"""Human-readable durations such as '1d 2h 5m'."""

from __future__ import annotations

import re

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def split_duration(seconds: float) -> tuple[int, int, int, int]:
    """(days, hours, minutes, seconds) of a non-negative duration; fractions of a second are dropped."""
    if seconds < 0:
        raise ValueError("negative duration")
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 60)
    return days, hours, minutes, secs


def format_duration(seconds: float) -> str:
    days, hours, minutes, secs = split_duration(seconds)
    parts = [f"{value}{unit}" for value, unit in zip((days, hours, minutes, secs), "dhms") if value]
    return " ".join(parts) or "0s"


def parse_duration(text: str) -> int:
    """'1h 30m' -> 5400."""
    total = 0
    pos = 0
    for match in re.finditer(r"\s*(\d+)([dhms])", text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text.rstrip()) or pos == 0:
        raise ValueError(f"not a duration: {text!r}")
    return total
