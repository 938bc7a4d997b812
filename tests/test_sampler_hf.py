"""The sampler through a real transformers model: a tiny random ModernBERT masked LM.

The model is built from a config (hidden 32, 2 layers, no download) and wrapped by the
project's own adapter, so these runs go through the same code path as a real checkpoint.
"""

from __future__ import annotations

import pytest
import torch
from tiny_models import tiny_modernbert, tiny_tokenizer

from coderemask.model.hf import HFDenoiser
from coderemask.sampler import DiffusionState, Sampler, SamplerConfig, denoise

CODE = "def add(a, b):\n    return a + b\n\n\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"


@pytest.fixture(scope="module")
def bert() -> HFDenoiser:
    return HFDenoiser(tiny_modernbert(), tiny_tokenizer(), "masked_lm")


@pytest.fixture(scope="module")
def start(bert: HFDenoiser) -> DiffusionState:
    ids = torch.tensor(bert.encode(CODE).ids)
    editable = torch.zeros_like(ids, dtype=torch.bool)
    editable[4:12] = True
    editable[20:30] = True
    return DiffusionState.from_ids(ids, editable, bert.mask_token_id).repeat(3)


CONFIGS = [
    SamplerConfig(steps=6),
    SamplerConfig(steps=6, unmask="entropy", schedule="cosine", block_length=6, temperature=1.0, seed=0),
    SamplerConfig(steps=10, unmask="margin", threshold=0.05, temperature=0.7, top_p=0.9, seed=1),
    SamplerConfig(steps=8, unmask="random", remask="cap", eta=0.5, temperature=1.0, seed=2),
    SamplerConfig(steps=8, remask="conf", eta=1.0, alg_temp=0.5, top_k=20, temperature=1.0, seed=3),
    SamplerConfig(steps=10, remask="loop", eta=0.5, t_on=0.6, t_off=0.2, temperature=1.0, seed=4),
    SamplerConfig(steps=8, remask="threshold", remask_threshold=0.02, temperature=1.5, seed=5),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.unmask}-{c.remask}-{c.threshold}")
def test_a_real_model_run_keeps_the_context_and_finishes(bert, start, config):
    nfe = bert.nfe
    result = denoise(bert, Sampler.for_model(config, bert), start)
    fixed = ~start.editable
    assert torch.equal(result.state.ids[fixed], start.ids[fixed])
    assert not result.state.masked.any() and not (result.state.ids == bert.mask_token_id).any()
    assert result.nfe == result.steps == bert.nfe - nfe <= config.steps
    text = bert.decode(result.state.ids[0].tolist())
    assert text.startswith(CODE[:8]) and isinstance(text, str)


@pytest.mark.parametrize("name", ["cap", "rescale", "conf", "loop"])
def test_eta_zero_replays_the_plain_sampler_on_a_real_model(bert, start, name):
    fields = {"steps": 8, "unmask": "random", "temperature": 1.0, "seed": 9}
    plain = denoise(bert, Sampler.for_model(SamplerConfig(**fields), bert), start)
    zero = denoise(bert, Sampler.for_model(SamplerConfig(remask=name, eta=0.0, **fields), bert), start)
    assert torch.equal(plain.state.ids, zero.state.ids) and plain.steps == zero.steps


def test_threshold_decoding_never_stalls_on_a_real_model(bert, start):
    counts: list[int] = []
    config = SamplerConfig(steps=18, threshold=0.9)  # a random model is never that sure
    result = denoise(
        bert,
        Sampler.for_model(config, bert),
        start,
        on_step=lambda i, s, o: counts.append(int(o.committed.sum(dim=1).min())),
    )
    assert min(counts) >= 1 and not result.state.masked.any()
