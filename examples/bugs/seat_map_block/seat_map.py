"""Seat maps for a small theatre: rows of seats, 'X' taken and '.' free."""

from __future__ import annotations

Seats = list[list[bool]]  # seats[row][col] is True when the seat is taken


def parse_map(text: str) -> Seats:
    return [[ch == "X" for ch in line.strip()] for line in text.strip().splitlines()]


def format_map(seats: Seats) -> str:
    return "\n".join("".join("X" if taken else "." for taken in row) for row in seats)


def free_count(seats: Seats) -> int:
    return sum(not taken for row in seats for taken in row)


def find_block(seats: Seats, n: int) -> tuple[int, int] | None:
    """(row, first column) of the first run of n free seats side by side, front row first."""
    for r, row in enumerate(seats):
        run = 0
        for c in range(len(row)):
            taken = seats[c][r]
            if taken:
                run += 1
                if run == n:
                    return r, c - n + 1
            else:
                run = 0
    return None


def book_block(seats: Seats, n: int) -> tuple[int, int] | None:
    """Mark the first block of n free seats as taken; returns where it is."""
    spot = find_block(seats, n)
    if spot is not None:
        r, c = spot
        for i in range(c, c + n):
            seats[r][i] = True
    return spot
