"""HFDenoiser: a loaded transformers model + fast tokenizer seen through the Denoiser interface.

It applies the family's facts (logit shift, how the attention mask is passed, forced
bidirectional attention, special ids) and counts forward passes. It does not load anything from
disk or the hub (see loading.py), and knows nothing about sampling, source code or tests.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from coderemask.errors import ConfigError, ModelLoadError
from coderemask.model.base import Encoding
from coderemask.model.registry import (
    Family,
    get_family,
    resolve_mask_id,
    resolve_null_id,
    resolve_pad_id,
)


def shift_logits(logits: torch.Tensor) -> torch.Tensor:
    """[B, L, V] -> [B, L, V]: output i - 1 predicts token i (position 0 keeps its own output)."""
    return torch.cat([logits[:, :1], logits[:, :-1]], dim=1)


# ---------------------------------------------------------------------------------------------
# How the [B, L] padding mask reaches the model, one function per ``Family.attention`` style.
# Each takes (model, ids [B, L], attention_mask [B, L] or None) and returns forward kwargs.

AttentionArgs = Callable[[Any, torch.Tensor, "torch.Tensor | None"], dict[str, Any]]


def _positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """LongTensor[B, L]: position of each real token counted from the first real one."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def _key_padding_4d(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[B, L] (1 = real) -> [B, 1, L, L]: every query sees every real key, in both directions.

    bool: True = attend (sdpa). float: 0 = attend, dtype min = blocked (added to scores, eager).
    Padded queries still see the real keys, so no row is fully blocked (no NaN).
    """
    b, n = attention_mask.shape
    keep = attention_mask.bool()[:, None, None, :].expand(b, 1, n, n)
    if dtype == torch.bool:
        return keep
    return torch.zeros(keep.shape, dtype=dtype, device=keep.device).masked_fill(~keep, torch.finfo(dtype).min)


def _padding_args(model: Any, ids: torch.Tensor, attention_mask: torch.Tensor | None) -> dict[str, Any]:
    return {"attention_mask": attention_mask}


def _dream_args(model: Any, ids: torch.Tensor, attention_mask: torch.Tensor | None) -> dict[str, Any]:
    if attention_mask is None or bool(attention_mask.all()):
        return {"attention_mask": "full"}
    return {
        "attention_mask": _key_padding_4d(attention_mask, torch.bool),
        "position_ids": _positions(attention_mask),
    }


def _forced_bidirectional_args(model: Any, ids: torch.Tensor, attention_mask: torch.Tensor | None) -> dict[str, Any]:
    if attention_mask is None:
        attention_mask = torch.ones_like(ids)
    eager = model.config._attn_implementation == "eager"
    dtype = next(model.parameters()).dtype if eager else torch.bool
    return {
        "attention_mask": _key_padding_4d(attention_mask, dtype),
        "position_ids": _positions(attention_mask),
    }


ATTENTION_ARGS: dict[str, AttentionArgs] = {
    "padding": _padding_args,
    "dream": _dream_args,
    "forced_bidirectional": _forced_bidirectional_args,
}

BIDIRECTIONAL_KERNELS = ("sdpa", "eager")
"""Attention kernels that honour an explicit [B, 1, L, L] mask (flash-attention kernels do not)."""


def force_bidirectional(model: Any) -> None:
    """Make a stock causal transformers model attend in both directions (in place).

    The explicit 4D mask passed by ``_forced_bidirectional_args`` is what does it: transformers
    returns a prepared 4D mask unchanged instead of building a causal one, and sdpa / eager use
    it as given. As a second guard, for a code path that drops the mask, ``config.is_causal`` and
    every module's ``is_causal`` are set to False (sdpa falls back to ``is_causal=module.is_causal``
    when it gets no mask).
    """
    kernel = getattr(model.config, "_attn_implementation", None)
    if kernel not in BIDIRECTIONAL_KERNELS:
        raise ConfigError(
            f"attention kernel {kernel!r} cannot run {type(model).__name__} bidirectionally; "
            f"load it with attn_implementation in {BIDIRECTIONAL_KERNELS}"
        )
    model.config.is_causal = False
    for module in model.modules():
        if isinstance(getattr(module, "is_causal", None), bool):
            module.is_causal = False


MAX_LENGTH_KEY = "coderemask_max_length"
"""config.json key for the window (tokens) a checkpoint was trained on; ``coderemask train`` writes it."""


def _max_length(config: Any) -> int | None:
    """The longest row to send: the trained window (``MAX_LENGTH_KEY``), else the config's
    ``max_position_embeddings``, else None (unlimited)."""
    for key in (MAX_LENGTH_KEY, "max_position_embeddings"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _output_vocab_size(model: Any) -> int:
    """V: rows of the output projection, else ``config.vocab_size``."""
    try:
        head = model.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        head = None
    weight = getattr(head, "weight", None)
    return int(weight.shape[0]) if weight is not None else int(model.config.vocab_size)


class HFDenoiser:
    """Denoiser over a transformers model and its fast tokenizer.

    Attributes (see ``coderemask.model.base.Denoiser``): mask_token_id, pad_token_id,
    null_token_id, vocab_size, device, nfe, max_length; plus model, tokenizer and family, and
    ``detector``: a ``model.detector.LazyDetector`` when the checkpoint ships one, else None.
    """

    def __init__(self, model: Any, tokenizer: Any, family: Family | str) -> None:
        """Wrap ``model`` (already on its device, put in eval mode here) and ``tokenizer``.

        Raises ModelLoadError for a slow tokenizer (no character offsets) and ConfigError for
        special ids outside the vocabulary or a kernel that cannot run bidirectionally.
        """
        self.family = get_family(family)
        if not getattr(tokenizer, "is_fast", False):
            raise ModelLoadError(
                f"{type(tokenizer).__name__} is not a fast tokenizer; coderemask needs the "
                "character offsets only fast (Rust) tokenizers give"
            )
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.vocab_size = _output_vocab_size(model)
        config = model.config
        self.mask_token_id = resolve_mask_id(self.family, tokenizer, config, self.vocab_size)
        self.pad_token_id = resolve_pad_id(tokenizer, config, self.vocab_size, self.mask_token_id)
        self.null_token_id = resolve_null_id(self.family, tokenizer, self.vocab_size)
        self.nfe = 0
        self.max_length = _max_length(config)
        self.detector: Any = None  # load_model sets a LazyDetector when the folder has detector/
        self._attention_args = ATTENTION_ARGS[self.family.attention]
        if self.family.force_bidirectional:
            force_bidirectional(model)
        self._dropped = frozenset(
            i for i in (self.mask_token_id, self.pad_token_id, self.null_token_id) if i is not None
        )

    def __repr__(self) -> str:
        return (
            f"HFDenoiser({type(self.model).__name__}, family={self.family.name!r}, "
            f"V={self.vocab_size}, mask={self.mask_token_id}, device={self.device})"
        )

    def logits(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids: LongTensor[B, L]; attention_mask: [B, L] (1 = real token) or None.

        Returns FloatTensor[B, L, V] (fp32, on ``device``) with the family's shift applied.
        One call is one NFE. The result is an inference-mode tensor: clone it before editing
        it in place.
        """
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape [B, L]; got {tuple(ids.shape)}")
        if attention_mask is not None and attention_mask.shape != ids.shape:
            raise ValueError(
                f"attention_mask shape {tuple(attention_mask.shape)} differs from ids shape {tuple(ids.shape)}"
            )
        ids = ids.to(self.device)
        if attention_mask is not None:
            attention_mask = attention_mask.to(self.device)
        with torch.inference_mode():
            out = self.model(input_ids=ids, **self._attention_args(self.model, ids, attention_mask))
            logits = out.logits if hasattr(out, "logits") else out[0]
            if self.family.shift_logits:
                logits = shift_logits(logits)
            self.nfe += 1
            return logits.float()

    def encode(self, text: str) -> Encoding:
        """Token ids of ``text`` (no special tokens) with their character ranges."""
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return Encoding(
            ids=tuple(int(i) for i in enc["input_ids"]),
            offsets=tuple((int(s), int(e)) for s, e in enc["offset_mapping"]),
        )

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        """Text of ``ids`` ([L]); mask, pad and null tokens are dropped."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        kept = [int(i) for i in ids if int(i) not in self._dropped]
        return self.tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False)
