"""Per-test time limits for candidates, calibrated from the original code's run.

Mutation-testing tools time each test on the unmutated code and give a mutant a small multiple
of that; a mutant that loops forever is stopped in a fraction of a second instead of at a fixed
limit. The same holds for repair candidates:

    limit(test) = min(ceiling, max(floor, factor x duration on the original))

- ``floor`` (default 0.25 s): tests of a few milliseconds vary with the machine's load; no test
  gets less than this.
- ``factor`` (default 10): a candidate may be an order of magnitude slower than the original
  (a different algorithm, a cold cache) and still count.
- ``hung`` (default 0.5 s): a test that already timed out on the original has no duration to
  go by; its hang is part of the bug, so a candidate that still hangs there is stopped soon.
  The original's run gives a test at most ``AFTER_HANG_TIMEOUT`` (1 s) once another test hung,
  so a test that hangs there too costs 1 s, not ``ceiling``. The price: a passing test slower
  than 1 s that runs after a hanging one counts as hanging on the original (0.5 s for
  candidates, which then cannot pass it). Known and accepted: unit tests of one function
  rarely take seconds, and a hang bug otherwise costs ``ceiling`` per test before the search.
  Script tests (``checkers.ScriptChecker``: no pytest start-up) get ``hung`` there, not 1 s.
- ``ceiling``: the user's ``--test-timeout``, never exceeded.

Tests the original run did not time (not run, or new) get ``ceiling``. This module knows
TestRun values only; it runs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from coderemask.errors import ConfigError
from coderemask.signals.tests import TestOutcome, TestRun

TIMEOUT_TYPES = frozenset({"TimeLimitExceeded", "Timeout"})  # how a test cut off by a limit is recorded


@dataclass(frozen=True)
class TimeLimits:
    """How per-test limits follow from the original's durations (see the module docstring)."""

    floor: float = 0.25
    factor: float = 10.0
    hung: float = 0.5
    ceiling: float = 10.0

    def __post_init__(self) -> None:
        for name in ("floor", "factor", "hung", "ceiling"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(f"TimeLimits.{name}={value!r}: must be a finite number > 0")

    def limit(self, test: TestOutcome) -> float:
        """The limit of one test from how it ran on the original."""
        if timed_out(test):
            return min(self.ceiling, self.hung)
        return min(self.ceiling, max(self.floor, self.factor * test.duration))

    def calibrate(self, baseline: TestRun) -> dict[str, float]:
        """Node id -> seconds for every test of ``baseline``."""
        return {t.nodeid: self.limit(t) for t in baseline.tests}

    def lookup(self, limits: Mapping[str, float], nodeid: str) -> float:
        return limits.get(nodeid, self.ceiling)


def timed_out(test: TestOutcome) -> bool:
    """True when the test was cut off by a time limit (its own, or the whole run's)."""
    return test.outcome in ("failed", "error") and test.exc_type in TIMEOUT_TYPES
