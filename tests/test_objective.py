"""The masked-diffusion training objective: masks, [NULL] slots, weights and the ELBO pieces."""

from __future__ import annotations

import pytest
import torch

from coderemask.training.objective import (
    MaskingConfig,
    TokenClasses,
    mask_batch,
    uniform_mask_batch,
    weighted_masked_ce,
)
from coderemask.training.tokenizer import train_tokenizer

CODE = "def f(a, b):\n    if a <= b:\n        return a + 1\n    return b - 2\n" * 8


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer([CODE], vocab_size=300)


@pytest.fixture(scope="module")
def classes(tokenizer) -> TokenClasses:
    return TokenClasses.from_tokenizer(tokenizer)


def _batch(tokenizer, n: int = 6, L: int = 48) -> torch.Tensor:
    ids = tokenizer(CODE, add_special_tokens=False)["input_ids"]
    return torch.tensor([ids[i : i + L] for i in range(n)])


def test_token_classes(tokenizer, classes: TokenClasses) -> None:
    def cls_of(s: str) -> int:
        return tokenizer.convert_tokens_to_ids(tokenizer.tokenize(s)[0])

    assert classes.operator[cls_of(" <=")] or classes.operator[cls_of("<=")]
    assert classes.newline[cls_of("\n")]
    assert classes.byte_len[tokenizer.mask_token_id] == 0
    assert classes.byte_len[cls_of("def")] == 3


@pytest.mark.parametrize(
    "cfg",
    [
        MaskingConfig(p_span=1.0, p_weighted=0.0, p_null_slots=1.0),
        MaskingConfig(p_span=0.0, p_weighted=1.0),
        MaskingConfig(p_span=0.0, p_weighted=0.0),
        MaskingConfig(),
    ],
    ids=["spans+null", "weighted", "uniform", "mixed"],
)
def test_mask_batch_invariants(tokenizer, classes: TokenClasses, cfg: MaskingConfig) -> None:
    x = _batch(tokenizer)
    mask_id = tokenizer.mask_token_id
    null_id = tokenizer.convert_tokens_to_ids("[NULL]")
    out = mask_batch(x, mask_id=mask_id, null_id=null_id, classes=classes, cfg=cfg,
                     gen=torch.Generator().manual_seed(0))
    assert out.input_ids.shape == x.shape == out.labels.shape == out.weights.shape
    masked = out.labels != -100
    assert masked.any(dim=1).all()  # every row trains on something
    assert (out.input_ids[masked] == mask_id).all()
    assert (out.weights[~masked] == 0).all() and (out.weights[masked] >= 1).all()
    if cfg.p_span == 0.0:  # scattered masks keep positions: labels are the clean tokens
        assert torch.equal(out.labels[masked], x[masked])
        assert torch.equal(out.input_ids[~masked], x[~masked])
    if cfg.p_null_slots == 1.0:
        assert (out.labels == null_id).any()


def test_weighted_mask_prefers_operators(tokenizer, classes: TokenClasses) -> None:
    x = _batch(tokenizer, n=64)
    gen = torch.Generator().manual_seed(1)
    out = mask_batch(x, mask_id=tokenizer.mask_token_id, null_id=0, classes=classes,
                     cfg=MaskingConfig(p_span=0.0, p_weighted=1.0), gen=gen)
    masked = out.labels != -100
    op = classes.operator[x]
    assert masked[op].float().mean() > 1.5 * masked[~op].float().mean()


def test_mask_batch_is_deterministic(tokenizer, classes: TokenClasses) -> None:
    x = _batch(tokenizer)
    runs = [mask_batch(x, mask_id=1, null_id=2, classes=classes, cfg=MaskingConfig(),
                       gen=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert torch.equal(runs[0].input_ids, runs[1].input_ids)
    assert torch.equal(runs[0].labels, runs[1].labels)


def test_uniform_mask_rate_and_elbo_weights(tokenizer) -> None:
    x = torch.randint(10, 200, (200, 64))
    t = torch.full((200,), 0.3)
    out = uniform_mask_batch(x, t, mask_id=1, gen=torch.Generator().manual_seed(0))
    rate = (out.labels != -100).float().mean().item()
    assert abs(rate - 0.3) < 0.02
    # a perfect predictor has zero loss; a uniform one has log(V) per masked token times 1/t
    V = 256
    uniform = weighted_masked_ce(lambda h: torch.zeros(h.shape[0], V), torch.zeros(200, 64, 4), out)
    n_masked = (out.labels != -100).sum().item()
    assert uniform.item() == pytest.approx(n_masked * torch.log(torch.tensor(float(V))).item() / 0.3, rel=1e-4)
