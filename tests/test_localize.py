"""Fault localization on hand-built test runs: the formulas' math, the witnesses (tracebacks,
def-use, assertion messages), the Evidence spans, and the runs that blame nothing (as values)."""

from __future__ import annotations

import math

import pytest

from coderemask.errors import ConfigError
from coderemask.signals.localize import (
    FORMULAS,
    DStar,
    Spectrum,
    Weights,
    fault_evidence,
    get_formula,
    localize,
)
from coderemask.signals.tests import Frame, TestOutcome, TestRun

MEAN = """\
def mean(xs):
    total = 0
    count = 0
    for x in xs:
        total += x
    return total / count
"""
MEAN_FIRST = 10  # the text starts on line 10 of its file: lines 10-15


def passed(name: str, lines: set[int]) -> TestOutcome:
    return TestOutcome(f"tests/test_m.py::{name}", "passed", covered_lines=frozenset(lines))


def failed(
    name: str, lines: set[int], exc: str = "AssertionError", message: str = "", raised_at: int | None = None
) -> TestOutcome:
    frames = [Frame("tests/test_m.py", 3, name, False)]
    if raised_at is not None:
        frames.append(Frame("m.py", raised_at, "f", True))
    return TestOutcome(f"tests/test_m.py::{name}", "failed", exc, message, tuple(frames), frozenset(lines))


def ok_run(*tests: TestOutcome) -> TestRun:
    return TestRun("ok", tests, target_file="m.py")


# ----------------------------------------------------------------------------- formulas

HAND = [  # (spectrum, ochiai, tarantula, dstar), computed by hand
    (Spectrum(ef=2, ep=1, nf=1, np=3), 2 / 3, (2 / 3) / (2 / 3 + 1 / 4), 4 / 2),
    (Spectrum(ef=1, ep=4, nf=2, np=0), 1 / math.sqrt(3 * 5), (1 / 3) / (1 / 3 + 1), 1 / 6),
    (Spectrum(ef=3, ep=0, nf=0, np=4), 1.0, 1.0, math.inf),
    (Spectrum(ef=0, ep=2, nf=3, np=2), 0.0, 0.0, 0.0),
    (Spectrum(ef=1, ep=0, nf=0, np=0), 1.0, 1.0, math.inf),  # no passing test at all
]


@pytest.mark.parametrize(("spectrum", "ochiai", "tarantula", "dstar"), HAND)
def test_formulas_match_the_hand_computed_values(
    spectrum: Spectrum, ochiai: float, tarantula: float, dstar: float
) -> None:
    assert FORMULAS["ochiai"].score(spectrum) == pytest.approx(ochiai)
    assert FORMULAS["tarantula"].score(spectrum) == pytest.approx(tarantula)
    assert FORMULAS["dstar"].score(spectrum) == pytest.approx(dstar)


def test_dstar_star_and_bounding() -> None:
    assert DStar(star=3).score(Spectrum(2, 1, 1, 0)) == pytest.approx(8 / 2)
    bounded = FORMULAS["dstar"].bounded
    assert bounded(math.inf) == 1.0 and bounded(2.0) == pytest.approx(2 / 3) and bounded(0.0) == 0.0
    assert FORMULAS["ochiai"].bounded(0.4) == 0.4


def test_formula_registry_and_weights_validation() -> None:
    assert list(FORMULAS) == ["ochiai", "tarantula", "dstar"]
    assert get_formula("Ochiai") is FORMULAS["ochiai"] and get_formula(FORMULAS["dstar"]) is FORMULAS["dstar"]
    with pytest.raises(ConfigError, match="ochiai, tarantula, dstar"):
        get_formula("jaccard")
    with pytest.raises(ConfigError, match="raise_line"):
        Weights(raise_line=-1)
    assert set(Weights().as_dict()) == {"spectrum", "raise_line", "output_line", "def_use", "literal"}


def test_spectrum_counts_only_tests_that_ran_the_function() -> None:
    # line 11-15 of MEAN; the last test never runs the function, the skipped one never counts
    run = ok_run(
        failed("a", {11, 12, 13, 14, 15}),
        failed("b", {11, 12, 13, 15}),
        passed("c", {11, 12, 13, 14, 15}),
        passed("d", {11, 12, 13, 15}),
        passed("e", {11, 12, 13, 15}),
        passed("elsewhere", {3, 4}),
        TestOutcome("tests/test_m.py::s", "skipped", covered_lines=frozenset({14})),
    )
    loc = localize(run, MEAN_FIRST, MEAN, weights=Weights(1, 0, 0, 0, 0))
    by_line = {s.line: s for s in loc.lines}
    assert by_line[14].spectrum == Spectrum(ef=1, ep=1, nf=1, np=2)
    assert by_line[15].spectrum == Spectrum(ef=2, ep=3, nf=0, np=0)
    assert by_line[14].raw == pytest.approx(1 / math.sqrt(2 * 2))
    assert [t.nodeid.rpartition("::")[2] for t in loc.tests] == ["a", "b", "c", "d", "e"]
    assert by_line[10].score == 0.0 and by_line[10].raw == 0.0  # the def line is never "run"


# ----------------------------------------------------------------------------- witnesses


def test_traceback_line_first_then_the_definitions_it_uses() -> None:
    run = ok_run(
        failed("empty", {11, 12, 13, 15}, "ZeroDivisionError", "division by zero", raised_at=15),
        failed("one", {11, 12, 13, 14, 15}, "ZeroDivisionError", "division by zero", raised_at=15),
    )
    loc = localize(run, MEAN_FIRST, MEAN)
    assert loc.status == "ok" and loc.reason == ""
    ranked = loc.ranked
    assert ranked[0].line == 15 and ranked[0].score == 1.0 and loc.rank(15) == 1
    assert "failing line of empty, one (ZeroDivisionError: division by zero)" in ranked[0].message
    by_line = {s.line: s for s in loc.lines}
    # total (11, 14) and count (12) are used on line 15; x (for, 13) is not
    assert {line for line, s in by_line.items() if s.parts["def_use"] > 0} == {11, 12, 14}
    assert "defines count, used on the raise line 15" in by_line[12].message
    assert by_line[12].score > by_line[13].score
    assert all(0.0 <= s.score <= 1.0 for s in loc.lines)


PICK = """\
def pick(kind):
    if kind == "a":
        return 1
    elif kind == "b":
        return 2
    return -1
"""


@pytest.mark.parametrize(
    "message",
    [
        "assert -1 == 7\n +  where -1 = pick('c')",
        "assert 7 == -1\n +  where -1 = pick('c')",  # the expected value written first
    ],
)
def test_failed_assertion_blames_the_return_it_came_from(message: str) -> None:
    run = ok_run(failed("c", {2, 4, 6}, message=message), passed("a", {2, 3}), passed("b", {2, 4, 5}))
    loc = localize(run, 1, PICK)
    top = loc.ranked[0]
    assert top.line == 6 and top.code == "return -1"
    assert top.parts["output_line"] == 1.0 and top.parts["literal"] == 1.0
    assert "returned the value that c rejected (assert" in top.message
    assert "holds the value that c got" in top.message
    assert {s.line: s.parts["literal"] for s in loc.lines}[3] == 0.0  # 1 != -1


def test_literal_needs_the_line_to_run_and_no_return_means_no_output_line() -> None:
    text = "def f(xs):\n    xs.append(3)\n    if not xs:\n        xs.append(3)\n"
    run = ok_run(failed("t", {2, 3}, message="assert 3 == 4\n +  where 3 = len([1, 2, 3])"), passed("u", {2, 3}))
    loc = localize(run, 1, text)
    by_line = {s.line: s for s in loc.lines}
    assert by_line[2].parts["literal"] == 1.0 and by_line[4].parts["literal"] == 0.0
    assert all(s.parts["output_line"] == 0.0 for s in loc.lines)


METHOD = '''\
    @staticmethod
    def area(
        width,
        height,
    ):
        """Area, with a docstring of 3 lines
        that is never run."""
        size = width * height
        return size / 0
'''


def test_methods_with_decorators_and_multiline_signatures_map_to_file_lines() -> None:
    run = ok_run(failed("t", {28, 29}, "ZeroDivisionError", "division by zero", raised_at=29), passed("u", {28}))
    loc = localize(run, 21, METHOD)
    by_line = {s.line: s for s in loc.lines}
    assert loc.ranked[0].line == 29
    assert by_line[28].parts["def_use"] == 1.0  # size
    assert by_line[23].parts["def_use"] == 0.0 and by_line[28].parts["literal"] == 0.0
    assert "defines size, used on the raise line 29" in by_line[28].message
    # parameters are defined on their own lines: used by line 28, not the failure point
    assert by_line[23].score == by_line[24].score == 0.0


def test_text_that_does_not_parse_still_gets_spectrum_and_traceback_scores() -> None:
    broken = MEAN.replace("for x in xs:", "for x in xs")
    run = ok_run(failed("t", {11, 12, 13, 15}, "ZeroDivisionError", "boom", raised_at=15), passed("u", {11, 12}))
    loc = localize(run, MEAN_FIRST, broken)
    assert loc.ranked[0].line == 15
    assert all(s.parts["def_use"] == 0.0 for s in loc.lines)


def test_evidence_spans_are_lines_of_the_candidate_text_without_indentation() -> None:
    candidate = MEAN.replace("    count = 0\n", "    count = 0\n\n    # a comment\n")  # two lines longer
    run = ok_run(
        failed("t", {11, 12, 15, 17}, "ZeroDivisionError", "division by zero", raised_at=17),
        passed("u", {11, 12, 15}),
        failed("outside", {18, 40}, raised_at=40),
    )
    evidence = fault_evidence(run, MEAN_FIRST, candidate)
    assert [candidate[e.span.start : e.span.end] for e in evidence] == [
        "total = 0",
        "count = 0",
        "for x in xs:",
        "total += x",
        "return total / count",
    ]
    assert {e.source for e in evidence} == {"tests"}
    top = max(evidence, key=lambda e: e.score)
    assert top.score == 1.0 and candidate[top.span.start : top.span.end] == "return total / count"
    assert top.message.startswith("ochiai ")


def test_target_object_gives_the_text_and_first_line() -> None:
    from coderemask.source import find_function

    file_text = "import os\n\n\n" + MEAN
    target = find_function(file_text, "mean")
    run = ok_run(failed("t", {5, 9}, "ZeroDivisionError", "x", raised_at=9), passed("u", {5}))
    loc = localize(run, target, formula="tarantula")
    assert loc.first_line == 4 and loc.formula == "tarantula" and loc.ranked[0].code == "return total / count"
    with pytest.raises(TypeError):
        localize(run, 4)


# ----------------------------------------------------------------------------- nothing to blame

EMPTY_CASES = [
    (TestRun("error", (), message="ERROR: not found: tests/test_m.py::nope"), "no_tests", "not found"),
    (
        TestRun("collection_error", (), message="1 collection error(s): tests/test_m.py: ImportError"),
        "no_tests",
        "ImportError",
    ),
    (ok_run(passed("a", {11, 15}), passed("b", {11})), "no_failures", "the 2 test(s) that run the function pass"),
    (ok_run(failed("import", set()), passed("b", {11})), "not_covered", "none of them ran the function"),
    (ok_run(passed("b", {3})), "not_covered", "no test ran the function"),
]


@pytest.mark.parametrize(("run", "status", "why"), EMPTY_CASES)
def test_runs_that_blame_nothing_say_why(run: TestRun, status: str, why: str) -> None:
    loc = localize(run, MEAN_FIRST, MEAN)
    assert (loc.status, loc.lines, loc.ranked, loc.evidence()) == (status, (), [], [])
    assert why in loc.reason
    assert fault_evidence(run, MEAN_FIRST, MEAN) == []
