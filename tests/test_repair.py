"""The repair loop with an oracle denoiser (the model is fake; parser, sandbox and checks are real)."""

from __future__ import annotations

import json

import pytest

from fakes import OracleDenoiser

from coderemask.checkers import ScriptChecker
from coderemask.docstring_tests import doctest_tests
from coderemask.errors import ConfigError
from coderemask.repair import Problem, RepairConfig, Verdict, complete, repair, with_budget
from coderemask.results import Budget, GaveUp, Solved, to_dict, to_json
from coderemask.sampler import SamplerConfig
from coderemask.types import Span

GREEDY = SamplerConfig(unmask="confidence", temperature=0.0)


def problem(code: str) -> Problem:
    body = code.index("\n") + 1
    return Problem(code=code, region=Span(body, len(code)), name="f")


def config(**kw) -> RepairConfig:
    kw.setdefault("candidates", 2)
    return RepairConfig(sampler=GREEDY, **kw)


class CountingChecker:
    """A real ScriptChecker that also counts how often each code was checked."""

    def __init__(self, tests: list[str]) -> None:
        self.inner = ScriptChecker(tests)
        self.seen: dict[str, int] = {}

    def check(self, codes):
        for c in codes:
            self.seen[c] = self.seen.get(c, 0) + 1
        return self.inner.check(codes)


def test_a_syntax_error_is_repaired_where_the_parser_points() -> None:
    solution = "def f(a, b):\n    c = a * 2\n    return c + b\n"
    broken = "def f(a, b):\n    c = a * 2\n    return c +* b\n"
    result = repair(problem(broken), OracleDenoiser(solution), None, config())
    assert isinstance(result, Solved), result
    assert result.code == solution
    first = result.rounds[0]
    assert {e.source for s in first.plan.spans for e in s.evidence} == {"syntax"}
    assert not first.plan.whole  # the parser localized it: not the whole body
    assert "c = a * 2" not in "".join(broken[s.span.start : s.span.end] for s in first.plan.spans)


def test_a_failing_test_is_fixed_and_checked_in_the_sandbox() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    buggy = "def f(a, b):\n    return a - b\n"
    checker = CountingChecker(["assert f(2, 3) == 5", "assert f(0, 0) == 0"])
    result = repair(problem(buggy), OracleDenoiser(solution), checker, config())
    assert isinstance(result, Solved)
    assert result.code == solution and (result.passed, result.total) == (2, 2)
    assert all(n == 1 for n in checker.seen.values())  # no code was tested twice
    data = json.loads(to_json(result))
    assert data["schema"] == 1 and data["status"] == "solved" and data["rounds"]


def test_budget_is_enforced_and_the_result_says_why() -> None:
    buggy = "def f(a, b):\n    return a - b\n"
    oracle = OracleDenoiser("def f(a, b):\n    return (a + b) * (a - b) + a * b - 7 * a + 11\n" * 3)
    checker = ScriptChecker(["assert f(2, 3) == 5"])
    cfg = config(budget=Budget(max_nfe=40, max_rounds=50, max_seconds=60), point_edits=0)  # a point edit fixes it
    result = repair(problem(buggy), oracle, checker, cfg)
    assert isinstance(result, GaveUp)
    assert result.nfe <= 40 and oracle.nfe <= 40
    assert "NFE" in result.reason
    rounds = repair(problem(buggy), oracle, checker, with_budget(cfg, max_nfe=10_000, max_rounds=2))
    assert isinstance(rounds, GaveUp) and len(rounds.rounds) == 2 and "rounds" in rounds.reason


def test_a_stub_is_completed_from_its_docstring_examples() -> None:
    stub = 'def double(x):\n    """Twice x.\n\n    >>> double(4)\n    8\n    """\n    pass\n'
    solution = stub.replace("    pass\n", "    return 2 * x\n")
    examples = doctest_tests('Twice x.\n\n>>> double(4)\n8\n')
    assert len(examples) == 1
    region_start = stub.index("    pass")
    p = Problem(code=stub, region=Span(region_start, len(stub)), name="double")
    result = complete(p, OracleDenoiser(solution), ScriptChecker(examples), config(complete_slots=24))
    assert isinstance(result, Solved) and result.code == solution
    assert result.rounds[0].plan.whole


def test_without_tests_it_stops_when_the_code_parses_and_confidence_settles() -> None:
    solution = "def f(x):\n    return x\n"
    result = repair(problem("def f(x):\n    return x)\n"), OracleDenoiser(solution), None, config())
    assert isinstance(result, Solved) and result.code == solution
    assert "confidence" in result.note or "parses" in result.note


def test_already_passing_code_costs_nothing() -> None:
    code = "def f(a, b):\n    return a + b\n"
    result = repair(problem(code), OracleDenoiser(code), ScriptChecker(["assert f(1, 1) == 2"]), config())
    assert isinstance(result, Solved) and result.nfe == 0 and not result.rounds


@pytest.mark.parametrize("bad", [dict(candidates=0), dict(complete_slots=0)])
def test_bad_config_names_the_field(bad) -> None:
    with pytest.raises(ConfigError, match=next(iter(bad))):
        RepairConfig(**bad)


def test_empty_region_is_rejected() -> None:
    with pytest.raises(ConfigError, match="empty"):
        Problem(code="def f(): pass\n", region=Span(3, 3))


def test_verdict_ok_needs_tests() -> None:
    assert Verdict(2, 2).ok and not Verdict(0, 0).ok and not Verdict(1, 2).ok


def test_result_dict_carries_rounds_spans_and_evidence() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    result = repair(problem("def f(a, b):\n    return a +* b\n"), OracleDenoiser(solution), None, config())
    d = to_dict(result)
    span = d["rounds"][0]["spans"][0]
    assert {"start", "end", "slots", "score", "evidence"} <= set(span)
    assert span["evidence"][0]["source"] == "syntax"
    assert d["nfe"] == sum(r["nfe"] for r in d["rounds"])


def test_complete_is_not_solved_by_a_body_that_is_still_a_stub() -> None:
    stub = 'def f(a, b):\n    """Add a and b."""\n    pass\n'
    body = stub.index("    pass")
    prob = Problem(code=stub, region=Span(body, len(stub) - 1), name="f")
    result = complete(prob, OracleDenoiser(stub), None, config(budget=Budget(max_rounds=3)))
    assert not isinstance(result, Solved), result  # the oracle keeps writing `pass`
    assert all(r.plan.whole for r in result.rounds)  # each round writes the whole body again
    solved = complete(prob, OracleDenoiser(stub.replace("pass", "return a + b")), None, config())
    assert isinstance(solved, Solved) and "return a + b" in solved.code
