"""Remasking of decoded tokens: ReMDM cap / rescale / conf / loop, and threshold remasking."""

from __future__ import annotations

import pytest
import torch
from fakes import FakeDenoiser, make_state, ramp, target_ids

from coderemask.sampler import (
    REMASKERS,
    RemaskContext,
    Sampler,
    SamplerConfig,
    denoise,
    sigma_max,
)

L = 32
REMDM = ("cap", "rescale", "conf", "loop")


def context(alpha_t: float, alpha_s: float, *, t: float = 0.5, conf=(0.9, 0.5, 0.2, 0.0)) -> RemaskContext:
    psi = torch.tensor([conf], dtype=torch.float32)
    candidates = torch.tensor([[True, True, True, False]])
    return RemaskContext(
        candidates=candidates,
        cap=torch.tensor([4]),
        t=t,
        alpha_t=alpha_t,
        alpha_s=alpha_s,
        commit_confidence=psi,
        current_confidence=lambda: psi,
    )


def remasker(name: str, **fields):
    return REMASKERS.get(name, where="test").from_config(SamplerConfig(remask=name, **fields))


@pytest.mark.parametrize(
    "alpha_t, alpha_s, expected",
    [(0.0, 0.1, 1.0), (0.5, 0.75, 0.5), (0.2, 0.3, 1.0), (0.9, 1.0, 0.0), (0.5, 0.5, 1.0)],
)
def test_sigma_max_is_min_of_one_and_the_posterior_bound(alpha_t, alpha_s, expected):
    assert sigma_max(alpha_t, alpha_s) == pytest.approx(expected)


@pytest.mark.parametrize(
    "name, eta, alpha_t, alpha_s, expected",
    [
        ("cap", 0.3, 0.5, 0.75, 0.3),  # min(eta, 0.5)
        ("cap", 0.8, 0.5, 0.75, 0.5),
        ("rescale", 0.3, 0.5, 0.75, 0.15),  # eta * 0.5
        ("rescale", 1.0, 0.9, 1.0, 0.0),  # last step: sigma_max = 0
        ("loop", 0.3, 0.5, 0.5, 0.3),  # inside the window (t = 0.5)
    ],
)
def test_uniform_sigma_formulas(name, eta, alpha_t, alpha_s, expected):
    sigma = remasker(name, eta=eta).sigma(context(alpha_t, alpha_s))
    assert float(sigma) == pytest.approx(expected)


def test_conf_sigma_is_a_softmax_of_negative_commit_confidence_times_sigma_max():
    ctx = context(0.5, 0.75)
    sigma = remasker("conf", eta=1.0).sigma(ctx)[0]
    weights = torch.softmax(-torch.tensor([0.9, 0.5, 0.2], dtype=torch.float64), 0)
    assert sigma[:3].tolist() == pytest.approx((weights * 0.5).tolist())
    assert sigma[3] == 0  # not a candidate
    assert sigma[2] > sigma[1] > sigma[0]  # least confident first


@pytest.mark.parametrize("t, expected", [(1.0, 0.0), (0.56, 0.0), (0.55, 0.3), (0.2, 0.3), (0.05, 0.0)])
def test_loop_remasks_only_inside_its_window(t, expected):
    loop = remasker("loop", eta=0.3, t_on=0.55, t_off=0.05)
    assert float(loop.sigma(context(0.5, 0.5, t=t))) == pytest.approx(expected)


@pytest.mark.parametrize(
    "t, warped", [(1.0, 1.0), (0.7, 0.7), (0.55, 0.55), (0.3, 0.55), (0.1, 0.55), (0.025, 0.1375), (0.0, 0.0)]
)
def test_loop_holds_alpha_between_t_off_and_t_on(t, warped):
    loop = remasker("loop", eta=0.3, t_on=0.55, t_off=0.1)
    assert loop.warp(t) == pytest.approx(warped)
    assert remasker("loop", eta=0.0, t_on=0.55, t_off=0.1).warp(t) == t  # eta = 0: no loop


def decode(config: SamplerConfig, *, batch: int = 3, steps: int | None = None, confidence=None):
    model = FakeDenoiser(target_ids(L), ramp(L, 0.3, 0.8) if confidence is None else confidence)
    state = make_state(target_ids(L, seed=1), [(2, 12), (16, 28)], batch=batch, decoded=[(12, 16)])
    trace: list[tuple[torch.Tensor, torch.Tensor]] = []
    result = denoise(
        model,
        Sampler.for_model(config, model),
        state,
        steps=steps,
        generator=torch.Generator().manual_seed(11),
        on_step=lambda i, s, out: trace.append((out.committed, out.remasked)),
    )
    return result, trace, state


STOCHASTIC = {"unmask": "random", "temperature": 1.0, "alg_temp": 0.0}


@pytest.mark.parametrize("name", REMDM)
@pytest.mark.parametrize(
    "fields",
    [
        {"steps": 8},
        {"steps": 12, **STOCHASTIC},
        {"steps": 9, "unmask": "margin", "alg_temp": 0.3, "temperature": 0.7, "block_length": 8},
        {"steps": 10, "threshold": 0.7, "temperature": 1.0},
    ],
    ids=["greedy", "random", "blocks", "threshold"],
)
def test_eta_zero_replays_the_plain_sampler_exactly(name, fields):
    plain, plain_trace, _ = decode(SamplerConfig(**fields))
    zero, zero_trace, _ = decode(SamplerConfig(remask=name, eta=0.0, **fields))
    assert torch.equal(plain.state.ids, zero.state.ids)
    assert (plain.steps, plain.nfe) == (zero.steps, zero.nfe)
    for (c0, _r0), (c1, r1) in zip(plain_trace, zero_trace, strict=True):
        assert torch.equal(c0, c1) and not r1.any()


REMASKING = [
    SamplerConfig(steps=12, remask="cap", eta=0.5, **STOCHASTIC),
    SamplerConfig(steps=12, remask="rescale", eta=1.0, **STOCHASTIC),
    SamplerConfig(steps=12, remask="conf", eta=1.0, **STOCHASTIC),
    SamplerConfig(steps=16, remask="loop", eta=0.8, t_on=0.6, t_off=0.2, **STOCHASTIC),
    SamplerConfig(steps=12, remask="threshold", remask_threshold=0.25, temperature=3.0),
    SamplerConfig(steps=12, remask="cap", eta=1.0, block_length=6, temperature=1.0),
    SamplerConfig(steps=30, remask="rescale", eta=1.0, threshold=0.6, temperature=1.0),
]


@pytest.mark.parametrize("config", REMASKING, ids=lambda c: f"{c.remask}-{c.block_length}-{c.threshold}")
def test_remasking_sends_tokens_back_and_still_terminates(config):
    result, trace, start = decode(config)
    remasked = torch.stack([r for _, r in trace])
    assert remasked.any(), "the strategy never remasked"
    assert not result.state.masked.any()
    assert result.steps <= config.steps
    # only tokens decoded in this run go back; context and kept code never do
    assert not (remasked & ~start.masked).any()
    kept = ~start.masked
    assert torch.equal(result.state.ids[kept], start.ids[kept])
    assert (result.state.confidence[start.masked] > 0).all()


def test_remasked_tokens_are_revealed_again_in_the_same_step():
    config = SamplerConfig(steps=10, remask="rescale", eta=1.0, **STOCHASTIC)
    _, trace, _ = decode(config, batch=1)
    masked = 22
    counts = Sampler(config, 31).planner.schedule.counts(masked, 10)
    for (committed, remasked), n in zip(trace, counts):
        assert int(committed.sum()) == n + int(remasked.sum())


def test_block_remasking_stays_in_the_current_block():
    config = SamplerConfig(steps=12, remask="cap", eta=1.0, block_length=6, temperature=1.0)
    model = FakeDenoiser(target_ids(L), ramp(L))
    state = make_state(target_ids(L, seed=1), [(0, 24)])
    seen: list[tuple[int, torch.Tensor]] = []
    sampler = Sampler.for_model(config, model)
    denoise(
        model,
        sampler,
        state,
        generator=torch.Generator().manual_seed(0),
        on_step=lambda i, s, o: seen.append((i, o.remasked[0])),
    )
    for i, remasked in seen:
        block = i // 3  # 4 blocks of 6 tokens, 3 steps each
        assert remasked.nonzero().flatten().div(6, rounding_mode="floor").eq(block).all()


def test_threshold_remasking_checks_tokens_against_the_latest_logits():
    # a hot sampler writes many wrong tokens; the fake gives them p < 0.05, so they go back
    config = SamplerConfig(steps=20, remask="threshold", remask_threshold=0.05, temperature=5.0)
    result, trace, start = decode(config, batch=2, confidence=[0.6] * L)
    assert any(r.any() for _, r in trace)
    assert not result.state.masked.any()


def test_threshold_remasking_stops_once_a_decoded_state_is_stable():
    config = SamplerConfig(steps=20, threshold=0.5, remask="threshold", remask_threshold=0.3)
    result, trace, _ = decode(config, confidence=[0.9] * L)  # greedy and sure: nothing to remask
    assert not any(r.any() for _, r in trace)
    assert result.steps == 2  # all revealed at once, then one verifying pass found nothing
