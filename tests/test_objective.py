"""The masked-diffusion training objective: masks, [NULL] slots, weights and the ELBO pieces."""

from __future__ import annotations

import pytest
import torch

from coderemask.errors import ConfigError
from coderemask.training.objective import (
    CORRUPTIONS,
    MaskingConfig,
    TokenClasses,
    localization_hits,
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
    out = mask_batch(
        x, mask_id=mask_id, null_id=null_id, classes=classes, cfg=cfg, gen=torch.Generator().manual_seed(0)
    )
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
    out = mask_batch(
        x,
        mask_id=tokenizer.mask_token_id,
        null_id=0,
        classes=classes,
        cfg=MaskingConfig(p_span=0.0, p_weighted=1.0),
        gen=gen,
    )
    masked = out.labels != -100
    op = classes.operator[x]
    assert masked[op].float().mean() > 1.5 * masked[~op].float().mean()


def test_mask_batch_is_deterministic(tokenizer, classes: TokenClasses) -> None:
    x = _batch(tokenizer)
    runs = [
        mask_batch(x, mask_id=1, null_id=2, classes=classes, cfg=MaskingConfig(), gen=torch.Generator().manual_seed(7))
        for _ in range(2)
    ]
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


# --------------------------------------------------------------------------- corruption (issue 16)

CLAMP = (
    "def clamp(value, low, high):\n    if value < low:\n        return low\n"
    "    if value > high:\n        return high\n    return value + 1\n"
)


@pytest.fixture(scope="module")
def clamp_tok():
    return train_tokenizer([CLAMP * 8], vocab_size=300)


def _tokens(tok, ids) -> list[str]:
    return [tok.decode([int(i)]) for i in ids]


@pytest.mark.parametrize(
    "family, expected",
    [
        ("identifier", {" clamp", " low", " high", " value"}),  # whole names with another name beside them
        ("operator", {" <", " >"}),  # " +" has no " -" in this vocabulary
        ("number", set()),  # " 1" has no " 0" or " 2" in this vocabulary
    ],
)
def test_corruption_sites(clamp_tok, family: str, expected: set[str]) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    x = torch.tensor(clamp_tok(CLAMP * 2, add_special_tokens=False)["input_ids"])
    sites = CORRUPTIONS[family]().sites(x, classes.standalone(x), classes)
    assert set(_tokens(clamp_tok, x[sites])) == expected
    if family == "number":
        assert set(_tokens(clamp_tok, x[CORRUPTIONS[family]().candidates(x, classes.standalone(x), classes)])) == {" 1"}


def test_number_replacements_are_near() -> None:
    tok = train_tokenizer(["x = 1 + 2 + 3 + 7 + 0 + 10\n" * 8], vocab_size=300)
    classes = TokenClasses.from_tokenizer(tok)
    x = torch.tensor(tok("y = 2 + 3 + 7\n", add_special_tokens=False)["input_ids"])
    i = _tokens(tok, x).index(" 7")
    assert set(_tokens(tok, CORRUPTIONS["number"]().replacements(x, classes.standalone(x), i, classes))) == {
        " 0",
        " 1",
        " 2",
    }


@pytest.mark.parametrize(
    "family, token, allowed",
    [
        ("operator", " <", {" >", " <=", " >=", " ==", " !="}),
        ("identifier", " low", {" clamp", " high", " value"}),
    ],
)
def test_corruption_replacements_stay_in_their_class(clamp_tok, family: str, token: str, allowed: set[str]) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    x = torch.tensor(clamp_tok(CLAMP * 2, add_special_tokens=False)["input_ids"])
    i = _tokens(clamp_tok, x).index(token, 2)
    got = set(_tokens(clamp_tok, CORRUPTIONS[family]().replacements(x, classes.standalone(x), i, classes)))
    assert got and got <= allowed and token not in got


@pytest.mark.parametrize("visible", [0.0, 0.5, 1.0])
def test_corrupted_windows_labels_and_targets(clamp_tok, visible: float) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    ids = clamp_tok(CLAMP * 8, add_special_tokens=False)["input_ids"]
    x = torch.tensor([ids[i : i + 40] for i in range(0, 160, 8)])
    mask_id = clamp_tok.mask_token_id
    cfg = MaskingConfig(p_corrupt=1.0, p_corrupt_visible=visible, max_corruptions=3)
    out = mask_batch(x, mask_id=mask_id, null_id=2, classes=classes, cfg=cfg, gen=torch.Generator().manual_seed(3))
    edited = out.labels != -100
    n = edited.sum(1)
    assert ((n >= 1) & (n <= 3)).all()
    assert torch.equal(out.labels[edited], x[edited])  # the MLM restores the original tokens
    assert (out.input_ids[edited] != x[edited]).all()  # every edited position is changed or masked
    assert torch.equal(out.input_ids[~edited], x[~edited])  # nothing else is touched
    shown = edited & (out.input_ids != mask_id)
    assert torch.equal(out.detector_labels == 1, shown)  # detector: 1 where a visible edit is
    assert (out.detector_labels[edited & ~shown] == -100).all()  # masked edits carry no detector label
    assert (out.detector_labels[~edited] == 0).all()
    for b in range(len(x)):  # weight 1 / max(k / L, t_min) at the edits, 0 elsewhere
        k = int(n[b])
        assert torch.allclose(out.weights[b][edited[b]], torch.full((k,), 1 / max(k / 40, 0.02)))
        assert (out.weights[b][~edited[b]] == 0).all()
    if visible == 1.0:
        assert not (out.input_ids == mask_id).any()
    if visible == 0.0:
        assert (out.input_ids[edited] == mask_id).all() and not (out.detector_labels == 1).any()


def test_corrupt_share_zero_keeps_the_plain_objective(clamp_tok) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    ids = clamp_tok(CLAMP * 8, add_special_tokens=False)["input_ids"]
    x = torch.tensor([ids[i : i + 40] for i in range(0, 80, 8)])
    runs = [
        mask_batch(x, mask_id=1, null_id=2, classes=classes, cfg=cfg, gen=torch.Generator().manual_seed(5))
        for cfg in (MaskingConfig(), MaskingConfig(p_corrupt=0.0))
    ]
    assert torch.equal(runs[0].input_ids, runs[1].input_ids) and torch.equal(runs[0].labels, runs[1].labels)
    assert (runs[0].detector_labels == -100).all()
    mixed = mask_batch(
        x, mask_id=1, null_id=2, classes=classes, cfg=MaskingConfig(p_corrupt=0.5), gen=torch.Generator().manual_seed(5)
    )
    corrupted_rows = (mixed.detector_labels != -100).any(1)
    assert 0 < corrupted_rows.sum() < len(x)


def test_copy_mode_masks_repeated_names_and_keeps_one_visible(clamp_tok) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    ids = clamp_tok(CLAMP * 8, add_special_tokens=False)["input_ids"]
    x = torch.tensor([ids[i : i + 40] for i in range(0, 160, 8)])
    mask_id = clamp_tok.mask_token_id
    cfg = MaskingConfig(p_copy=1.0, copy_max_background=0.0)
    out = mask_batch(x, mask_id=mask_id, null_id=2, classes=classes, cfg=cfg, gen=torch.Generator().manual_seed(4))
    masked = out.labels != -100
    assert masked.any(1).all()  # every window of CLAMP repeats a name
    assert torch.equal(out.input_ids == mask_id, masked) and torch.equal(out.labels[masked], x[masked])
    for b in range(len(x)):
        names = classes.standalone(x[b]) & classes.identifier[x[b]] & ~classes.keyword[x[b]]
        assert names[masked[b]].all()  # without background, only names are masked
        for name in x[b][masked[b]].unique():  # ... names that occur elsewhere, one occurrence left visible
            assert ((x[b] == name) & ~masked[b]).any()
        share = float(masked[b].float().mean())
        assert torch.allclose(out.weights[b][masked[b]], torch.tensor(1 / max(share, 0.02)))
    assert (out.detector_labels == -100).all()
    background = mask_batch(
        x,
        mask_id=mask_id,
        null_id=2,
        classes=classes,
        cfg=MaskingConfig(p_copy=1.0, copy_max_background=0.5),
        gen=torch.Generator().manual_seed(4),
    )
    assert (background.labels != -100).sum() > masked.sum()  # the background masks other tokens too


def test_copy_share_zero_draws_nothing(clamp_tok) -> None:
    classes = TokenClasses.from_tokenizer(clamp_tok)
    ids = clamp_tok(CLAMP * 8, add_special_tokens=False)["input_ids"]
    x = torch.tensor([ids[i : i + 40] for i in range(0, 80, 8)])
    a, b = (
        mask_batch(x, mask_id=1, null_id=2, classes=classes, cfg=cfg, gen=torch.Generator().manual_seed(5))
        for cfg in (MaskingConfig(), MaskingConfig(p_copy=0.0))
    )
    assert torch.equal(a.input_ids, b.input_ids) and torch.equal(a.labels, b.labels)


def test_plant_and_rank() -> None:
    scores = torch.tensor([[0.1, 0.9, 0.2, 0.3], [0.9, 0.8, 0.7, 0.1], [0.5, 0.5, 0.5, 0.5]])
    valid = torch.tensor([[True] * 4, [False, True, True, True], [True] * 4])
    hits, n = localization_hits(scores, valid, [[1], [2], []])
    assert n == 2 and hits == {1: 1, 3: 2}  # row 1: the special position 0 does not rank


@pytest.mark.parametrize(
    "bad",
    [
        dict(p_corrupt=1.5),
        dict(p_corrupt_visible=-0.1),
        dict(max_corruptions=0),
        dict(corruptions=("typo",)),
        dict(p_copy=2.0),
        dict(copy_max_rate=-0.5),
    ],
)
def test_bad_masking_config(bad: dict) -> None:
    with pytest.raises(ConfigError):
        MaskingConfig(**bad)
