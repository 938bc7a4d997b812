"""The syntax signal: golden broken snippets (tests/data/syntax), offsets, detectors, scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coderemask.errors import ConfigError
from coderemask.signals.syntax import (
    DETECTORS,
    SyntaxScores,
    SyntaxSignal,
    parses,
    syntax_evidence,
    syntax_problems,
)
from coderemask.types import Evidence

GOLDEN = Path(__file__).parent / "data" / "syntax"
EXPECTED = {k: v for k, v in json.loads((GOLDEN / "expected.json").read_text("utf-8")).items() if k != "_about"}


def _read(name: str) -> str:
    with open(GOLDEN / name, encoding="utf-8", newline="") as f:
        return f.read()


def _check_well_formed(code: str, evidence: list[Evidence]) -> None:
    spans = [e.span for e in evidence]
    assert len(set(spans)) == len(spans), "one Evidence per span"
    assert spans == sorted(spans, key=lambda s: (s.start, -s.end))
    for e in evidence:
        assert e.source == "syntax" and 0.0 <= e.score <= 1.0 and e.message
        assert 0 <= e.span.start < e.span.end <= len(code)


def test_every_golden_snippet_has_expectations() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden(name: str) -> None:
    code, expected = _read(name), EXPECTED[name]
    evidence = syntax_evidence(code)
    _check_well_formed(code, evidence)
    assert parses(code) is expected["parses"]
    assert bool(syntax_problems(code, detectors=("tree-sitter",))) is expected["tree_sitter_finds"]
    assert bool(evidence) is not expected["parses"]
    for want in expected["evidence"]:
        assert code[want["start"] : want["start"] + len(want["text"])] == want["text"], "golden entry is off"
        hits = [e for e in evidence if e.span.start == want["start"] and len(e.span) == len(want["text"])]
        assert hits, f"no evidence on {want['text']!r} at {want['start']}: {evidence}"
        assert hits[0].score == pytest.approx(want["score"])
        assert want["message"] in hits[0].message


@pytest.mark.parametrize(
    "code",
    ["", "x = 1\n", "def f():\r\n    return 1\r\n", "    def m(self):\n        return 'é'\n", "s = '🙂'"],
)
def test_valid_code_gives_no_evidence(code: str) -> None:
    assert parses(code)
    assert syntax_evidence(code) == []


def test_offsets_are_characters_with_crlf_and_multibyte_text() -> None:
    code = "def f():\r\n    s = '🙂é'\r\n    return s 2\r\n"
    evidence = syntax_evidence(code)
    _check_well_formed(code, evidence)
    texts = {code[e.span.start : e.span.end] for e in evidence}
    assert "2" in texts and "return s 2" in texts


def test_missing_node_is_widened_to_the_token_before_it() -> None:
    code = "def f(:\n    pass\n"
    [missing] = [p for p in syntax_problems(code, detectors=("tree-sitter",)) if p.kind == "missing"]
    assert code[missing.span.start : missing.span.end] == "("
    assert "missing ')'" in missing.message


def test_detectors_by_name() -> None:
    code = "x = 1\nreturn x\n"
    assert syntax_evidence(code, detectors=("tree-sitter",)) == []
    assert [p.detector for p in syntax_problems(code, detectors=("compile",))] == ["compile"]
    assert set(DETECTORS) >= {"tree-sitter", "compile"}
    with pytest.raises(ConfigError, match="unknown syntax detector"):
        syntax_evidence(code, detectors=("nope",))
    with pytest.raises(ConfigError):
        SyntaxSignal(detectors=("nope",))


def test_scores_are_configurable_and_checked() -> None:
    code = "def f():\n    x = 1 2\n"
    scores = SyntaxScores(error=0.3, missing=0.4, compile=0.8, statement=0.1)
    by_text = {code[e.span.start : e.span.end]: e.score for e in syntax_evidence(code, scores=scores)}
    assert by_text == {"x = 1 2": 0.1, "1": 0.3, "2": 0.8}
    with pytest.raises(ConfigError, match="statement"):
        SyntaxScores(statement=1.5)


def test_signal_matches_the_function() -> None:
    signal = SyntaxSignal()
    code = "def f(x):\n    return (x + 1\n"
    assert signal.name == "syntax"
    assert signal(code, None) == syntax_evidence(code)


@pytest.mark.parametrize(
    "code",
    ["a\0b = 1\n", "x = " + "(" * 300 + ")" * 300 + "\n", "def f(\n", "\t\t\n  )\n", "'''", "\\\n"],
)
def test_hostile_input_is_a_value_not_an_exception(code: str) -> None:
    evidence = syntax_evidence(code)
    assert isinstance(evidence, list)
    for e in evidence:
        assert 0 <= e.span.start <= e.span.end <= len(code)


def test_null_byte_is_pointed_at() -> None:
    code = "a\0b = 1\n"
    assert any(code[e.span.start : e.span.end] == "\0" and e.score == 1.0 for e in syntax_evidence(code))
