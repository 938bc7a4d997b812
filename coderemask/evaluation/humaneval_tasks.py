"""HumanEval-format records as repair/complete tasks, judged by the record's hidden ``check``.

``record_task`` turns a record into a Problem (the entry-point function of ``prompt + body``)
and a Checker fed only with *public* evidence by default: the docstring's examples. With
``feedback="full"`` the loop also runs the record's tests (the HumanEvalFix setting, where
results are "plausible" fixes). ``judge`` runs the hidden ``check`` in the sandbox.

This module knows records, problems and checkers; it does not know models or CLIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from ..checkers import ScriptChecker, doctest_tests
from ..repair import Checker, Problem
from ..signals.execution import passes
from ..source import find_function
from ..tasks import problem_from_target

Feedback = Literal["public", "full"]


@dataclass(frozen=True)
class RecordTask:
    """One record ready to run: the problem, its checker, and how to rebuild the module."""

    task_id: str
    problem: Problem
    checker: Checker | None
    module_prefix: str
    module_suffix: str
    hidden_test: str

    def module(self, code: str) -> str:
        """The whole module with ``code`` as the entry-point function."""
        return self.module_prefix + code + self.module_suffix


def record_task(record: dict, *, body: str, feedback: Feedback = "public") -> RecordTask:
    """A task over ``prompt + body`` (body: ``canonical_solution``, ``buggy_solution`` or a stub)."""
    module = record["prompt"] + body + record.get("suffix", "")
    target = find_function(module, record["entry_point"])
    problem, span = problem_from_target(target, module)
    hidden = f"{record['test']}\n\ncheck({record['entry_point']})\n"
    tests: list[str] = doctest_tests(target.docstring)
    if feedback == "full":
        tests.append(hidden)
    checker = ScriptChecker(tests, prefix=problem.prefix, suffix=problem.suffix) if tests else None
    return RecordTask(record["task_id"], problem, checker, module[: span.start], module[span.end :], hidden)


def judge(tasks: Sequence[RecordTask], codes: Sequence[str], *, timeout: float = 10.0) -> list[bool]:
    """Hidden-test verdict for each (task, final code) pair, in one sandbox batch."""
    return passes([(t.module(c), t.hidden_test) for t, c in zip(tasks, codes)], timeout=timeout)
