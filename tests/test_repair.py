"""The repair loop with an oracle denoiser (the model is fake; parser, sandbox and checks are real)."""

from __future__ import annotations

import json

import pytest
from fakes import OracleDenoiser

from coderemask.checkers import ScriptChecker
from coderemask.docstring_tests import doctest_tests
from coderemask.errors import ConfigError
from coderemask.model.base import fit_context
from coderemask.repair import Problem, RepairConfig, Verdict, complete, repair, with_budget
from coderemask.results import Budget, GaveUp, Solved, cost_text, to_dict, to_json
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
    assert data["schema"] == "coderemask.result/1" and data["status"] == "solved" and data["rounds"]


def test_budget_is_enforced_and_the_result_says_why() -> None:
    buggy = "def f(a, b):\n    return a - b\n"
    oracle = OracleDenoiser("def f(a, b):\n    return (a + b) * (a - b) + a * b - 7 * a + 11\n" * 3)
    checker = ScriptChecker(["assert f(2, 3) == 5"])
    cfg = config(budget=Budget(max_nfe=40, max_rounds=50, max_seconds=60), search=None)  # an edit fixes it
    result = repair(problem(buggy), oracle, checker, cfg)
    assert isinstance(result, GaveUp)
    assert result.nfe <= 40 and oracle.nfe <= 40
    assert "NFE" in result.reason
    rounds = repair(problem(buggy), oracle, checker, with_budget(cfg, max_nfe=10_000, max_rounds=2))
    assert isinstance(rounds, GaveUp) and len(rounds.rounds) == 2 and "rounds" in rounds.reason


def test_a_candidates_budget_stops_the_search_and_the_rewrites() -> None:
    buggy = "def f(a, b):\n    return a - b\n"  # no edit or rewrite makes f(2, 3) == 36
    oracle = OracleDenoiser("def f(a, b):\n    return a * b\n")
    checker = CountingChecker(["assert f(2, 3) == 36"])
    result = repair(problem(buggy), oracle, checker, config(budget=Budget(max_candidates=7, max_seconds=60)))
    assert isinstance(result, GaveUp) and result.reason == "max candidates (7) checked"
    checked = sum(len(r.attempts) for r in result.rounds)
    assert 7 <= checked < 7 + 2  # a round is not cut: at most one round's candidates (2) past the cap
    assert result.search is not None and result.search.tested >= 1  # the search's batches count too
    with pytest.raises(ConfigError, match="max_candidates"):
        Budget(max_candidates=0)


def test_a_stub_is_completed_from_its_docstring_examples() -> None:
    stub = 'def double(x):\n    """Twice x.\n\n    >>> double(4)\n    8\n    """\n    pass\n'
    solution = stub.replace("    pass\n", "    return 2 * x\n")
    examples = doctest_tests("Twice x.\n\n>>> double(4)\n8\n")
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
    assert "confidence" in result.reason or "parses" in result.reason


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


@pytest.mark.parametrize(
    "prefix,suffix,body,max_length,kept",
    [
        (10, 4, 5, None, (10, 4)),  # unlimited
        (10, 4, 5, 19, (10, 4)),  # it all fits
        (10, 4, 5, 12, (5, 2)),  # 7 tokens of room, shared 10:4
        (10, 0, 5, 8, (3, 0)),
        (0, 4, 5, 8, (0, 3)),
        (10, 4, 30, 12, (0, 0)),  # a body longer than the window goes whole, alone
    ],
)
def test_context_is_trimmed_to_the_window_keeping_the_nearest(
    prefix: int, suffix: int, body: int, max_length: int | None, kept: tuple[int, int]
) -> None:
    p, s = fit_context(range(prefix), range(100, 100 + suffix), body, max_length)
    assert (len(p), len(s)) == kept
    assert p == tuple(range(prefix - kept[0], prefix)) and s == tuple(range(100, 100 + kept[1]))


class WindowedOracle(OracleDenoiser):
    """An oracle with a training window that records the real length and text of every row sent."""

    def __init__(self, solution: str, max_length: int) -> None:
        super().__init__(solution)
        self.max_length = max_length
        self.sent: list[str] = []

    def logits(self, ids, attention_mask=None):
        lengths = attention_mask.sum(-1).tolist() if attention_mask is not None else [ids.shape[1]] * len(ids)
        for row, n in zip(ids.tolist(), lengths):
            assert n <= self.max_length, f"a row of {n} tokens; the window is {self.max_length}"
            self.sent.append("".join("?" if t == self.mask_token_id else self.decode([t]) for t in row[:n]))
        return super().logits(ids, attention_mask)


def test_the_loop_sends_at_most_the_models_window_with_the_nearest_context() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    prefix, suffix = "".join(f"X{i} = {i}\n" for i in range(40)), "".join(f"Y{i} = {i}\n" for i in range(20))
    model = WindowedOracle(solution, max_length=120)  # 30 characters of code; the prefix alone is 300
    kinds = []
    for buggy, checker in (
        ("def f(a, b):\n    return a * b\n", ScriptChecker(["assert f(2, 3) == 5"])),
        ("def f(a, b):\n    return a +* b\n", None),
    ):
        prob = Problem(code=buggy, region=Span(13, len(buggy)), prefix=prefix, suffix=suffix, name="f")
        result = repair(prob, model, checker, config(budget=Budget(max_rounds=1, max_nfe=8)))
        kinds += [r.plan.reason.startswith("search") for r in result.rounds]
    assert kinds == [True, False]  # a search ranked edits, then a denoising round
    for text in model.sent:
        head, body_and_suffix = text.split("def f(a, b):\n", 1)
        assert prefix.endswith(head) and len(head) >= 30  # the end of the prefix (the ranker keeps 32 tokens)
        assert "Y0 = 0\n" in body_and_suffix  # the suffix's start (the nearest) is always sent
        assert suffix.startswith(body_and_suffix[body_and_suffix.index("Y0 = ") :])


def test_ranking_and_denoising_cost_are_reported_apart() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    checker = ScriptChecker(["assert f(2, 3) == 5", "assert f(0, 0) == 0"])
    point = repair(problem("def f(a, b):\n    return a * b\n"), OracleDenoiser(solution), checker, config())
    (rnd,) = point.rounds  # one search round: ranking edits and writing fills, no denoising round
    n = rnd.nfe
    assert n >= 1 and (rnd.rank_nfe, rnd.denoise_nfe) == (n, 0) and rnd.rank_seconds > 0
    assert rnd.cost_text().startswith(f"NFE {n} (ranking {n} in ")
    d = json.loads(to_json(point))
    assert d["ranking"]["nfe"] == n and d["ranking"]["seconds"] >= 0 and d["denoising"] == {"nfe": 0, "seconds": 0}
    assert {"rank_nfe": n, "denoise_nfe": 0}.items() <= d["rounds"][0].items()
    assert {"rank_seconds", "denoise_seconds"} <= set(d["rounds"][0])

    sampled = repair(problem("def f(a, b):\n    return a +* b\n"), OracleDenoiser(solution), None, config())
    d = to_dict(sampled)
    assert d["ranking"] == {"nfe": 0, "seconds": 0}
    assert d["denoising"]["nfe"] == d["nfe"] > 0 and d["denoising"]["seconds"] > 0
    assert all(r["denoise_nfe"] == r["nfe"] and r["denoise_seconds"] > 0 for r in d["rounds"])
    assert "ranking" not in cost_text(sampled) and f"denoising {d['nfe']} NFE" in cost_text(sampled)
