"""Password rules for the sign-up form."""

from __future__ import annotations

import string

MIN_LENGTH = 10
COMMON = {"password123", "qwertyuiop", "letmein123", "1234567890"}


def character_classes(pw: str) -> int:
    """How many of lower case, upper case, digits and other characters pw uses."""
    classes = [
        any(c in string.ascii_lowercase for c in pw),
        any(c in string.ascii_uppercase for c in pw),
        any(c in string.digits for c in pw),
        any(not c.isalnum() for c in pw),
    ]
    return sum(classes)


def problems(pw: str, username: str = "") -> list[str]:
    """Reasons pw is rejected (an empty list means it is acceptable)."""
    found = []
    if len(pw) < MIN_LENGTH:
        found.append(f"shorter than {MIN_LENGTH} characters")
    if pw.lower() in COMMON:
        found.append("too common")
    if username.lower() in pw.lower():
        found.append("contains the user name")
    if character_classes(pw) < 3:
        found.append("needs three kinds of characters")
    return found


def is_acceptable(pw: str, username: str = "") -> bool:
    return not problems(pw, username)
