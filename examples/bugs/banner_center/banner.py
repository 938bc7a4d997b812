"""Plain-text banners for console output."""

from __future__ import annotations


def rule(width: int, char: str = "-") -> str:
    """A horizontal line."""
    return char * width


def center(text: str, width: int, fill: str = " ") -> str:
    """Center text in a field of width characters; an odd pad puts the extra fill on the right."""
    if len(text) >= width:
        return text
    pad = width - len(text)
    left = pad // 2
    right = pad - left
    return fill * left + text + fill * left


def box(lines: list[str], padding: int = 1) -> str:
    """Draw a box around the lines, each line centered."""
    inner = max((len(line) for line in lines), default=0) + 2 * padding
    top = "+" + rule(inner) + "+"
    body = ["|" + center(line, inner) + "|" for line in lines]
    return "\n".join([top, *body, top])


def title(text: str, width: int = 40) -> str:
    """Upper-cased text centered in a line of '=' signs."""
    return center(" " + text.upper() + " ", width, "=")
