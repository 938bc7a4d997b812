"""TOML reading on every supported Python: the standard library's ``tomllib`` (3.11+), else the
``tomli`` backport it came from (a dependency on 3.10 only)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, loads
else:  # pragma: no cover - Python 3.10
    from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
