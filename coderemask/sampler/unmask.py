"""Which masked positions to reveal first, and which token to write at each.

Orders, by name (higher score = revealed first):

    random      uniform scores: a random subset, as in MDLM ancestral sampling
    confidence  p(sampled token)       LLaDA low-confidence remasking (max-prob under greedy)
    margin      p(top-1) - p(top-2)    a confident choice between the two best tokens
    entropy     -H(p)                  Dream: the least uncertain positions first

With ``alg_temp`` > 0 positions are drawn without replacement from softmax(score / alg_temp)
(Gumbel-top-k) instead of taken greedily. Tokens are drawn by Gumbel-max with fp64 noise after
temperature, top-k and top-p; temperature 0 is argmax. All noise comes from the caller's
``torch.Generator``, so a seed makes a run repeatable.

Scores and confidences read the model's own distribution (temperature 1, no truncation), with
the mask token excluded. This module sees rows of logits of masked positions; it does not know
the schedule, the positions' meaning, the model or source text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch

from coderemask.sampler.registry import Registry

UNMASK_ORDERS: Registry["UnmaskOrder"] = Registry("unmask order")

_NOISE_ELEMENTS = 1 << 24
"""Token sampling works on chunks of rows with at most this many fp64 elements."""


def uniform(shape: tuple[int, ...], *, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
    """FloatTensor[shape] (fp64) in (0, 1)."""
    u = torch.rand(shape, dtype=torch.float64, device=device, generator=generator)
    return u.clamp(min=torch.finfo(torch.float64).tiny)


def gumbel(shape: tuple[int, ...], *, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
    """FloatTensor[shape] (fp64) of standard Gumbel noise, -log(-log u)."""
    return -torch.log(-torch.log(uniform(shape, device=device, generator=generator)))


def select_top(
    scores: torch.Tensor, allowed: torch.Tensor, counts: torch.Tensor, *, largest: bool = True
) -> torch.Tensor:
    """BoolTensor[B, L]: per row, the ``counts[b]`` allowed positions with the best scores.

    scores: [B, L]; allowed: BoolTensor[B, L]; counts: LongTensor[B]. Ties go to the leftmost
    position. Never selects more than the allowed positions.
    """
    fill = float("-inf") if largest else float("inf")
    key = scores.to(torch.float64).masked_fill(~allowed, fill)
    order = key.argsort(dim=1, descending=largest, stable=True)
    positions = torch.arange(scores.shape[1], device=scores.device).expand_as(order)
    rank = torch.empty_like(order).scatter_(1, order, positions)
    return allowed & (rank < counts[:, None])


class UnmaskOrder(ABC):
    """Scores masked positions; the highest are revealed first."""

    name: ClassVar[str]

    @abstractmethod
    def score(self, log_probs: torch.Tensor, tokens: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """log_probs: FloatTensor[N, V]; tokens: LongTensor[N] (sampled) -> FloatTensor[N]."""

    def ranking(
        self,
        log_probs: torch.Tensor,
        tokens: torch.Tensor,
        generator: torch.Generator | None,
        alg_temp: float = 0.0,
    ) -> torch.Tensor:
        """FloatTensor[N] (fp64) to rank by: the score, or score / alg_temp + Gumbel noise."""
        score = self.score(log_probs, tokens, generator).to(torch.float64)
        if alg_temp <= 0:
            return score
        return score / alg_temp + gumbel(score.shape, device=score.device, generator=generator)


@UNMASK_ORDERS.register
class RandomOrder(UnmaskOrder):
    name = "random"

    def score(self, log_probs: torch.Tensor, tokens: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return uniform(tokens.shape, device=tokens.device, generator=generator)


@UNMASK_ORDERS.register
class ConfidenceOrder(UnmaskOrder):
    name = "confidence"

    def score(self, log_probs: torch.Tensor, tokens: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return token_probs(log_probs, tokens)


@UNMASK_ORDERS.register
class MarginOrder(UnmaskOrder):
    name = "margin"

    def score(self, log_probs: torch.Tensor, tokens: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        top = log_probs.topk(min(2, log_probs.shape[-1]), dim=-1).values.exp()
        return top[:, 0] - (top[:, 1] if top.shape[1] > 1 else 0.0)


@UNMASK_ORDERS.register
class EntropyOrder(UnmaskOrder):
    name = "entropy"

    def score(self, log_probs: torch.Tensor, tokens: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        p = log_probs.exp()
        return torch.where(p > 0, p * log_probs, torch.zeros_like(p)).sum(dim=-1)


def token_probs(log_probs: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """FloatTensor[N]: probability of ``tokens`` (LongTensor[N]) under ``log_probs`` [N, V]."""
    return log_probs.gather(-1, tokens[:, None]).squeeze(-1).exp()


def model_log_probs(logits: torch.Tensor, mask_token_id: int) -> torch.Tensor:
    """FloatTensor[N, V] (fp32): log-softmax of ``logits`` [N, V] with the mask token excluded."""
    logits = logits.float().clone()
    logits[:, mask_token_id] = float("-inf")
    return logits.log_softmax(dim=-1)


@dataclass(frozen=True)
class TokenSampler:
    """Draws one token per row: temperature, then top-k, then top-p, then Gumbel-max (fp64).

    temperature 0 is greedy (argmax); top_k / top_p None leave the distribution whole.
    """

    temperature: float = 0.0
    top_k: int | None = None
    top_p: float | None = None

    def sample(self, log_probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """log_probs: FloatTensor[N, V] (the mask token already at -inf) -> LongTensor[N]."""
        if self.temperature == 0 or log_probs.shape[0] == 0:
            return log_probs.argmax(dim=-1)
        rows = max(1, _NOISE_ELEMENTS // log_probs.shape[-1])
        return torch.cat([self._draw(chunk, generator) for chunk in log_probs.split(rows)])

    def _draw(self, log_probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        x = log_probs.to(torch.float64) / self.temperature
        if self.top_k is not None and self.top_k < x.shape[-1]:
            kth = x.topk(self.top_k, dim=-1).values[:, -1:]
            x = x.masked_fill(x < kth, float("-inf"))
        if self.top_p is not None and self.top_p < 1:
            x = _nucleus(x, self.top_p)
        return (x + gumbel(x.shape, device=x.device, generator=generator)).argmax(dim=-1)


def _nucleus(x: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of tokens whose probability reaches ``top_p`` (at least one)."""
    sorted_x, order = x.sort(dim=-1, descending=True)
    p = sorted_x.softmax(dim=-1)
    before = p.cumsum(dim=-1) - p  # probability of the better tokens
    drop_sorted = before >= top_p
    drop = torch.zeros_like(drop_sorted).scatter_(-1, order, drop_sorted)
    return x.masked_fill(drop, float("-inf"))
