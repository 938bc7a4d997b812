"""Room bookings over inclusive date ranges (start day and end day both booked)."""

from __future__ import annotations

from datetime import date, timedelta

Range = tuple[date, date]


def overlaps(a: Range, b: Range) -> bool:
    """Whether two inclusive date ranges share at least one day."""
    return a[0] < b[1] and b[0] < a[1]


def days_in(r: Range) -> list[date]:
    """Every day of the range, in order."""
    start, end = r
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


class RoomCalendar:
    def __init__(self) -> None:
        self.bookings: list[tuple[str, Range]] = []

    def is_free(self, r: Range) -> bool:
        return not any(overlaps(r, booked) for _, booked in self.bookings)

    def book(self, guest: str, start: date, end: date) -> None:
        if end < start:
            raise ValueError("end before start")
        if not self.is_free((start, end)):
            raise ValueError(f"room already booked for part of {start}..{end}")
        self.bookings.append((guest, (start, end)))

    def guest_on(self, day: date) -> str | None:
        for guest, (start, end) in self.bookings:
            if start <= day <= end:
                return guest
        return None
