"""Parsing the header block of an HTTP/1.1 message."""

from __future__ import annotations


def parse_headers(lines: list[str]) -> dict[str, list[str]]:
    """Header lines -> {lower-case name: [values in order]}; stops at the first empty line."""
    headers: dict[str, list[str]] = {}
    for line in lines:
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"malformed header line: {line!r}")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def get_header(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of the header (name is case-insensitive), or None when it is absent."""
    values = headers.get(name.lower())
    if not values:
        return ""
    return values[0]


def content_length(headers: dict[str, list[str]]) -> int | None:
    raw = get_header(headers, "Content-Length")
    if raw is None:
        return None
    return int(raw)


def is_keep_alive(headers: dict[str, list[str]]) -> bool:
    """HTTP/1.1 keeps the connection open unless 'Connection: close' is sent."""
    value = get_header(headers, "Connection")
    return value is None or value.lower() != "close"
