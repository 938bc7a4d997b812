"""The Denoiser interface: token ids in, logits out, and nothing about code or sampling.

A denoiser knows its tokenizer (encode with character offsets, decode) and its special ids.
It does not know what a function, a test or a sampling strategy is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import torch


@dataclass(frozen=True)
class Encoding:
    """Token ids of a text with the character range ``[start, end)`` each token covers."""

    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]

    def __len__(self) -> int:
        return len(self.ids)


@runtime_checkable
class Denoiser(Protocol):
    """A masked-diffusion model seen as a function from ids to per-position logits.

    Attributes:
        mask_token_id: id written in masked positions.
        pad_token_id: id used to pad a batch (never predicted).
        null_token_id: id of the "empty slot" token that lets a span shrink, or None.
        vocab_size: V, the last dimension of ``logits``.
        device: where ``logits`` runs.
        nfe: number of forward passes so far (one call of ``logits`` = one NFE).
        max_length: the longest row (tokens) callers should send: the window the model was
            trained on; None = unlimited. ``fit_context`` trims context to it.
    """

    mask_token_id: int
    pad_token_id: int
    null_token_id: int | None
    vocab_size: int
    device: torch.device
    nfe: int
    max_length: int | None

    def logits(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids: LongTensor[B, L]; attention_mask: LongTensor[B, L] (1 = real token) or None.

        Returns FloatTensor[B, L, V] (fp32): logits for the token at each position.
        """
        ...

    def encode(self, text: str) -> Encoding:
        """Tokenize ``text`` without special tokens; offsets are character offsets."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; mask, pad and null tokens are dropped."""
        ...


def fit_context(
    prefix: Sequence[int], suffix: Sequence[int], body_tokens: int, max_length: int | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The end of ``prefix`` and the start of ``suffix`` (the context nearest the body) that fit
    beside ``body_tokens`` within ``max_length`` (None: all of both). When they must shrink, each
    keeps its share of the room in proportion to its length; the body is never cut, so a body
    longer than ``max_length`` goes without context."""
    if max_length is None or len(prefix) + len(suffix) + body_tokens <= max_length:
        return tuple(prefix), tuple(suffix)
    room = max(max_length - body_tokens, 0)
    keep_suffix = room * len(suffix) // (len(prefix) + len(suffix))
    keep_prefix = room - keep_suffix
    return tuple(prefix[len(prefix) - keep_prefix :]), tuple(suffix[:keep_suffix])
