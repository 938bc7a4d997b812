"""HumanEval-format records as repair/complete tasks, judged by the record's hidden ``check``.

``record_task`` turns a record into a Problem (the entry-point function of ``prompt + body``)
and a Checker fed only with *public* evidence by default: the docstring's examples (doctest or
informal, ``docstring_tests.py``). With
``feedback="full"`` the loop also runs the record's tests (the HumanEvalFix setting, where
results are "plausible" fixes). ``infill_task`` does the same for a HumanEval-Infilling record
(the editable region is the gap between ``prompt`` and ``suffix``); ``eval_task`` picks one by
mode. ``judge`` runs the hidden ``check`` in the sandbox.

This module knows records, problems and checkers; it does not know models or CLIs.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal, Sequence

from coderemask.checkers import ScriptChecker
from coderemask.docstring_tests import example_tests
from coderemask.errors import ConfigError
from coderemask.problem import Checker, Problem
from coderemask.signals.execution import passes
from coderemask.source import find_function
from coderemask.tasks import problem_from_target
from coderemask.types import Span

Feedback = Literal["public", "full"]
Mode = Literal["complete", "repair"]
MODES: tuple[str, ...] = ("complete", "repair")
FEEDBACK: tuple[str, ...] = ("public", "full")


@dataclass(frozen=True)
class RecordTask:
    """One record ready to run: the problem, its checker, and how to rebuild the module."""

    task_id: str
    problem: Problem
    checker: Checker | None
    module_prefix: str
    module_suffix: str
    hidden_test: str

    def place(self, code: str) -> str:
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
    tests: list[str] = example_tests(target.docstring, record["entry_point"])
    if feedback == "full":
        tests += split_check(record["test"], record["entry_point"])
    original = problem.code if body.strip() else None  # a repair's limits come from the buggy code's run
    checker = ScriptChecker(tests, prefix=problem.prefix, suffix=problem.suffix, original=original) if tests else None
    return RecordTask(record["task_id"], problem, checker, module[: span.start], module[span.end :], hidden)


def infill_task(record: dict, *, placeholder: str = "pass") -> RecordTask:
    """A task whose editable region is the gap between ``prompt`` and ``suffix``.

    The function runs from the entry point's ``def`` line in ``prompt`` to the end of ``suffix``;
    the gap holds ``placeholder`` (indented like the suffix's first line) until the model writes it.
    Public tests: the examples (doctest or informal) in ``prompt``.
    """
    prompt, suffix, entry = record["prompt"], record.get("suffix", ""), record["entry_point"]
    found = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(entry)}[ \t]*\(", prompt, re.MULTILINE)
    if found is None:
        raise ConfigError(f"{record['task_id']}: field 'prompt' does not define the entry point {entry!r}")
    indent = suffix[: len(suffix) - len(suffix.lstrip(" \t"))] if suffix.strip() else "    "
    gap = f"{indent}{placeholder}\n"
    start = found.start()
    code = prompt[start:] + gap + suffix
    region = Span(len(prompt) - start, len(prompt) - start + len(gap) - 1)  # the line break stays
    problem = Problem(code=code, region=region, prefix=prompt[:start], suffix="", name=entry)
    tests = example_tests(prompt, entry)
    checker = ScriptChecker(tests, prefix=problem.prefix) if tests else None
    hidden = f"{record['test']}\n\ncheck({entry})\n"
    return RecordTask(record["task_id"], problem, checker, prompt[:start], "", hidden)


def eval_task(record: dict, mode: Mode, feedback: Feedback = "public") -> RecordTask:
    """The task an evaluation runs for ``record``: repair its ``buggy_solution``, infill the gap
    before its ``suffix``, or complete its body; ConfigError for a combination that cannot be."""
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r}: must be one of {', '.join(MODES)}")
    if feedback not in FEEDBACK:
        raise ConfigError(f"feedback {feedback!r}: must be one of {', '.join(FEEDBACK)}")
    if mode == "repair":
        if "buggy_solution" not in record:
            raise ConfigError(f"{record['task_id']}: --mode repair needs the field 'buggy_solution'")
        return record_task(record, body=record["buggy_solution"], feedback=feedback)
    if feedback != "public":
        raise ConfigError("--feedback full is for --mode repair; completion sees only public evidence")
    if "suffix" in record:  # an infilling set (the suffix may be empty: the gap is the last line)
        return infill_task(record)
    return record_task(record, body="", feedback="public")


def judge(tasks: Sequence[RecordTask], codes: Sequence[str], *, timeout: float = 10.0) -> list[bool]:
    """Hidden-test verdict for each (task, final code) pair, in one sandbox batch."""
    return passes([(t.place(c), t.hidden_test) for t, c in zip(tasks, codes)], timeout=timeout)
