"""Bad input fails early with a ConfigError (a ValueError) naming the value and its origin."""

from __future__ import annotations

import pytest
import torch
from fakes import FakeDenoiser, make_state, ramp, target_ids

from coderemask.errors import ConfigError
from coderemask.sampler import Sampler, SamplerConfig, denoise

L = 20


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps": 0}, r"SamplerConfig.steps=0: must be an integer >= 1"),
        ({"steps": -3}, r"SamplerConfig.steps=-3"),
        ({"steps": 2.5}, r"SamplerConfig.steps=2.5"),
        (
            {"unmask": "lowest"},
            r"SamplerConfig.unmask='lowest': unknown unmask order; "
            r"known: random, confidence, margin, entropy",
        ),
        ({"schedule": "exp"}, r"SamplerConfig.schedule='exp': unknown schedule; known: linear, cosine"),
        (
            {"remask": "remdm"},
            r"SamplerConfig.remask='remdm': unknown remask strategy; "
            r"known: none, cap, rescale, conf, loop, threshold",
        ),
        ({"block_length": 0}, r"SamplerConfig.block_length=0"),
        ({"threshold": 1.5}, r"SamplerConfig.threshold=1.5: must be None or in \(0, 1\]"),
        ({"temperature": -1}, r"SamplerConfig.temperature=-1"),
        ({"top_k": 0}, r"SamplerConfig.top_k=0"),
        ({"top_p": 0.0}, r"SamplerConfig.top_p=0.0"),
        ({"alg_temp": float("nan")}, r"SamplerConfig.alg_temp=nan"),
        ({"remask": "cap", "eta": 1.5}, r"SamplerConfig.eta=1.5: must be in \[0, 1\]"),
        (
            {"remask": "loop", "eta": 0.1, "t_on": 0.2, "t_off": 0.4},
            r"SamplerConfig.t_off=0.4: must be below t_on=0.2",
        ),
        ({"remask": "loop", "t_off": 0.0}, r"SamplerConfig.t_off=0.0: must be in \(0, 1\)"),
        (
            {"eta": 0.3},
            r"SamplerConfig.eta=0.3: not used by remask='none' \(used by cap, rescale, conf, loop\)",
        ),
        ({"remask": "cap", "t_on": 0.7}, r"SamplerConfig.t_on=0.7: not used by remask='cap' \(used by loop\)"),
        ({"remask": "threshold"}, r"SamplerConfig.remask_threshold=None: remask='threshold' needs a"),
        ({"remask_threshold": 0.3}, r"SamplerConfig.remask_threshold=0.3: not used by remask='none'"),
        ({"seed": "x"}, r"SamplerConfig.seed='x'"),
    ],
)
def test_bad_config_values_are_named(fields, message):
    with pytest.raises(ConfigError, match=message):
        SamplerConfig(**fields)


def test_config_errors_are_value_errors():
    with pytest.raises(ValueError):
        SamplerConfig(steps=0)


@pytest.fixture
def model() -> FakeDenoiser:
    return FakeDenoiser(target_ids(L), ramp(L))


def good_state():
    return make_state(target_ids(L, seed=1), [(2, 14)], batch=2)


def no_editable(state):
    keep = torch.tensor([[True], [False]])  # candidate 1 loses its whole editable region
    return state.with_(editable=state.editable & keep, masked=state.masked & keep)


def masked_not_editable(state):
    return state.with_(editable=state.editable & (torch.arange(L) < 8))


def mask_not_written(state):
    ids = state.ids.clone()
    ids[0, 3] = 4
    return state.with_(ids=ids)


@pytest.mark.parametrize(
    "break_state, steps, config, message",
    [
        (None, 0, SamplerConfig(), r"denoise\(steps\)=0: must be an integer >= 1"),
        (None, -2, SamplerConfig(), r"denoise\(steps\)=-2"),
        (
            None,
            None,
            SamplerConfig(steps=2, block_length=4),
            r"SamplerConfig.steps=2: block decoding needs at least one step per block; "
            r"12 masked tokens make 3 blocks of block_length=4",
        ),
        (None, 2, SamplerConfig(block_length=5), r"denoise\(steps\)=2: .*3 blocks of block_length=5"),
        (no_editable, 4, SamplerConfig(), r"DiffusionState.editable: candidate\(s\) \[1\] have no editable"),
        (masked_not_editable, 4, SamplerConfig(), r"DiffusionState.masked: 12 masked position\(s\) are not"),
        (mask_not_written, 4, SamplerConfig(), r"DiffusionState.ids: 1 masked position\(s\) do not hold mask"),
    ],
)
def test_bad_runs_fail_before_the_first_forward_pass(model, break_state, steps, config, message):
    state = good_state() if break_state is None else break_state(good_state())
    with pytest.raises(ConfigError, match=message):
        denoise(model, Sampler.for_model(config, model), state, steps=steps)
    assert model.nfe == 0


@pytest.mark.parametrize("mask_id", [32, 500, -1])
def test_a_mask_id_outside_the_vocabulary_is_named(mask_id):
    message = rf"Sampler.mask_token_id={mask_id}: outside the vocabulary \[0, 32\)"
    with pytest.raises(ConfigError, match=message):
        Sampler(SamplerConfig(), mask_id, vocab_size=32)
    model = FakeDenoiser(target_ids(L), ramp(L))
    model.mask_token_id = mask_id
    with pytest.raises(ConfigError, match=rf"Denoiser.mask_token_id={mask_id}: outside the vocabulary"):
        Sampler.for_model(SamplerConfig(), model)


def test_a_mask_id_beyond_the_logits_is_named_at_the_step(model):
    sampler = Sampler(SamplerConfig(), 40)  # no vocab_size given: checked against the logits
    state = make_state(target_ids(L, seed=1), [(2, 6)], mask_token_id=40)
    message = r"Sampler.mask_token_id=40: outside the logits' vocabulary \[0, 32\)"
    with pytest.raises(ConfigError, match=message):
        sampler.step(model.logits(state.ids), state, step_index=0, n_steps=2)


def test_a_sampler_built_for_another_mask_id_is_refused(model):
    message = r"Denoiser.mask_token_id=31 differs from the sampler's mask_token_id=7"
    with pytest.raises(ConfigError, match=message):
        denoise(model, Sampler(SamplerConfig(), 7), good_state())
