"""What the repair loop works on and how it learns about candidates: Problem, Verdict, Checker.

Plain values and a protocol, kept apart from ``repair.py`` (which imports torch) so that the
front-ends and ``tasks`` can build a Problem and refuse bad input before any model work.
``repair`` re-exports all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from coderemask.errors import ConfigError
from coderemask.types import Evidence, Span


@dataclass(frozen=True)
class Problem:
    """A function to write or fix.

    code: the function's text; region: its editable characters (the body); prefix / suffix:
    read-only file context given to the model; name: for messages and traces.
    """

    code: str
    region: Span
    prefix: str = ""
    suffix: str = ""
    name: str = "function"

    def __post_init__(self) -> None:
        if not (0 <= self.region.start <= self.region.end <= len(self.code)):
            raise ConfigError(
                f"Problem.region={self.region}: outside the code of {self.name!r} ({len(self.code)} chars)"
            )
        if self.region.start == self.region.end:
            raise ConfigError(f"Problem.region of {self.name!r} is empty: nothing is editable")


@dataclass(frozen=True)
class Verdict:
    """What a checker says about one candidate function text."""

    passed: int
    total: int
    evidence: tuple[Evidence, ...] = ()
    summary: str = ""
    complete: bool = True
    """False when not every test ran (validation stopped at the first test that still fails):
    tests that did not run count as not passed."""
    passed_tests: frozenset[str] = frozenset()
    """The tests that passed (by id), when the checker names its tests."""

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


class Checker(Protocol):
    """Runs the tests of many candidate function texts (in a sandbox) and returns a Verdict each.

    Evidence spans are characters of the candidate's text.
    """

    def check(self, codes: Sequence[str]) -> list[Verdict]: ...
