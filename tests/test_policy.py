"""The remask policy: weighting, snapping, the per-round cap, slots, steps, fallback, escalation."""

from __future__ import annotations

import pytest

from coderemask.errors import ConfigError
from coderemask.policy import POLICIES, Policy, PolicyConfig, policy_config
from coderemask.signals.syntax import enclosing_units
from coderemask.types import Evidence, Span

CODE = """def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value
"""
BODY = Span(CODE.index("    if value < low"), len(CODE))


def words(text: str) -> int:
    return len(text.split())


def at(snippet: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = CODE.index(snippet, start + 1)
    return Span(start, start + len(snippet))


def make(name: str = "combined", **overrides) -> Policy:
    return Policy(policy_config(name, **overrides), snap=enclosing_units, count_tokens=words)


def test_unknown_policy_and_bad_config_name_the_value() -> None:
    with pytest.raises(ConfigError, match="'nope'.*combined"):
        policy_config("nope")
    with pytest.raises(ConfigError, match=r"PolicyConfig.max_fraction=0"):
        PolicyConfig(max_fraction=0)
    with pytest.raises(ConfigError, match=r"weights\['tests'\]"):
        PolicyConfig(weights={"tests": -1.0})
    with pytest.raises(
        ConfigError, match=r"'oracle'\]: no such witness; witnesses: syntax, tests, confidence, detector"
    ):
        PolicyConfig(weights={"oracle": 1.0})


def test_no_evidence_means_no_plan() -> None:
    assert make().plan(CODE, BODY, []) is None


def test_a_token_level_accusation_snaps_to_its_syntax_unit() -> None:
    ev = Evidence("tests", at("<"), 0.9, "fails")  # the operator alone
    plan = make().plan(CODE, BODY, [ev])
    assert plan is not None and len(plan.spans) == 1
    span = plan.spans[0].span
    text = CODE[span.start : span.end]
    assert "<" in text and "return high" not in text  # a unit around the operator, not the body
    assert plan.spans[0].evidence == (ev,)


@pytest.mark.parametrize(
    "policy, heard",
    [
        ("tests", {"tests"}),
        ("syntax", {"syntax"}),
        ("confidence", {"confidence"}),
        ("detector", {"detector"}),
        ("combined", {"tests", "syntax", "confidence", "detector"}),  # the detector weighs DETECTOR_WEIGHT
        ("combined+detector", {"tests", "syntax", "confidence", "detector"}),
        ("whole", {"tests", "syntax", "confidence", "detector"}),
    ],
)
def test_policies_listen_to_their_witnesses(policy: str, heard: set[str]) -> None:
    evidence = [
        Evidence("tests", at("value < low"), 0.9),
        Evidence("syntax", at("value > high"), 0.9),
        Evidence("confidence", at("return value"), 0.9),
        Evidence("detector", at("return low"), 0.9),
    ]
    plan = make(policy, max_fraction=1.0, diffuse_fraction=1.0).plan(CODE, BODY, evidence)
    assert plan is not None
    assert {e.source for s in plan.spans for e in s.evidence} == heard
    assert set(POLICIES) == {"tests", "syntax", "confidence", "detector", "combined", "combined+detector", "whole"}
    assert plan.whole is (policy == "whole")


def test_cap_keeps_the_highest_scores() -> None:
    evidence = [
        Evidence("tests", at("return low"), 0.95),
        Evidence("tests", at("return high"), 0.5),
        Evidence("tests", at("return value"), 0.4),
    ]
    plan = make(max_fraction=0.2, diffuse_fraction=1.0).plan(CODE, BODY, evidence)
    assert plan is not None
    texts = [CODE[s.span.start : s.span.end] for s in plan.spans]
    assert any("return low" in t for t in texts)
    assert sum(words(t) for t in texts) <= max(1, int(0.2 * words(CODE[BODY.start :])))


def test_slots_grow_and_steps_scale_with_masked_slots() -> None:
    ev = Evidence("tests", at("return high"), 0.9)
    small = make(grow_slots=0, steps_per_slot=1.0).plan(CODE, BODY, [ev])
    grown = make(grow_slots=3, steps_per_slot=2.0).plan(CODE, BODY, [ev])
    assert small is not None and grown is not None
    assert grown.spans[0].slots == small.spans[0].slots + 3
    assert grown.steps == 2 * grown.spans[0].slots
    assert small.steps >= 2  # min_steps


def test_diffuse_evidence_falls_back_to_the_whole_region() -> None:
    evidence = [
        Evidence("tests", at(text), 0.8)
        for text in ("value < low", "return low", "value > high", "return high", "return value")
    ]
    plan = make().plan(CODE, BODY, evidence)
    assert plan is not None and plan.whole and plan.spans[0].span == BODY


def test_escalates_instead_of_repeating_a_failed_plan() -> None:
    policy = make(max_fraction=1.0, diffuse_fraction=1.0)
    ev = [Evidence("tests", at("<"), 0.9)]
    first = policy.plan(CODE, BODY, ev)
    second = policy.plan(CODE, BODY, ev, history=[first])
    third = policy.plan(CODE, BODY, ev, history=[first, second])
    assert first is not None and second is not None and third is not None
    assert second.spans[0].span != first.spans[0].span
    assert second.spans[0].span.start <= first.spans[0].span.start
    assert second.spans[0].span.end >= first.spans[0].span.end
    assert "escalated" in second.reason
    spans = [p.spans[0].span for p in (first, second, third)]
    assert len(set(spans)) == 3 or third.whole


def test_spans_never_leave_the_region() -> None:
    header = Span(0, BODY.start)
    plan = make().plan(CODE, BODY, [Evidence("syntax", header, 1.0), Evidence("tests", at("return low"), 0.9)])
    assert plan is not None
    for s in plan.spans:
        assert BODY.start <= s.span.start and s.span.end <= BODY.end


def test_one_clear_suspect_among_weaker_ones_is_not_diffuse() -> None:
    evidence = [
        Evidence("tests", at("value < low"), 0.45),
        Evidence("tests", at("value > high"), 0.55),
        Evidence("tests", at("return high"), 1.0),
    ]
    plan = make().plan(CODE, BODY, evidence)
    assert plan is not None and not plan.whole
    assert any("return high" in CODE[s.span.start : s.span.end] for s in plan.spans)
