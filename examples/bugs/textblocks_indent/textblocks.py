"""Indenting and dedenting blocks of text (spaces only)."""

from __future__ import annotations


def indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def common_indent(lines: list[str]) -> int:
    """The smallest indentation among the non-blank lines (0 when every line is blank)."""
    widths = [indent_width(line) for line in lines if not line.strip()]
    return min(widths, default=0)


def dedent(text: str) -> str:
    """Remove the common indentation; blank lines become empty."""
    lines = text.split("\n")
    n = common_indent(lines)
    return "\n".join(line[n:] if line.strip() else "" for line in lines)


def indent(text: str, prefix: str = "    ") -> str:
    """Prefix every non-blank line."""
    return "\n".join(prefix + line if line.strip() else line for line in text.split("\n"))


def reindent(text: str, width: int) -> str:
    """The block moved so that its least indented line starts at column width."""
    return indent(dedent(text), " " * width)
