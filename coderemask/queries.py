"""tree-sitter languages and the ``.scm`` query files shipped in the ``coderemask.grammars`` package.

Query files live in ``grammars/<language>/<name>.scm`` (installed as ``coderemask.grammars``) and are
read with :mod:`importlib.resources`, so they work from a checkout, an editable install or a wheel.
Compiled grammars come from wheels (``tree-sitter-python``), named in :data:`LANGUAGES`.

This module knows where queries live and how to compile them; it does not know what their captures
mean (``coderemask.signals.units`` does), nor anything about models, tokens or tests.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from tree_sitter import Language, Parser, Query, QueryError

from coderemask.errors import ConfigError

if TYPE_CHECKING:
    from importlib.abc import Traversable

#: Registry: language name -> module of a tree-sitter grammar wheel exposing ``language()``.
LANGUAGES: dict[str, str] = {"python": "tree_sitter_python"}

GRAMMARS_PACKAGE = "coderemask.grammars"


def _known(language: str) -> None:
    if language not in LANGUAGES:
        raise ConfigError(f"unknown language {language!r}; known: {', '.join(sorted(LANGUAGES))}")


@cache
def language(name: str = "python") -> Language:
    """The compiled tree-sitter grammar for ``name`` (from its wheel)."""
    _known(name)
    module = importlib.import_module(LANGUAGES[name])
    return Language(module.language())


def parser(name: str = "python") -> Parser:
    """A fresh parser for ``name`` (cheap; parsers are not shared between threads)."""
    return Parser(language(name))


def query_dir(name: str = "python") -> Traversable:
    """The folder holding the ``.scm`` files of language ``name``."""
    _known(name)
    return files(GRAMMARS_PACKAGE) / name


def available_queries(language_name: str = "python") -> tuple[str, ...]:
    """Names (without ``.scm``) of the query files shipped for a language, sorted."""
    folder = query_dir(language_name)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".scm")))


def query_source(name: str, language_name: str = "python") -> str:
    """The text of ``grammars/<language_name>/<name>.scm``."""
    path = query_dir(language_name) / f"{name}.scm"
    if not path.is_file():
        known = ", ".join(available_queries(language_name)) or "none"
        raise ConfigError(f"no query {name!r} for language {language_name!r} (have: {known})")
    return path.read_text(encoding="utf-8")


@cache
def query(name: str, language_name: str = "python") -> Query:
    """The compiled query ``grammars/<language_name>/<name>.scm`` (cached)."""
    source = query_source(name, language_name)
    try:
        return Query(language(language_name), source)
    except QueryError as exc:
        raise ConfigError(f"grammars/{language_name}/{name}.scm does not compile: {exc}") from exc
