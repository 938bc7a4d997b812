"""The edit search: the model's scores and fills (an oracle model), static checks, the order of
the queue, line suspicion, and the loop's search rounds (fills, a second edit, the trace)."""

from __future__ import annotations

import json

import pytest
from fakes import OracleDenoiser

from coderemask.checkers import ScriptChecker
from coderemask.edits.families import Edit, EditContext, generate
from coderemask.edits.ranking import EditRanker
from coderemask.edits.scope import ModuleScope
from coderemask.edits.search import EditSearch, SearchConfig, add_opinion, line_suspicion, relative_opinion
from coderemask.problem import Problem
from coderemask.repair import RepairConfig, repair
from coderemask.results import Budget, Solved, to_json
from coderemask.types import Evidence, Span


def _problem(code: str) -> Problem:
    return Problem(code=code, region=Span(code.index("\n") + 1, len(code)), name="f")


def test_the_oracle_ranks_the_right_edit_first_by_log_odds() -> None:
    code, solution = "def f(a, b):\n    return a * b\n", "def f(a, b):\n    return a + b\n"
    ranker = EditRanker(OracleDenoiser(solution))
    edits = generate(EditContext(code, {2: 1.0}))
    concrete = [e for e in edits if not e.holes]
    scores = ranker.score(code, concrete)
    best = max(zip(scores, concrete), key=lambda x: x[0])[1]
    assert best.apply(code) == solution
    one_token = [e for e in concrete if e.family == "operator" and e.start == code.index("*")]
    assert len(one_token) > 3 and ranker.rows < len(concrete)  # a site's one-token alternatives share a row


def test_fills_are_written_by_the_model_and_shorter_fills_use_null() -> None:
    code = "def f(xs):\n    n = 0\n    return n\n"
    solution = "def f(xs):\n    n = 0\n    n = len(xs)\n    return n\n"
    insert = Edit("statement", code.index("    return"), code.index("    return"), ("    ", 16, "\n"), 3, "insert")
    (options,) = EditRanker(OracleDenoiser(solution), samples=2).fill(code, [insert])
    assert options[0].fills == ("n = len(xs)",) and options[0].score > -0.1


def test_static_checks_drop_what_cannot_be_right_and_the_order_spreads_over_sites() -> None:
    code = "def f(a, b):\n    c = a\n    return c + b\n"
    search = EditSearch(
        EditRanker(OracleDenoiser("def f(a, b):\n    c = a\n    return c - b\n")),
        ModuleScope(),
        SearchConfig(fill_lines=0),
    )
    queue = search.queue(code, {3: 1.0})
    batch, _ = queue.next_batch(10_000)
    codes = [c.code for c in batch]
    assert len(codes) == len(set(codes)) and code not in codes
    assert all(compile(c, "<c>", "exec") for c in codes)
    assert [c.rank for c in batch] == list(range(1, len(batch) + 1))
    sites = [(c.edit.family, c.edit.start, c.edit.end) for c in batch]
    first_repeat = next(i for i, s in enumerate(sites) if s in sites[:i])
    assert set(sites[:first_repeat]) == set(sites)  # every site once before any site twice
    assert batch[0].code == "def f(a, b):\n    c = a\n    return c - b\n"


def test_a_fill_that_reads_an_undefined_name_is_dropped_and_a_defined_one_kept() -> None:
    code = "def f(a):\n    return " + "a + " * 10 + "a\n"  # room for the oracle's characters in the holes
    for name, kept in (("nowhere", False), ("LIMIT", True)):
        oracle = OracleDenoiser(f"def f(a):\n    return {name}\n")
        search = EditSearch(EditRanker(oracle), ModuleScope.of("LIMIT = 1\n"), SearchConfig(families=("whole_line",)))
        queue = search.queue(code, {2: 1.0})
        stage = queue.stages[0]
        written = [f.fills for options in search.ranker.fill(code, stage.edits) for f in options]
        assert (f"return {name}",) in written  # the model proposed it
        batch, _ = queue.next_batch(100)
        assert any(name in c.code for c in batch) == kept


def test_line_suspicion_takes_the_strongest_evidence_per_line_and_skips_the_header() -> None:
    code = "def f(a):\n    b = a\n    return b\n"
    evidence = [
        Evidence("tests", Span(0, len(code)), 0.2),
        Evidence("tests", Span(code.index("return"), len(code)), 0.9),
        Evidence("confidence", Span(code.index("b ="), code.index("b =") + 1), 1.0),
    ]
    assert line_suspicion(code, evidence) == {3: 0.9, 2: 0.2}  # no block: no header inherits
    assert line_suspicion(code, evidence, top=1) == {3: 0.9}


@pytest.mark.parametrize(
    "opinion, weight, expected",
    [
        ({2: 1.0, 3: 0.5}, 0.0, {2: 0.8, 3: 0.8}),  # weight 0: the program's evidence alone
        ({2: 1.0, 3: 0.5}, 0.5, {2: 1.3, 3: 1.05}),  # the opinion orders the lines the tests suspect alike
        ({4: 1.0}, 0.5, {2: 0.8, 3: 0.8}),  # but never adds a line they do not accuse
    ],
)
def test_the_detectors_weighted_opinion_orders_the_accused_lines(opinion, weight, expected) -> None:
    code = "def f(a):\n    b = a\n    c = b\n    return c\n"
    evidence = [
        Evidence("tests", Span(code.index("b ="), code.index("c =") + 5), 0.8),
        Evidence("detector", Span(code.index("return"), len(code)), 1.0),  # the witness's spans do not count here
    ]
    lines = line_suspicion(code, evidence)
    assert lines == pytest.approx({2: 0.8, 3: 0.8})
    assert add_opinion(lines, opinion, weight) == pytest.approx(expected)


def test_the_cut_of_accused_lines_keeps_the_earlier_line_of_a_tie() -> None:
    code = "def f(a):\n    b = a\n    c = b\n    d = c\n    return d\n"
    evidence = [Evidence("tests", Span(code.index("b ="), len(code)), 0.5)]
    assert line_suspicion(code, evidence, top=2) == {2: 0.5, 3: 0.5}


def test_relative_opinion_gives_the_detectors_favourite_line_one() -> None:
    from coderemask.signals.detector import LineOpinion

    ops = [LineOpinion(3, 0.02, Span(0, 1)), LineOpinion(2, 0.08, Span(0, 1))]
    assert relative_opinion(ops) == pytest.approx({2: 1.0, 3: 0.25})
    assert relative_opinion([]) == {}


def test_a_missing_statement_is_inserted_by_a_fill_and_the_trace_names_the_edit() -> None:
    buggy = "def f(xs):\n    n = 0\n    return n\n"
    solution = "def f(xs):\n    n = 0\n    n += 7\n    return n\n"  # no concrete edit reaches 7
    checker = ScriptChecker(["assert f([1, 2]) == 7", "assert f([]) == 7"])
    result = repair(_problem(buggy), OracleDenoiser(solution), checker, RepairConfig(budget=Budget(max_seconds=60)))
    assert isinstance(result, Solved) and result.code == solution
    assert result.search is not None and result.search.winning_edit.startswith(("statement", "whole_line"))
    d = json.loads(to_json(result))
    assert d["search"]["winning_rank"] == result.search.winning_rank and d["search"]["tested"] >= 1
    tried = [a for r in d["rounds"] for a in r["attempts"] if "edit" in a]
    assert tried and all({"edit", "rank", "score"} <= set(a) for a in tried)


def test_two_edits_one_after_the_other_when_the_first_makes_more_tests_pass() -> None:
    buggy = "def f(a, b):\n    x = a * 2\n    return x - b\n"
    solution = "def f(a, b):\n    x = a + 2\n    return x + b\n"
    checker = ScriptChecker(
        ["assert f(0, 0) == 2", "assert f(1, 1) == 4", "assert f(0, 1) == 3", "assert f(3, 0) == 5"]
    )
    result = repair(_problem(buggy), OracleDenoiser(solution), checker, RepairConfig(budget=Budget(max_seconds=120)))
    assert isinstance(result, Solved) and result.code == solution
    assert result.search.searches >= 2


def test_a_branch_header_inherits_most_of_its_blocks_suspicion() -> None:
    code = "def f(a):\n    if a > 0:\n        a = 1\n    return a\n"
    evidence = [Evidence("tests", Span(code.index("a = 1"), code.index("a = 1") + 5), 1.0)]
    assert line_suspicion(code, evidence) == {3: 1.0, 2: 0.9}


def test_the_queue_ranks_stage_by_stage_and_skips_a_stage_that_does_not_fit_the_time_left() -> None:
    code = "def f(a, b):\n    c = a\n    d = b\n    e = c + d\n    return e\n"
    search = EditSearch(EditRanker(OracleDenoiser(code)), ModuleScope(), SearchConfig(first_lines=1, fill_lines=1))
    queue = search.queue(code, {5: 1.0, 4: 0.8, 3: 0.5})
    assert [st.kind for st in queue.stages] == ["concrete", "fill", "concrete"] and queue.counts.ranked == 0
    batch, added = queue.next_batch(4)
    assert batch and {c.edit.line for c in batch} == {5} and added.ranked > 0 and len(queue.stages) == 2
    assert queue.counts.generated > added.ranked  # the other stages are not ranked yet
    starved = search.queue(code, {5: 1.0, 4: 0.8, 3: 0.5})
    batch, added = starved.next_batch(4, seconds_left=1e-6)
    assert batch == [] and starved.skipped > 0 and not starved


def test_when_the_original_hangs_the_first_batch_is_cut_to_the_seconds_it_took() -> None:
    """Before any candidate is timed, the original's check is the estimate of a candidate's cost:
    an original that hangs (2 s of a 4 s budget) makes a first batch of one, not 32 candidates."""
    buggy = "def f(n):\n    i = 0\n    while i < n:\n        i -= 1\n    return i\n"
    solution = "def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
    checker = ScriptChecker(["assert f(3) == 3", "assert f(0) == 0"], timeout=2.0, original=buggy)
    result = repair(_problem(buggy), OracleDenoiser(solution), checker, RepairConfig(budget=Budget(max_seconds=4)))
    searched = [r for r in result.rounds if r.plan.reason.startswith("search:")]
    assert searched and len(searched[0].attempts) == 1, [len(r.attempts) for r in searched]
