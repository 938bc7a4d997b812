"""``loads`` for untrusted JSON text (editor requests, task files, sample logs).

Nesting too deep for the decoder (``[[[[...`` a few thousand levels) makes ``json.loads`` raise
RecursionError; here it is a ``json.JSONDecodeError`` like any other bad JSON, so callers that
refuse bad JSON refuse it too. This module knows JSON text only.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``; too deep nesting raises JSONDecodeError ("nested too deeply")."""
    try:
        return json.loads(text)
    except RecursionError:
        doc = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise json.JSONDecodeError("nested too deeply", doc, 0) from None
