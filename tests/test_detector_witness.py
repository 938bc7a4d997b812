"""The detector witness: per-token P(corrupted) -> Evidence where a planted edit is; a model
folder's detector/ loads lazily through load_model; a model without one makes the witness
silent (said once); model-eval prints identifier slots and detector localization."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from coderemask.model import load_model
from coderemask.model.detector import LazyDetector, TokenDetector, detector_of
from coderemask.policy import DETECTOR_WEIGHT
from coderemask.signals import detector as detector_signal
from coderemask.signals.detector import DetectorWitness, detector_evidence
from coderemask.types import Span
from tests.tiny_models import save_tiny_checkpoint, tiny_detector, tiny_tokenizer

# the planted bug: `n < 2` where `n >= 2` was meant; the hand-set detector fires on " <"
CODE = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
PLANTED = CODE.index("<")
OFFSETS = [(0, 6), (6, 8), (8, 9), (9, 10), (10, 15), (20, 25)]


@pytest.mark.parametrize(
    "probs, region, expected",
    [
        ([0.1] * 6, None, []),
        ([0.1, 0.8, 0.6, 0.1, 0.1, 0.1], None, [(6, 9, 0.8)]),  # neighbours merge, the highest wins
        ([0.9, 0.1, 0.1, 0.1, 0.1, 0.3], None, [(0, 6, 0.9), (20, 25, 0.3)]),  # threshold 0.3 is inclusive
        ([0.9, 0.1, 0.1, 0.1, 0.1, 0.4], Span(6, 30), [(20, 25, 0.4)]),  # outside the region: ignored
    ],
)
def test_detector_evidence(probs, region, expected) -> None:
    got = detector_evidence(OFFSETS, probs, region=region, threshold=0.3)
    assert [(e.span.start, e.span.end, round(e.score, 3)) for e in got] == expected
    assert all(e.source == "detector" for e in got)


@pytest.mark.parametrize(
    "probs, region, threshold, expected",
    [
        # the favourite token scores 1, whatever the calibration; others by their share of it
        ([0.01, 0.04, 0.01, 0.01, 0.01, 0.02], None, 0.5, [(6, 8, 1.0), (20, 25, 0.5)]),
        ([0.01, 0.04, 0.01, 0.01, 0.01, 0.02], None, 0.6, [(6, 8, 1.0)]),
        # the share is of the region's highest: a hotter token outside it does not count
        ([0.9, 0.04, 0.01, 0.01, 0.01, 0.02], Span(6, 30), 0.5, [(6, 8, 1.0), (20, 25, 0.5)]),
        ([0.0] * 6, None, 0.5, []),
    ],
)
def test_relative_detector_evidence(probs, region, threshold, expected) -> None:
    got = detector_evidence(OFFSETS, probs, region=region, threshold=threshold, relative=True)
    assert [(e.span.start, e.span.end, round(e.score, 3)) for e in got] == expected
    assert all("changed with probability" in e.message and "of its most suspect token's" in e.message for e in got)


def _hand_set() -> TokenDetector:
    return TokenDetector(tiny_detector("Ġ<"), tiny_tokenizer())


def test_hand_set_detector_accuses_the_planted_token() -> None:
    evidence = DetectorWitness(_hand_set)(CODE, Span(CODE.index("    if"), len(CODE)))
    assert len(evidence) == 1
    e = evidence[0]
    assert e.span.start <= PLANTED < e.span.end and CODE[e.span.start : e.span.end].strip() == "<"
    assert e.score > 0.9 and e.source == "detector"


def test_long_code_is_scored_in_windows() -> None:
    det = _hand_set()
    det.max_length = 8
    offsets, probs = det.score_text(CODE * 3)
    assert len(offsets) == len(probs) == len(tiny_tokenizer()(CODE * 3, add_special_tokens=False)["input_ids"])
    accused = [(CODE * 3)[a:b].strip() for (a, b), p in zip(offsets, probs) if p > 0.5]
    assert accused == ["<"] * 3


def test_witness_without_detector_is_silent_and_says_so_once(caplog) -> None:
    detector_signal._said.clear()
    calls = []

    def load():
        calls.append(1)
        return None

    witness = DetectorWitness(load, name="tiny")
    with caplog.at_level(logging.WARNING, logger="coderemask.detector"):
        assert witness(CODE) == [] and witness(CODE) == []
        assert DetectorWitness(load, name="tiny")(CODE) == []
    assert len(calls) == 2  # each witness asks once
    assert [r.getMessage() for r in caplog.records].count(
        "tiny has no detector/ folder: the detector witness says nothing "
        "(train one with `coderemask train --corrupt-share 0.3 --detector`)"
    ) == 1


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    with_detector = tmp_path_factory.mktemp("with")
    save_tiny_checkpoint(with_detector, tiny_detector("Ġ<"))
    plain = tmp_path_factory.mktemp("plain")
    save_tiny_checkpoint(plain)
    return with_detector, plain


def test_load_model_exposes_a_folders_detector_lazily(folders) -> None:
    with_detector, plain = folders
    model = load_model(with_detector, device="cpu")
    assert isinstance(model.detector, LazyDetector) and "loaded=False" in repr(model.detector)
    evidence = DetectorWitness(lambda: detector_of(model))(CODE)
    assert [CODE[e.span.start : e.span.end].strip() for e in evidence] == ["<"]
    assert load_model(plain, device="cpu").detector is None


def test_repair_loop_hears_the_detector_under_combined_detector_when_tests_fail(folders) -> None:
    from coderemask.problem import Problem, Verdict
    from coderemask.repair import RepairConfig, _Loop, _Scored

    model = load_model(folders[0], device="cpu")
    body = Span(CODE.index("    if"), len(CODE))
    problem = Problem(code=CODE, region=body)
    failing = Verdict(0, 1)
    for policy, verdict, heard in (
        ("tests", failing, False),  # a policy that does not weigh it never asks
        ("combined", failing, True),  # combined weighs it (DETECTOR_WEIGHT)
        ("combined+detector", failing, True),
        ("combined", None, False),  # no tests (complete): no bug is known to be there
        ("combined", Verdict(1, 1), False),
    ):
        loop = _Loop(problem, model, None, RepairConfig(policy=policy, search=None), None)
        plan = loop._plan(_Scored(CODE, True, verdict, 1.0))
        sources = {e.source for s in plan.spans for e in s.evidence} if plan else set()
        assert ("detector" in sources) is heard, (policy, verdict)
        if heard:
            assert any(s.span.start <= PLANTED < s.span.end for s in plan.spans)


def test_model_eval_prints_identifier_slots_and_detector_localization(folders) -> None:
    from coderemask.evaluation.model_quality import evaluate_model

    texts = [CODE * 20, "def add(a, b):\n    total = a + b\n    return total\n" * 30]
    for folder, has_detector in ((folders[0], True), (folders[1], False)):
        model = load_model(folder, device="cpu")
        report = evaluate_model(model, "tiny", windows=2, span_windows=4, probe_windows=5, texts=texts)
        table = report.to_markdown()
        assert "| identifier_slot_top1 |" in table and "| identifier_slot_top5 |" in table
        assert report.counts["identifier_slot_top1"] > 0
        if has_detector:
            assert "| detector_top1 |" in table and "| detector_top3 |" in table
            assert report.counts["detector_top1"] > 0
            assert 0.0 <= report.metrics["detector_top1"] <= report.metrics["detector_top3"] <= 1.0
        else:
            assert "detector_top1" not in report.metrics
            assert "note: detector localization skipped: the model has no detector/ folder" in table


@pytest.mark.parametrize(
    "text, offsets, probs, region, expected",
    [
        # one token per line; the most suspect line first
        ("a = 1\nb = 2\n", [(0, 1), (6, 7)], [0.2, 0.7], None, [(2, 0.7), (1, 0.2)]),
        # a line's worst token speaks for it; a token opening with the line break belongs to the next line
        ("a = 1\nb = 2\n", [(0, 1), (4, 5), (5, 7)], [0.2, 0.6, 0.9], None, [(2, 0.9), (1, 0.6)]),
        # outside the region, or only whitespace: not scored
        ("a = 1\nb = 2\n", [(0, 1), (5, 6), (6, 7)], [0.9, 0.8, 0.1], Span(6, 12), [(2, 0.1)]),
        # ties: the earlier line first
        ("x\ny\n", [(0, 1), (2, 3)], [0.5, 0.5], None, [(1, 0.5), (2, 0.5)]),
    ],
)
def test_line_opinions(text, offsets, probs, region, expected) -> None:
    got = detector_signal.line_opinions(text, offsets, probs, region)
    assert [(o.line, round(o.probability, 3)) for o in got] == expected
    assert all(text[o.token.start : o.token.end].strip() for o in got)


def test_the_witness_scores_a_code_once_for_the_policy_and_the_search() -> None:
    calls = []

    class Counting:
        def score_text(self, text):
            calls.append(text)
            return _hand_set().score_text(text)

    witness = DetectorWitness(Counting)
    assert witness(CODE) and witness.lines(CODE)[0].line == 2  # the `if n < 2:` line
    assert len(calls) == 1
    witness("x = 1\n")
    assert len(calls) == 2


def test_the_search_edits_the_detectors_line_first_when_the_tests_suspect_every_line(folders) -> None:
    """One failing test runs every line alike; under combined the search's first line is the
    detector's (its favourite line gains the policy's detector weight), under tests (no detector)
    the order is the program's alone."""
    from coderemask.problem import Problem, Verdict
    from coderemask.repair import RepairConfig, _Loop, _Scored
    from coderemask.types import Evidence

    model = load_model(folders[0], device="cpu")
    code = "def fib(n):\n    m = n\n    if m < 2:\n        return m\n    return fib(m - 1) + fib(m - 2)\n"
    body = Span(code.index("    m ="), len(code))
    alike = [
        Evidence("tests", Span(code.index(line), code.index(line) + len(line)), 0.8) for line in code.splitlines()[1:]
    ]
    verdict = Verdict(0, 1, tuple(alike))
    for policy, first in (("tests", 2), ("combined", 3)):
        loop = _Loop(Problem(code=code, region=body), model, None, RepairConfig(policy=policy), None)
        loop._search_round(_Scored(code, True, verdict, 1.0))
        queue = loop.queues[code]
        assert max(queue.lines, key=lambda line: (queue.lines[line], -line)) == first, policy
        if policy == "combined":
            assert queue.lines[3] == pytest.approx(0.8 + DETECTOR_WEIGHT)  # the program's 0.8 plus weight x 1
