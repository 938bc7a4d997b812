"""Read/write/execute permission masks, written like "rw-"."""

from __future__ import annotations

READ = 4
WRITE = 2
EXECUTE = 1
ALL = READ | WRITE | EXECUTE
LETTERS = (("r", READ), ("w", WRITE), ("x", EXECUTE))


def parse(text: str) -> int:
    """'rw-' -> READ | WRITE."""
    if len(text) != 3:
        raise ValueError(f"expected three characters, got {text!r}")
    mask = 0
    for ch, (letter, bit) in zip(text, LETTERS):
        if ch == letter:
            mask |= bit
        elif ch != "-":
            raise ValueError(f"unexpected {ch!r} in {text!r}")
    return mask


def format_mask(mask: int) -> str:
    return "".join(letter if mask & bit else "-" for letter, bit in LETTERS)


def has(mask: int, flag: int) -> bool:
    """Whether every bit of flag is set in mask."""
    return (mask & flag) == flag


def grant(mask: int, flag: int) -> int:
    """mask with the bits of flag added."""
    return mask & flag


def revoke(mask: int, flag: int) -> int:
    """mask with the bits of flag removed."""
    return mask & ~flag & ALL
