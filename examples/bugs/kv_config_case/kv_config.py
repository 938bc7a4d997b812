"""A tiny `key = value` configuration format."""

from __future__ import annotations

TRUE_WORDS = {"1", "yes", "true", "on"}
FALSE_WORDS = {"0", "no", "false", "off"}


def parse_config(text: str) -> dict[str, str]:
    """Keys are case-insensitive (stored lower-case); values keep their case.
    Blank lines and lines starting with '#' are skipped; a repeated key keeps its last value."""
    result: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        line = line.lower()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"line {number}: expected 'key = value'")
        result[key.strip().lower()] = value.strip()
    return result


def get_bool(config: dict[str, str], key: str, default: bool = False) -> bool:
    raw = config.get(key.lower())
    if raw is None:
        return default
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ValueError(f"{key}: not a yes/no value: {raw!r}")


def get_int(config: dict[str, str], key: str, default: int = 0) -> int:
    raw = config.get(key.lower())
    return default if raw is None else int(raw)
