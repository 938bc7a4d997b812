"""Point edits: sites and same-kind alternatives (data-driven), scoring with an oracle denoiser and
a tiny transformers model (alternatives share masked rows), and point rounds inside the repair
loop (the sandbox and the parser are real)."""

from __future__ import annotations

import pytest
import torch

from fakes import OracleDenoiser
from tiny_models import tiny_modernbert, tiny_tokenizer

from coderemask.checkers import ScriptChecker
from coderemask.model import HFDenoiser
from coderemask.point_edits import PointEditor, alternatives, edit_sites, names_used
from coderemask.repair import Problem, RepairConfig, repair
from coderemask.results import Budget, Solved
from coderemask.sampler import SamplerConfig
from coderemask.types import Span

CODE = "def f(a, b):\n    if not a < b and a not in b and a is not b:\n        return a - 3\n"
BODY = Span(CODE.index("\n") + 1, len(CODE))

SITES = [  # (text of the site, kind, alternatives that must be offered, that must not)
    ("not ", "not", [""], []),
    ("<", "operator", ["<=", ">", "==", "!="], ["+", "and"]),
    ("and", "operator", ["or"], ["&"]),
    ("not in", "operator", ["in"], ["not not in"]),
    ("is not", "operator", ["is"], []),
    ("-", "operator", ["+", "*", "//"], ["<"]),
    ("3", "number", ["2", "4", "0", "1"], ["3"]),
    ("a", "name", ["b", "True", "None"], ["a", "return"]),
]


@pytest.mark.parametrize("text,kind,wanted,unwanted", SITES)
def test_sites_offer_only_same_kind_alternatives(text: str, kind: str, wanted: list[str], unwanted: list[str]) -> None:
    sites = [s for s in edit_sites(CODE, [BODY]) if s.text == text]
    assert sites, f"no site {text!r}"
    site = sites[0]
    assert site.kind == kind and CODE[site.span.start : site.span.end] == text
    offered = alternatives(site, ["a", "b"])
    assert set(wanted) <= set(offered) and not set(unwanted) & set(offered)


def test_sites_stay_inside_the_spans_and_skip_keywords_and_broken_code() -> None:
    line = Span(CODE.index("return"), len(CODE) - 1)
    assert [s.text for s in edit_sites(CODE, [line])] == ["a", "-", "3"]  # not "return"
    assert edit_sites("def f(:\n    return (\n", [Span(0, 20)]) == []


def test_the_model_ranks_the_edit_it_believes_in_first() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    buggy = "def f(a, b):\n    return a * b\n"
    editor = PointEditor(OracleDenoiser(solution), batch_rows=4)
    edits = editor.rank(buggy, [Span(buggy.index("return"), len(buggy) - 1)], limit=3)
    assert edits[0].code == solution and edits[0].score > 0
    # sites a, *, b: 5 + 6 + 5 alternatives and 3 originals = 19 texts, which need 8 masked rows
    # (one per site and length: a and b: 1, 4 (True, None) and 5 (False) characters; *: 1 and 2),
    # in batches of 4
    assert len(edits) == 3 and editor.rows == 8 and editor.nfe == 2


def test_a_point_round_fixes_a_single_token_bug_with_one_forward_pass_budget() -> None:
    solution = "def f(a, b):\n    return a + b\n"
    buggy = "def f(a, b):\n    return a * b\n"
    problem = Problem(code=buggy, region=Span(13, len(buggy)), name="f")
    checker = ScriptChecker(["assert f(2, 3) == 5", "assert f(0, 0) == 0"])
    config = RepairConfig(sampler=SamplerConfig(temperature=0.0), candidates=2,
                          budget=Budget(max_nfe=64, max_rounds=4, max_seconds=60))
    result = repair(problem, OracleDenoiser(solution), checker, config)
    assert isinstance(result, Solved) and result.code == solution
    assert len(result.rounds) == 1 and result.rounds[0].plan.reason.startswith("point edits")
    assert result.nfe == 1  # the scoring pass; the sandbox judged the edits
    off = repair(problem, OracleDenoiser(solution), checker, RepairConfig(
        sampler=SamplerConfig(temperature=0.0), candidates=2, point_edits=0, budget=config.budget))
    assert all(not r.plan.reason.startswith("point edits") for r in off.rounds)


def test_without_tests_no_point_round_runs() -> None:
    """An edit that merely parses proves nothing, so point rounds need a checker."""
    solution = "def f(a, b):\n    return a + b\n"
    broken = "def f(a, b):\n    return a +* b\n"
    result = repair(Problem(code=broken, region=Span(13, len(broken)), name="f"), OracleDenoiser(solution), None,
                    RepairConfig(sampler=SamplerConfig(temperature=0.0), candidates=2))
    assert isinstance(result, Solved) and result.code == solution
    assert not any(r.plan.reason.startswith("point edits") for r in result.rounds)


@pytest.mark.parametrize("line,site,swapped", [
    ("x = range(n - 1, 2)", "n - 1, 2", ["2, n - 1"]),
    ("z = ''.join(list(map(ns, str)))", "ns, str", ["str, ns"]),
    ("w = f(a, (b, c), d)", "a, (b, c), d", ["(b, c), a, d", "a, d, (b, c)", "d, (b, c), a"]),
    ("v = g(a, b=1)", None, []),
    ("u = g(*args, b)", None, []),
    ("t = [a, b]", None, []),
])
def test_call_arguments_may_be_swapped(line: str, site: str | None, swapped: list[str]) -> None:
    code = f"def f(a, b):\n    {line}\n"
    sites = [s for s in edit_sites(code, [Span(13, len(code))]) if s.kind == "arguments"]
    assert [s.text for s in sites] == ([site] if site else [])
    if site:
        assert sorted(alternatives(sites[0], [])) == sorted(swapped)


@pytest.mark.parametrize("code,site,rows,texts", [
    # (code, the one site scored, masked rows needed, texts scored: the original + alternatives);
    # the oracle is character-level, so an alternative's length says how many tokens it has
    ("def f(a, b):\n    return a * b\n", "*", 2, 7),  # + - / % share the row of *; // ** one more
    ("def f(a, b):\n    return a < b\n", "<", 2, 6),  # > shares the row of <; == != <= >= one more
    ("def f(a, b):\n    return a + 3\n", "3", 1, 5),  # 2 4 0 1: every alternative in one row
    ("def f(a, b, c, d, e, g):\n    return a\n", "a", 3, 10),  # f b c d e g | True None | False
])
def test_alternatives_of_a_length_share_one_masked_row(code: str, site: str, rows: int, texts: int) -> None:
    start = code.rindex(site)
    (only,) = [s for s in edit_sites(code, [Span(start, start + len(site))]) if s.text == site]
    assert len(alternatives(only, names_used(code))) + 1 == texts
    editor = PointEditor(OracleDenoiser(code), batch_rows=32)
    edits = editor.rank(code, [only.span])
    assert len(edits) == texts - 1
    assert editor.rows == rows and editor.nfe == 1


def _one_row_per_text(model: HFDenoiser, prefix: list[int], code: str, site, text: str) -> float:
    """The old scoring: the edited text in a row of its own, the tokens over the site masked."""
    edited = code[: site.span.start] + text + code[site.span.end :]
    enc = model.encode(edited)
    at = [len(prefix) + i for i, (a, b) in enumerate(enc.offsets)
          if a < site.span.start + max(len(text), 1) and b > site.span.start]
    ids = prefix + list(enc.ids)
    row = torch.tensor([[model.mask_token_id if i in at else t for i, t in enumerate(ids)]])
    logp = model.logits(row)[0].log_softmax(-1)
    return float(sum(logp[p, ids[p]] for p in at))


def test_shared_rows_score_as_one_row_per_alternative_did() -> None:
    model = HFDenoiser(tiny_modernbert(seed=3), tiny_tokenizer(), "masked_lm")
    code = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
    prefix = list(model.encode("import os\n\n").ids)
    body = Span(code.index("\n") + 1, len(code))
    editor = PointEditor(model, prefix, batch_rows=8)
    edits = editor.rank(code, [body])
    sites = edit_sites(code, [body])
    texts = sum(1 + len(alternatives(s, names_used(code))) for s in sites)
    assert len(edits) == texts - len(sites)
    assert editor.rows < texts  # this tokenizer splits many alternatives; the one-token ones share
    for e in edits:
        old = (_one_row_per_text(model, prefix, code, e.site, e.text)
               - _one_row_per_text(model, prefix, code, e.site, e.site.text))
        assert e.score == pytest.approx(old, abs=1e-4), (e.site, e.text)
