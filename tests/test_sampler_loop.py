"""denoise(): editable invariance under every strategy, batching, termination, callbacks."""

from __future__ import annotations

import itertools

import pytest
import torch
from fakes import NULL, FakeDenoiser, make_state, ramp, target_ids

from coderemask.sampler import (
    REMASKERS,
    SCHEDULES,
    UNMASK_ORDERS,
    DiffusionState,
    Sampler,
    SamplerConfig,
    denoise,
)

L = 40
SPANS = [(3, 11), (17, 20), (26, 37)]  # 22 masked positions in three spans
KEPT = [(11, 14)]  # editable code this run leaves alone

REMASK_FIELDS = {
    "none": {},
    "cap": {"eta": 0.5},
    "rescale": {"eta": 1.0},
    "conf": {"eta": 1.0},
    "loop": {"eta": 0.5, "t_on": 0.6, "t_off": 0.2},
    "threshold": {"remask_threshold": 0.2},
}
assert set(REMASK_FIELDS) == set(REMASKERS.names())

DECODING = {
    "fixed": {"steps": 8},
    "blocks": {"steps": 9, "block_length": 8},
    "threshold": {"steps": 12, "threshold": 0.6},
}


def combinations():
    for order, schedule, remask, decoding in itertools.product(
        UNMASK_ORDERS.names(), SCHEDULES.names(), REMASKERS.names(), DECODING
    ):
        yield pytest.param(
            SamplerConfig(
                unmask=order,
                schedule=schedule,
                remask=remask,
                temperature=1.0,
                alg_temp=0.1 if order != "random" else 0.0,
                **REMASK_FIELDS[remask],
                **DECODING[decoding],
            ),
            id=f"{order}-{schedule}-{remask}-{decoding}",
        )


@pytest.fixture(scope="module")
def model() -> FakeDenoiser:
    return FakeDenoiser(target_ids(L), ramp(L), gain=0.5)


@pytest.fixture(scope="module")
def start() -> DiffusionState:
    return make_state(target_ids(L, seed=1), SPANS, batch=3, decoded=KEPT)


@pytest.mark.parametrize("config", combinations())
def test_only_masked_editable_positions_change_and_the_run_finishes(model, start, config):
    calls = len(model.calls)
    seen: list[int] = []
    result = denoise(
        model,
        Sampler.for_model(config, model),
        start,
        generator=torch.Generator().manual_seed(0),
        on_step=lambda i, state, out: seen.append(i),
    )
    final = result.state
    fixed = ~start.masked  # context and kept code
    assert torch.equal(final.ids[fixed], start.ids[fixed])
    assert torch.equal(final.editable, start.editable)
    assert not final.masked.any()
    assert (final.confidence[start.masked] > 0).all()
    assert torch.equal(final.confidence[fixed], start.confidence[fixed])
    assert 1 <= result.steps <= config.steps and len(seen) == result.steps
    assert seen == sorted(set(seen)) and seen[-1] < config.steps
    assert result.nfe == result.steps == len(model.calls) - calls
    assert all(b == 3 for b, _ in model.calls[calls:])  # one forward pass for all candidates


class MeddlingSampler(Sampler):
    """A broken strategy that writes everywhere: denoise must still keep the context."""

    def step(self, logits, state, **kwargs):
        out = super().step(logits, state, **kwargs)
        ids = torch.full_like(out.state.ids, 5)
        return type(out)(out.state.with_(ids=ids, masked=out.state.masked), out.committed, out.remasked)


def test_the_loop_itself_enforces_the_editable_mask(model, start):
    result = denoise(model, MeddlingSampler(SamplerConfig(steps=4), model.mask_token_id), start)
    outside = ~start.editable
    assert torch.equal(result.state.ids[outside], start.ids[outside])
    assert (result.state.ids[start.editable] == 5).all()


@pytest.mark.parametrize("batch", [1, 4, 9])
def test_a_batch_costs_one_forward_pass_per_step(batch):
    model = FakeDenoiser(target_ids(L), ramp(L))
    state = make_state(target_ids(L, seed=1), SPANS, batch=batch)
    result = denoise(model, Sampler.for_model(SamplerConfig(steps=6), model), state)
    assert result.nfe == result.steps == 6 == model.nfe
    assert model.calls == [(batch, L)] * 6


def test_greedy_candidates_agree_and_reach_the_targets_tokens():
    target = target_ids(L)
    model = FakeDenoiser(target, ramp(L))
    state = make_state(target_ids(L, seed=1), SPANS, batch=3)
    final = denoise(model, Sampler.for_model(SamplerConfig(steps=5), model), state).state
    assert torch.equal(final.ids[0], final.ids[1]) and torch.equal(final.ids[0], final.ids[2])
    masked = state.masked[0]
    assert final.ids[0][masked].tolist() == torch.tensor(target)[masked].tolist()


def test_candidates_may_have_different_masks():
    model = FakeDenoiser(target_ids(L), ramp(L))
    a = make_state(target_ids(L, seed=1), [(3, 9)])
    b = make_state(target_ids(L, seed=1), [(20, 38)])
    state = DiffusionState(
        *(torch.cat([getattr(a, f), getattr(b, f)]) for f in ("ids", "editable", "masked", "confidence"))
    )
    counts: list[list[int]] = []
    config = SamplerConfig(steps=4, block_length=6)
    result = denoise(
        model,
        Sampler.for_model(config, model),
        state,
        on_step=lambda i, s, o: counts.append(o.committed.sum(dim=1).tolist()),
    )
    assert not result.state.masked.any()
    assert counts == [[3, 3], [3, 3], [0, 6], [0, 6]]  # 1 and 3 blocks of 6, 4 steps: (2, 1, 1)


def test_the_null_token_is_an_ordinary_token():
    target = target_ids(L)
    target[5] = NULL
    model = FakeDenoiser(target, 0.9)
    state = make_state(target_ids(L, seed=1), SPANS)
    final = denoise(model, Sampler.for_model(SamplerConfig(steps=3), model), state).state
    assert int(final.ids[0, 5]) == NULL
    assert str(NULL) not in model.decode(final.ids[0].tolist()).split()


def test_nothing_masked_means_nothing_to_do():
    model = FakeDenoiser(target_ids(L), ramp(L))
    state = make_state(target_ids(L, seed=1), [], decoded=[(3, 9)])
    result = denoise(model, Sampler.for_model(SamplerConfig(steps=4), model), state)
    assert (result.steps, result.nfe) == (0, 0)
    assert torch.equal(result.state.ids, state.ids)


def test_steps_that_can_change_nothing_cost_no_forward_pass():
    # 3 masked tokens, 12 steps: the linear schedule has revealed all 3 by step 8, and with
    # nothing masked its target (hence the room to remask) is 0 from there on
    model = FakeDenoiser(target_ids(L), ramp(L))
    state = make_state(target_ids(L, seed=1), [(5, 8)], batch=2)
    config = SamplerConfig(steps=12, remask="cap", eta=1.0, temperature=1.0, seed=0)
    seen: list[int] = []
    result = denoise(model, Sampler.for_model(config, model), state, on_step=lambda i, s, o: seen.append(i))
    assert seen == list(range(9)) and result.steps == result.nfe == 9
    assert not result.state.masked.any()
