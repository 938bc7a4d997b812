"""Tiny transformers models and tokenizers built from configs, for tests and the benchmark.

Nothing here downloads anything. Weights are random but deterministic under ``seed``.
This module does not know about denoisers, samplers or families: it only builds HF objects.
"""

from __future__ import annotations

import functools

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    ModernBertConfig,
    ModernBertForMaskedLM,
    ModernBertForTokenClassification,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

SPECIAL_TOKENS = ("[MASK]", "[PAD]", "[NULL]", "[UNK]", "[CLS]", "[SEP]")
QWEN_MASK_TOKEN = "<M>"

CORPUS = (
    "def add(a, b):\n    return a + b\n",
    "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n",
    "for i in range(10):\n    print(i, i * i)\n",
    "import os\nwith open(path) as f:\n    data = f.read()\n",
    "x = [y for y in xs if y is not None]\n",
)


@functools.lru_cache(maxsize=1)
def _trained_bpe() -> str:
    """A byte-level BPE trained on ``CORPUS``, serialized (cached: training is the slow part)."""
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return tok.to_str()


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """Masked-LM style tokenizer: ``[MASK]`` is its mask token, ``[NULL]`` is in the vocab."""
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_trained_bpe()),
        mask_token="[MASK]",
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )


def tiny_qwen_tokenizer() -> PreTrainedTokenizerFast:
    """Open-dCoder style tokenizer: no ``mask_token`` attribute, an added ``<M>`` token instead."""
    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_trained_bpe()),
        pad_token="[PAD]",
        unk_token="[UNK]",
    )
    tok.add_special_tokens({"additional_special_tokens": [QWEN_MASK_TOKEN]})
    return tok


def tiny_modernbert(
    vocab_size: int | None = None,
    *,
    hidden: int = 32,
    layers: int = 2,
    max_positions: int = 512,
    seed: int = 0,
) -> ModernBertForMaskedLM:
    """A ModernBERT masked LM (hidden 32, 2 layers) sized to the tiny tokenizer's vocab."""
    tok = tiny_tokenizer()
    ids = tok.convert_tokens_to_ids
    config = ModernBertConfig(
        vocab_size=vocab_size or len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        max_position_embeddings=max_positions,
        local_attention=max_positions,
        pad_token_id=ids("[PAD]"),
        bos_token_id=ids("[CLS]"),
        cls_token_id=ids("[CLS]"),
        eos_token_id=ids("[SEP]"),
        sep_token_id=ids("[SEP]"),
        attn_implementation="sdpa",
    )
    torch.manual_seed(seed)
    return ModernBertForMaskedLM(config).eval()


def tiny_qwen2(
    *, hidden: int = 32, layers: int = 2, attn_implementation: str = "sdpa", seed: int = 0
) -> Qwen2ForCausalLM:
    """A stock Qwen2 causal LM (hidden 32, 2 layers) over the tiny tokenizer plus ``<M>``."""
    tok = tiny_qwen_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
        attn_implementation=attn_implementation,
    )
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(config).eval()


def tiny_detector(token: str, *, seed: int = 0) -> ModernBertForTokenClassification:
    """A ModernBERT token classifier (2 labels) over the tiny tokenizer, set by hand to say
    "corrupted" (P > 0.9) exactly where ``token`` is and "clean" (P < 0.1) elsewhere.

    The layers' output projections are zeroed, so each position's state depends on its own token
    only; the head ends in a bias-free LayerNorm, so every state has the same norm and the
    classifier row ``u = h(token) / |h(token)|`` scores ``token`` strictly highest (Cauchy-Schwarz).
    """
    mlm = tiny_modernbert(seed=seed)
    config = ModernBertConfig.from_dict(
        {
            **mlm.config.to_dict(),
            "num_labels": 2,
            "id2label": {0: "clean", 1: "corrupted"},
            "label2id": {"clean": 0, "corrupted": 1},
        }
    )
    torch.manual_seed(seed)
    det = ModernBertForTokenClassification(config).eval()
    with torch.no_grad():
        for layer in det.model.layers:
            layer.attn.Wo.weight.zero_()
            layer.mlp.Wo.weight.zero_()
        ids = tiny_tokenizer().convert_tokens_to_ids([token])
        h = det.head(det.model(input_ids=torch.tensor([ids])).last_hidden_state)[0, 0]
        u = h / h.norm()
        det.classifier.weight.zero_()
        det.classifier.weight[1] = 20 * u
        det.classifier.bias.copy_(torch.tensor([0.0, -20 * 0.95 * float(h.norm())]))
    return det


def save_tiny_checkpoint(folder, detector: ModernBertForTokenClassification | None = None) -> None:
    """A tiny masked LM + tokenizer in ``folder``, with ``detector/`` beside it when given."""
    tok = tiny_tokenizer()
    tiny_modernbert().save_pretrained(folder)
    tok.save_pretrained(folder)
    if detector is not None:
        detector.save_pretrained(folder / "detector")
        tok.save_pretrained(folder / "detector")
