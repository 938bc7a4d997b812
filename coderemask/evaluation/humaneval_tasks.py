"""HumanEval-format records as repair/complete tasks, judged by the record's hidden ``check``.

``record_task`` turns a record into a Problem (the entry-point function of ``prompt + body``)
and a Checker fed only with *public* evidence by default: the docstring's examples. With
``feedback="full"`` the loop also runs the record's tests (the HumanEvalFix setting, where
results are "plausible" fixes). ``judge`` runs the hidden ``check`` in the sandbox.

This module knows records, problems and checkers; it does not know models or CLIs.
"""

from __future__ import annotations

import ast
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


def split_check(test: str, entry_point: str) -> list[str]:
    """One test per assertion of ``check(candidate)``, so fault localization sees a spectrum.

    Statements of ``check`` that hold no ``assert`` (setup) are kept in every test, in order; the
    rest of the test module (imports, METADATA) is kept too. Falls back to the whole check.
    """
    whole = [f"{test}\n\ncheck({entry_point})\n"]
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return whole
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None or not check.args.args:
        return whole
    lines = test.splitlines(keepends=True)
    preamble = "".join(lines[: check.lineno - 1 - len(check.decorator_list)])
    after = "".join(lines[check.end_lineno :])

    def text(node: ast.stmt) -> str:
        return "".join(lines[node.lineno - 1 : node.end_lineno])

    def has_assert(node: ast.stmt) -> bool:
        return any(isinstance(n, ast.Assert) for n in ast.walk(node))

    header = "".join(lines[check.lineno - 1 : check.body[0].lineno - 1])
    asserts = [i for i, n in enumerate(check.body) if has_assert(n)]
    if len(asserts) < 2:
        return whole
    tests = []
    for k in asserts:
        body = "".join(text(n) for i, n in enumerate(check.body) if i == k or (i < k and not has_assert(n)))
        tests.append(f"{preamble}{header}{body}{after}\n\ncheck({entry_point})\n")
    return tests


def record_task(record: dict, *, body: str, feedback: Feedback = "public") -> RecordTask:
    """A task over ``prompt + body`` (body: ``canonical_solution``, ``buggy_solution`` or a stub)."""
    module = record["prompt"] + body + record.get("suffix", "")
    target = find_function(module, record["entry_point"])
    problem, span = problem_from_target(target, module)
    hidden = f"{record['test']}\n\ncheck({record['entry_point']})\n"
    tests: list[str] = doctest_tests(target.docstring)
    if feedback == "full":
        tests += split_check(record["test"], record["entry_point"])
    checker = ScriptChecker(tests, prefix=problem.prefix, suffix=problem.suffix) if tests else None
    return RecordTask(record["task_id"], problem, checker, module[: span.start], module[span.end :], hidden)


def judge(tasks: Sequence[RecordTask], codes: Sequence[str], *, timeout: float = 10.0) -> list[bool]:
    """Hidden-test verdict for each (task, final code) pair, in one sandbox batch."""
    return passes([(t.module(c), t.hidden_test) for t, c in zip(tasks, codes)], timeout=timeout)
