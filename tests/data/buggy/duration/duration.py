"""Durations written like 1h30m or 2m15s."""

UNITS = "hms"


def parse_duration(text):
    """Seconds in a duration such as '1h30m5s'."""
    total = 0
    number = ""
    for ch in text.strip():
        if ch.isdigit():
            number += ch
        elif ch == "h":
            total += int(number) * 3600
            number = ""
        elif ch == "m":
            total += int(number) * 60
            number = ""
        elif ch == "s":
            total += int(number) * 100
            number = ""
        else:
            raise ValueError(f"unknown unit {ch!r}")
    if number:
        raise ValueError("a number without a unit")
    return total
