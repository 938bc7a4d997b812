"""Denoiser adapters through tiny real transformers models (built from configs, no downloads)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import huggingface_hub.constants
import pytest
import torch
from tiny_models import (
    QWEN_MASK_TOKEN,
    tiny_modernbert,
    tiny_qwen2,
    tiny_qwen_tokenizer,
    tiny_tokenizer,
)
from transformers import AutoConfig

from coderemask.errors import ConfigError, ModelLoadError
from coderemask.model import (
    PRESETS,
    Denoiser,
    HFDenoiser,
    Preset,
    detect_family,
    get_family,
    load_model,
    loading,
    pick_device,
    pick_dtype,
    shift_logits,
)
from coderemask.model.hf import ATTENTION_ARGS, MAX_LENGTH_KEY, force_bidirectional
from coderemask.model.registry import EMBEDDED_DIR, resolve_mask_id

CODE = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def bert() -> HFDenoiser:
    return HFDenoiser(tiny_modernbert(), tiny_tokenizer(), "masked_lm")


@pytest.fixture(params=["sdpa", "eager"])
def qwen(request: pytest.FixtureRequest) -> HFDenoiser:
    return HFDenoiser(tiny_qwen2(attn_implementation=request.param), tiny_qwen_tokenizer(), "qwen2_bidirectional")


def _ids(n: int = 12, b: int = 1, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(10, 300, (b, n), generator=g)


def _save(model: torch.nn.Module, tokenizer, folder: Path) -> Path:
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# --- the interface -----------------------------------------------------------------------------


def test_masked_lm_logits_shape_dtype_and_nfe(bert: HFDenoiser) -> None:
    assert isinstance(bert, Denoiser)
    assert bert.nfe == 0
    out = bert.logits(_ids(10, b=3))
    assert out.shape == (3, 10, bert.vocab_size) and out.dtype == torch.float32
    bert.logits(_ids(7), torch.ones(1, 7, dtype=torch.long))
    assert bert.nfe == 2
    with pytest.raises(ValueError, match=r"\[B, L\]"):
        bert.logits(torch.zeros(5, dtype=torch.long))
    assert bert.nfe == 2


def test_special_ids_come_from_the_tokenizer(bert: HFDenoiser) -> None:
    tok = bert.tokenizer
    assert bert.mask_token_id == tok.convert_tokens_to_ids("[MASK]")
    assert bert.pad_token_id == tok.convert_tokens_to_ids("[PAD]")
    assert bert.null_token_id == tok.convert_tokens_to_ids("[NULL]")
    assert bert.vocab_size == len(tok)


def test_qwen_mask_is_the_named_token_not_the_fallback(qwen: HFDenoiser) -> None:
    assert qwen.mask_token_id == qwen.tokenizer.convert_tokens_to_ids(QWEN_MASK_TOKEN)
    assert qwen.mask_token_id != get_family("qwen2_bidirectional").mask_id


def test_encode_offsets_and_decode_round_trip(bert: HFDenoiser) -> None:
    enc = bert.encode(CODE)
    assert len(enc.ids) == len(enc.offsets) > 0
    assert "".join(CODE[s:e] for s, e in enc.offsets) == CODE
    assert all(a[1] == b[0] for a, b in zip(enc.offsets, enc.offsets[1:]))
    assert bert.decode(enc.ids) == CODE
    assert bert.decode(torch.tensor(enc.ids)) == CODE


def test_decode_drops_mask_pad_and_null(bert: HFDenoiser) -> None:
    ids = list(bert.encode("x = 1").ids)
    noisy = [bert.mask_token_id, *ids[:2], bert.null_token_id, *ids[2:], bert.pad_token_id]
    assert bert.decode(noisy) == "x = 1"


# --- logit shift and bidirectional attention ------------------------------------------------------


def test_shift_logits_moves_outputs_one_to_the_right() -> None:
    x = torch.arange(2 * 4 * 1, dtype=torch.float32).view(2, 4, 1)
    y = shift_logits(x)
    assert y[:, 0].equal(x[:, 0]) and y[:, 1:].equal(x[:, :-1])


def test_qwen_logits_are_the_shifted_full_attention_outputs(qwen: HFDenoiser) -> None:
    ids = _ids()
    sdpa = qwen.model.config._attn_implementation == "sdpa"
    # full attention: all True for sdpa, an all-zero additive bias for eager
    mask = torch.ones(1, 1, 12, 12, dtype=torch.bool) if sdpa else torch.zeros(1, 1, 12, 12)
    raw = qwen.model(input_ids=ids, attention_mask=mask).logits
    out = qwen.logits(ids)
    torch.testing.assert_close(out, shift_logits(raw))
    torch.testing.assert_close(out[:, 0], raw[:, 0])


@pytest.mark.parametrize("kernel", ["sdpa", "eager"])
def test_attention_is_really_bidirectional(kernel: str) -> None:
    j = 8
    ids = _ids()
    changed = ids.clone()
    changed[0, j] = 5
    # plain causal forward of the same weights: outputs before j ignore token j
    plain = tiny_qwen2(attn_implementation=kernel)
    with torch.no_grad():
        before = plain(input_ids=ids).logits[0, :j] - plain(input_ids=changed).logits[0, :j]
    assert before.abs().max() == 0
    # the adapter: predictions at i < j (outputs 0..j-2 after the shift) depend on token j
    den = HFDenoiser(tiny_qwen2(attn_implementation=kernel), tiny_qwen_tokenizer(), "qwen2_bidirectional")
    diff = (den.logits(ids) - den.logits(changed))[0].abs().amax(-1)
    assert (diff[1:j] > 1e-6).all(), diff
    assert den.model.config.is_causal is False


@pytest.mark.parametrize("side", ["right", "left"])
def test_padding_does_not_change_real_positions(qwen: HFDenoiser, side: str) -> None:
    ids = _ids(8)
    pad = torch.full((1, 4), qwen.pad_token_id)
    ones, zeros = torch.ones(1, 8, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long)
    if side == "right":
        padded, am, real = torch.cat([ids, pad], 1), torch.cat([ones, zeros], 1), slice(0, 8)
    else:
        padded, am, real = torch.cat([pad, ids], 1), torch.cat([zeros, ones], 1), slice(4, 12)
    alone = qwen.logits(ids)
    batched = qwen.logits(torch.cat([padded, padded]), torch.cat([am, am]))
    assert torch.isfinite(batched).all()
    # left padding: position 4's shifted logits come from a pad output; compare from the second real one
    start = 1 if side == "left" else 0
    torch.testing.assert_close(batched[0, real][start:], alone[0][start:], atol=1e-5, rtol=1e-4)


def test_dream_attention_args() -> None:
    dream = ATTENTION_ARGS[get_family("dream").attention]
    ids = _ids(4, b=2)
    assert dream(None, ids, None) == {"attention_mask": "full"}
    assert dream(None, ids, torch.ones_like(ids)) == {"attention_mask": "full"}
    am = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]])
    args = dream(None, ids, am)
    assert args["attention_mask"].shape == (2, 1, 4, 4) and args["attention_mask"].dtype == torch.bool
    assert args["attention_mask"][0, 0, :, 0].logical_not().all() and args["attention_mask"][1].all()
    assert args["position_ids"].tolist() == [[0, 0, 1, 2], [0, 1, 2, 3]]


def test_flash_kernels_are_refused_for_forced_bidirectional() -> None:
    fake = SimpleNamespace(config=SimpleNamespace(_attn_implementation="flash_attention_2"))
    with pytest.raises(ConfigError, match="flash_attention_2"):
        force_bidirectional(fake)


# --- registry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "family"),
    [
        ({"model_type": "Dream", "architectures": ["DreamModel"]}, "dream"),
        ({"model_type": "llada", "auto_map": {"AutoModel": "modeling_llada.LLaDAModelLM"}}, "llada"),
        ({"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]}, "qwen2_bidirectional"),
        ({"model_type": "modernbert", "architectures": ["ModernBertForMaskedLM"]}, "masked_lm"),
        ({"model_type": "roberta"}, "masked_lm"),
    ],
)
def test_detect_family(config: dict, family: str) -> None:
    assert detect_family(config).name == family


def test_unknown_family_and_undetectable_config() -> None:
    with pytest.raises(ConfigError, match="known families: .*dream"):
        get_family("gpt5")
    with pytest.raises(ConfigError, match="my/folder.*'nonesuch'"):
        detect_family({"model_type": "nonesuch"}, source="my/folder")


class _Tok:
    """Just enough tokenizer for mask-id resolution."""

    def __init__(self, vocab: dict[str, int], mask_token: str | None = None) -> None:
        self.vocab, self.mask_token = vocab, mask_token

    def get_vocab(self) -> dict[str, int]:
        return self.vocab


def test_mask_id_resolution_order() -> None:
    dream = get_family("dream")
    vocab = {"<|mask|>": 7, "[MASK]": 3}
    cfg = SimpleNamespace(mask_token_id=9)
    assert resolve_mask_id(dream, _Tok(vocab, "[MASK]"), cfg, 200_000) == 3
    assert resolve_mask_id(dream, _Tok(vocab), cfg, 200_000) == 7
    assert resolve_mask_id(dream, _Tok({}), cfg, 200_000) == 9
    assert resolve_mask_id(dream, _Tok({}), SimpleNamespace(), 200_000) == 151666
    assert resolve_mask_id(get_family("llada"), _Tok({}), SimpleNamespace(), 200_000) == 126336


def test_mask_id_errors_name_value_and_source() -> None:
    with pytest.raises(ConfigError, match=r"151666 \(from the known mask id of family 'dream'\).*1000"):
        resolve_mask_id(get_family("dream"), _Tok({}), SimpleNamespace(), 1000)
    with pytest.raises(ValueError, match=r"2000 \(from config.mask_token_id\)"):
        resolve_mask_id(get_family("masked_lm"), _Tok({}), SimpleNamespace(mask_token_id=2000), 1000)
    with pytest.raises(ConfigError, match="no mask token for family 'masked_lm'"):
        resolve_mask_id(get_family("masked_lm"), _Tok({}), SimpleNamespace(), 1000)


def test_presets_name_the_known_checkpoints() -> None:
    assert PRESETS["dream-coder"].source == "Dream-org/Dream-Coder-v0-Instruct-7B"
    assert PRESETS["open-dcoder"].family == "qwen2_bidirectional"
    assert all(p.family in {"masked_lm", "dream", "llada", "qwen2_bidirectional"} for p in PRESETS.values())


# --- loading -------------------------------------------------------------------------------------


def test_round_trip_masked_lm_through_a_folder(tmp_path: Path, bert: HFDenoiser) -> None:
    folder = _save(bert.model, bert.tokenizer, tmp_path / "bert")
    loaded = load_model(folder, device="cpu")
    assert loaded.family.name == "masked_lm"
    assert (loaded.mask_token_id, loaded.pad_token_id, loaded.null_token_id) == (
        bert.mask_token_id,
        bert.pad_token_id,
        bert.null_token_id,
    )
    ids = _ids(16, b=2)
    torch.testing.assert_close(loaded.logits(ids), bert.logits(ids))
    assert loaded.encode(CODE) == bert.encode(CODE)


def test_max_length_is_the_trained_window_else_the_position_limit(tmp_path: Path) -> None:
    model = tiny_modernbert(max_positions=300)
    assert HFDenoiser(model, tiny_tokenizer(), "masked_lm").max_length == 300
    setattr(model.config, MAX_LENGTH_KEY, 128)  # what `coderemask train` writes
    loaded = load_model(_save(model, tiny_tokenizer(), tmp_path / "bert"), device="cpu")
    assert loaded.max_length == 128  # the key survives config.json
    assert AutoConfig.from_pretrained(EMBEDDED_DIR).to_dict()[MAX_LENGTH_KEY] == 256  # trained on 256-token windows


def test_round_trip_qwen2_is_detected_and_bidirectional(tmp_path: Path) -> None:
    folder = _save(tiny_qwen2(), tiny_qwen_tokenizer(), tmp_path / "qwen")
    loaded = load_model(str(folder), dtype="fp32")
    assert loaded.family.name == "qwen2_bidirectional"
    assert loaded.model.config._attn_implementation == "sdpa"
    assert loaded.mask_token_id == loaded.tokenizer.convert_tokens_to_ids(QWEN_MASK_TOKEN)
    reference = HFDenoiser(tiny_qwen2(), tiny_qwen_tokenizer(), "qwen2_bidirectional")
    ids = _ids()
    torch.testing.assert_close(loaded.logits(ids), reference.logits(ids))


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nope" / "model")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=f"{tmp_path.name}.*no config.json"):
        load_model(tmp_path)


def test_folder_without_weights(tmp_path: Path, bert: HFDenoiser) -> None:
    bert.model.config.save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="has no weights"):
        load_model(tmp_path)


def test_corrupt_safetensors(tmp_path: Path, bert: HFDenoiser) -> None:
    folder = _save(bert.model, bert.tokenizer, tmp_path)
    (folder / "model.safetensors").write_bytes(b"\x00not a safetensors file" * 4)
    with pytest.raises(ModelLoadError, match=f"weights of '{tmp_path}'"):
        load_model(folder)


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ModelLoadError, match="'dreamcoder'.*known presets: .*dream-coder"):
        load_model("dreamcoder")


def test_offline_hub_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match="coderemask-tests/no-such-model.*offline"):
        load_model("coderemask-tests/no-such-model")


def test_embedded_preset_without_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "EMBEDDED_DIR", tmp_path)
    monkeypatch.setitem(PRESETS, "embedded", Preset("embedded", str(tmp_path), "masked_lm"))
    with pytest.raises(ModelLoadError, match="embedded model is not there yet"):
        load_model("embedded")


def test_device_and_dtype_choice() -> None:
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_dtype(None, torch.device("cpu")) == torch.float32
    assert pick_dtype("bf16") == torch.bfloat16 and pick_dtype(torch.float16) == torch.float16
    with pytest.raises(ConfigError, match="'fp8'"):
        pick_dtype("fp8")
    with pytest.raises(ConfigError, match="'nodevice'"):
        pick_device("nodevice")
    if not torch.cuda.is_available():
        assert pick_device() == torch.device("cpu")
        with pytest.raises(ConfigError, match="CUDA is not available"):
            pick_device("cuda")
