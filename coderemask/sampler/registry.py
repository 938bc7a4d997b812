"""Name -> strategy class tables, so a config picks a strategy by name (no ``elif`` chains).

This module knows names and classes only; it does not know what the strategies do.
"""

from __future__ import annotations

from typing import ClassVar, Generic, Protocol, TypeVar

from coderemask.errors import ConfigError


class Named(Protocol):
    """A strategy class: filed under its ``name``."""

    name: ClassVar[str]


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Strategy classes of one kind (``"unmask order"``, ...) by their ``name`` attribute."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: file ``cls`` under ``cls.name``."""
        name = cls.name
        if name in self._classes:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._classes[name] = cls
        return cls

    def names(self) -> tuple[str, ...]:
        return tuple(self._classes)

    def items(self) -> tuple[tuple[str, type[T]], ...]:
        return tuple(self._classes.items())

    def get(self, name: str, *, where: str) -> type[T]:
        """The class called ``name``; ConfigError naming ``where`` and the known names if none."""
        try:
            return self._classes[name]
        except (KeyError, TypeError):
            raise ConfigError(f"{where}={name!r}: unknown {self.kind}; known: {', '.join(self._classes)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._classes
