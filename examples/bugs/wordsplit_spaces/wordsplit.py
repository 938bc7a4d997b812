"""Splitting a search box query into words, keeping "quoted phrases" together."""

from __future__ import annotations


def split_words(text: str) -> list[str]:
    """Whitespace-separated words; a double-quoted phrase is one word (quotes removed).
    An unterminated quote runs to the end of the text."""
    words = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            continue
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end == -1:
                end = n
            words.append(text[i + 1:end])
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace():
                i += 1
            words.append(text[start:i])
    return words


def join_words(words: list[str]) -> str:
    """The inverse of split_words for words without double quotes."""
    return " ".join(f'"{w}"' if not w or any(c.isspace() for c in w) else w for w in words)


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """(required, excluded): words starting with '-' are excluded terms."""
    required, excluded = [], []
    for word in split_words(text):
        if word.startswith("-") and len(word) > 1:
            excluded.append(word[1:].lower())
        elif word:
            required.append(word.lower())
    return required, excluded
