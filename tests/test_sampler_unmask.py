"""Unmasking orders, token sampling and seeded determinism."""

from __future__ import annotations

import pytest
import torch
from fakes import MASK, FakeDenoiser, make_state, ramp, target_ids

from coderemask.sampler import UNMASK_ORDERS, Sampler, SamplerConfig, TokenSampler, denoise, select_top

L = 24


def probs_rows() -> torch.Tensor:
    """Three rows: peaked (confident, wide margin), two-way tie (no margin), flat (high entropy)."""
    v = 8
    peaked = torch.full((v,), 0.02).index_fill(0, torch.tensor([0]), 0.86)
    tie = torch.full((v,), 0.01).index_fill(0, torch.tensor([1, 2]), 0.47)
    flat = torch.full((v,), 1 / v)
    return torch.stack([tie, peaked, flat]).log()


@pytest.mark.parametrize(
    "order, expected",
    [
        ("confidence", [0.47, 0.86, 0.125]),  # p(sampled token), greedy here
        ("margin", [0.0, 0.84, 0.0]),  # top-1 minus top-2
        ("entropy", [-0.98601, -0.67739, -2.07944]),  # -H(p)
    ],
)
def test_orders_score_positions_as_their_papers_do(order, expected):
    log_probs = probs_rows()
    tokens = log_probs.argmax(dim=-1)
    score = UNMASK_ORDERS.get(order, where="test")().score(log_probs, tokens, None)
    assert score.tolist() == pytest.approx(expected, abs=1e-4)


def test_random_order_depends_only_on_the_generator():
    log_probs = probs_rows()
    tokens = log_probs.argmax(dim=-1)
    order = UNMASK_ORDERS.get("random", where="test")()
    a = order.score(log_probs, tokens, torch.Generator().manual_seed(1))
    b = order.score(log_probs, tokens, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_select_top_takes_per_row_counts_and_breaks_ties_leftmost():
    scores = torch.tensor([[0.5, 0.9, 0.5, 0.1, 0.5], [1.0, 1.0, 1.0, 1.0, 1.0]])
    allowed = torch.tensor([[True, True, True, True, False], [False, True, True, True, True]])
    got = select_top(scores, allowed, torch.tensor([2, 3]))
    assert got.tolist() == [[True, True, False, False, False], [False, True, True, True, False]]
    lowest = select_top(scores, allowed, torch.tensor([1, 9]), largest=False)
    assert lowest.tolist() == [[False, False, False, True, False], allowed[1].tolist()]


@pytest.mark.parametrize(
    "sampler",
    [
        TokenSampler(temperature=0.0),
        TokenSampler(temperature=1.5, top_k=1),
        TokenSampler(temperature=1.0, top_p=1e-3),
    ],
)
def test_greedy_settings_pick_the_argmax(sampler):
    log_probs = torch.randn(50, 16, generator=torch.Generator().manual_seed(0)).log_softmax(-1)
    got = sampler.sample(log_probs, torch.Generator().manual_seed(0))
    assert torch.equal(got, log_probs.argmax(dim=-1))


@pytest.mark.parametrize("top_k, top_p, allowed", [(3, None, 3), (None, 0.5, 2), (4, 0.99, 4)])
def test_truncation_keeps_draws_inside_the_kept_tokens(top_k, top_p, allowed):
    row = torch.tensor([0.3, 0.25, 0.2, 0.1, 0.08, 0.07]).log()
    log_probs = row.expand(4000, -1)
    sampler = TokenSampler(temperature=1.0, top_k=top_k, top_p=top_p)
    drawn = sampler.sample(log_probs, torch.Generator().manual_seed(0))
    assert set(drawn.tolist()) == set(range(allowed))


def test_gumbel_draws_follow_the_distribution():
    p = torch.tensor([0.6, 0.3, 0.1])
    drawn = TokenSampler(temperature=1.0).sample(p.log().expand(20000, -1), torch.Generator().manual_seed(0))
    freq = torch.bincount(drawn, minlength=3).double() / 20000
    assert torch.allclose(freq, p.double(), atol=0.02)


def decode(config: SamplerConfig, *, seed: int | None = None, batch: int = 2):
    model = FakeDenoiser(target_ids(L), ramp(L, 0.2, 0.5))
    state = make_state(target_ids(L, seed=1), [(2, 10), (13, 22)], batch=batch)
    sampler = Sampler.for_model(config, model)
    order: list[torch.Tensor] = []
    gen = None if seed is None else torch.Generator().manual_seed(seed)
    result = denoise(model, sampler, state, generator=gen, on_step=lambda i, s, o: order.append(o.committed))
    return result.state.ids, torch.stack(order)


STOCHASTIC = [
    SamplerConfig(steps=6, unmask="random"),
    SamplerConfig(steps=6, temperature=1.0),
    SamplerConfig(steps=6, alg_temp=0.5),
    SamplerConfig(steps=6, unmask="entropy", temperature=0.8, top_p=0.9, top_k=10, alg_temp=0.2),
]


@pytest.mark.parametrize("config", STOCHASTIC, ids=lambda c: f"{c.unmask}-T{c.temperature}-a{c.alg_temp}")
def test_a_seed_makes_a_run_repeatable_and_seeds_differ(config):
    ids_a, order_a = decode(config, seed=7)
    ids_b, order_b = decode(config, seed=7)
    assert torch.equal(ids_a, ids_b) and torch.equal(order_a, order_b)
    others = [decode(config, seed=s) for s in range(8, 12)]
    assert any(not torch.equal(ids_a, i) or not torch.equal(order_a, o) for i, o in others)


def test_the_config_seed_is_used_when_no_generator_is_given():
    config = SamplerConfig(steps=6, unmask="random", temperature=1.0, seed=3)
    assert torch.equal(decode(config)[0], decode(config)[0])
    assert torch.equal(decode(config)[0], decode(config, seed=3)[0])


def test_confidence_order_reveals_the_surest_positions_first():
    conf = [0.2] * L
    for p in (4, 9, 15):
        conf[p] = 0.9
    model = FakeDenoiser(target_ids(L), conf)
    state = make_state(target_ids(L, seed=1), [(2, 20)])
    first: list[torch.Tensor] = []
    sampler = Sampler.for_model(SamplerConfig(steps=6), model)
    denoise(model, sampler, state, on_step=lambda i, s, o: first.append(o.committed) if i == 0 else None)
    assert first[0][0].nonzero().flatten().tolist() == [4, 9, 15]


@pytest.mark.parametrize("order", UNMASK_ORDERS.names())
def test_the_mask_token_is_never_written(order):
    config = SamplerConfig(steps=4, unmask=order, temperature=2.0, seed=0)
    ids, _ = decode(config)
    assert not (ids == MASK).any()
