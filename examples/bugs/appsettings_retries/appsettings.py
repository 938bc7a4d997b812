"""Application settings read from environment variables."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_TIMEOUT = 30
DEFAULT_RETRIES = 3
DEFAULT_LOG_LEVEL = "INFO"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _parse_int(raw: object, name: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def load_settings(env: Mapping[str, str]) -> dict[str, object]:
    """Settings from APP_TIMEOUT, APP_RETRIES and APP_LOG_LEVEL, with defaults for missing ones."""
    timeout = _parse_int(env.get("APP_TIMEOUT", DEFAULT_TIMEOUT), "APP_TIMEOUT")
    retries = _parse_int(env.get("APP_RETRIES", DEFAULT_TIMEOUT), "APP_RETRIES")
    level = str(env.get("APP_LOG_LEVEL", DEFAULT_LOG_LEVEL)).upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    return {"timeout": timeout, "retries": retries, "log_level": level}


def describe(settings: Mapping[str, object]) -> str:
    """One line for the startup log."""
    return ", ".join(f"{key}={settings[key]}" for key in sorted(settings))
