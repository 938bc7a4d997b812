"""Pass/fail of self-contained programs (code + test), run in the sandbox's batch runner.

A thin convenience over ``sandbox.run_batch`` for benchmarks: many (code, test) pairs, one
interpreter start, a bool each. It never imports torch and never raises for a failing program.
"""

from __future__ import annotations

from typing import Sequence

from coderemask.signals.sandbox import Candidate, run_batch


def passes(programs: Sequence[tuple[str, str]], *, timeout: float = 5.0) -> list[bool]:
    """For each (code, test) pair: did ``code`` then ``test`` run without an exception?"""
    if not programs:
        return []
    batch = run_batch([Candidate(code, test, name=str(i)) for i, (code, test) in enumerate(programs)], timeout=timeout)
    return [r.passed for r in batch.results]
