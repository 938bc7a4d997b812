"""Remasking: send tokens decoded earlier in the run back to [MASK] so they can be rewritten.

ReMDM (Wang et al. 2025, "Remasking Discrete Diffusion Models with Inference-Time Scaling")
remasks each decoded token with probability sigma_t in the step t -> s, and reveals masked
tokens so that, in expectation, a fraction 1 - alpha_s is still masked after the step:

    q(z_s | z_t = x)  = (1 - sigma_t) x + sigma_t m                      (decoded token)
    q(z_s | z_t = m)  = (alpha_s - (1 - sigma_t) alpha_t) / (1 - alpha_t) x
                        + (1 - alpha_s - sigma_t alpha_t) / (1 - alpha_t) m
    0 <= sigma_t <= sigma_max = min(1, (1 - alpha_s) / alpha_t)

Strategies, by name (``eta`` in [0, 1]; eta = 0 is the plain sampler, draw for draw):

    none       sigma = 0
    cap        sigma = min(eta, sigma_max)
    rescale    sigma = eta * sigma_max
    conf       sigma_i = eta * softmax_j(-psi_j)_i * sigma_max, psi = confidence at commit
               (over the decoded tokens; eta = 1 is the paper's ReMDM-conf)
    loop       alpha held at alpha(t_on) while t_off < t <= t_on (time is warped so the rest of
               the schedule still reaches alpha = 1), sigma = min(eta, sigma_max) in that
               window and 0 outside; eta = 0 turns the loop (and its warp) off
    threshold  every decoded token whose probability under the latest logits is below
               ``remask_threshold`` (WINO / Saber style verification), lowest first

In this count-based sampler the r tokens sent back are drawn (Bernoulli(sigma) per token,
capped by ``StepBudget.remask_cap``) and the step reveals r more masked tokens, which is the
same bookkeeping as the posterior above. Only tokens decoded in this run and in the current
block are candidates; reopening older code is the repair policy's job.

This module sees per-position probabilities and times; it does not know token ids, the model
or source text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar

import torch

from coderemask.sampler.registry import Registry
from coderemask.sampler.unmask import select_top, uniform

if TYPE_CHECKING:
    from coderemask.sampler.sampler import SamplerConfig

REMASKERS: Registry["Remasker"] = Registry("remask strategy")


@dataclass(frozen=True)
class RemaskContext:
    """What a remasker may look at in one step.

    Attributes:
        candidates: BoolTensor[B, L]; decoded tokens that may be sent back.
        cap: LongTensor[B]; most tokens that may be sent back.
        t: block time at the start of the step (not warped); alpha_t, alpha_s: warped alphas.
        commit_confidence: FloatTensor[B, L]; probability of each token when it was committed.
        current_confidence: () -> FloatTensor[B, L]; probability of each current token under
            the latest logits (computed on demand, at candidate positions).
    """

    candidates: torch.Tensor
    cap: torch.Tensor
    t: float
    alpha_t: float
    alpha_s: float
    commit_confidence: torch.Tensor
    current_confidence: Callable[[], torch.Tensor]


def sigma_max(alpha_t: float, alpha_s: float) -> float:
    """min(1, (1 - alpha_s) / alpha_t); 1 when nothing is revealed yet (alpha_t = 0)."""
    return 1.0 if alpha_t <= 0 else min(1.0, (1.0 - alpha_s) / alpha_t)


class Remasker(ABC):
    """Chooses decoded tokens to send back to [MASK]."""

    name: ClassVar[str]
    uses: ClassVar[frozenset[str]] = frozenset()
    """SamplerConfig fields this strategy reads (a non-default value elsewhere is an error)."""
    settles: ClassVar[bool] = False
    """True if a step that changed nothing in a fully decoded state would change nothing again
    (it depends only on the ids and the logits): the run may stop there."""

    @classmethod
    def from_config(cls, config: "SamplerConfig") -> "Remasker":
        return cls()

    @property
    def active(self) -> bool:
        """Whether it can ever remask (if not, a run may stop as soon as nothing is masked)."""
        return False

    def warp(self, t: float) -> float:
        """Time reparametrization applied before the schedule reads alpha."""
        return t

    @abstractmethod
    def select(self, ctx: RemaskContext, generator: torch.Generator | None) -> torch.Tensor:
        """BoolTensor[B, L]: tokens to send back, within ``ctx.candidates`` and ``ctx.cap``."""


@REMASKERS.register
class NoRemask(Remasker):
    name = "none"

    def select(self, ctx: RemaskContext, generator: torch.Generator | None) -> torch.Tensor:
        return torch.zeros_like(ctx.candidates)


class ReMDM(Remasker):
    """Bernoulli(sigma) remasking of decoded tokens; subclasses give sigma."""

    uses = frozenset({"eta"})

    def __init__(self, eta: float) -> None:
        self.eta = float(eta)

    @classmethod
    def from_config(cls, config: "SamplerConfig") -> "Remasker":
        return cls(config.eta)

    @property
    def active(self) -> bool:
        return self.eta > 0

    @abstractmethod
    def sigma(self, ctx: RemaskContext) -> torch.Tensor:
        """FloatTensor broadcastable to [B, L]: remasking probability of each decoded token."""

    def select(self, ctx: RemaskContext, generator: torch.Generator | None) -> torch.Tensor:
        sigma = (self.sigma(ctx) * ctx.candidates).clamp(0.0, 1.0)
        if not bool((sigma > 0).any()):
            return torch.zeros_like(ctx.candidates)  # no draw: eta = 0 replays the plain run
        u = uniform(tuple(sigma.shape), device=sigma.device, generator=generator)
        hit = ctx.candidates & (u < sigma)
        return select_top(u / sigma.clamp(min=1e-300), hit, ctx.cap, largest=False)


@REMASKERS.register
class CapRemask(ReMDM):
    name = "cap"

    def sigma(self, ctx: RemaskContext) -> torch.Tensor:
        return torch.tensor(min(self.eta, sigma_max(ctx.alpha_t, ctx.alpha_s)), dtype=torch.float64)


@REMASKERS.register
class RescaleRemask(ReMDM):
    name = "rescale"

    def sigma(self, ctx: RemaskContext) -> torch.Tensor:
        return torch.tensor(self.eta * sigma_max(ctx.alpha_t, ctx.alpha_s), dtype=torch.float64)


@REMASKERS.register
class ConfRemask(ReMDM):
    name = "conf"

    def sigma(self, ctx: RemaskContext) -> torch.Tensor:
        psi = ctx.commit_confidence.to(torch.float64)
        weight = (-psi).masked_fill(~ctx.candidates, float("-inf")).softmax(dim=1)
        weight = weight.nan_to_num(0.0)  # rows without candidates
        return self.eta * weight * sigma_max(ctx.alpha_t, ctx.alpha_s)


@REMASKERS.register
class LoopRemask(ReMDM):
    """ReMDM-loop: decode to alpha(t_on), loop there until t_off, then decode the rest."""

    name = "loop"
    uses = frozenset({"eta", "t_on", "t_off"})

    def __init__(self, eta: float, t_on: float, t_off: float) -> None:
        super().__init__(eta)
        self.t_on, self.t_off = float(t_on), float(t_off)

    @classmethod
    def from_config(cls, config: "SamplerConfig") -> "Remasker":
        return cls(config.eta, config.t_on, config.t_off)

    def in_window(self, t: float) -> bool:
        return self.t_off < t <= self.t_on

    def warp(self, t: float) -> float:
        if not self.active or t >= self.t_on:
            return t
        if t >= self.t_off:
            return self.t_on
        return t * self.t_on / self.t_off

    def sigma(self, ctx: RemaskContext) -> torch.Tensor:
        rate = min(self.eta, sigma_max(ctx.alpha_t, ctx.alpha_s)) if self.in_window(ctx.t) else 0.0
        return torch.tensor(rate, dtype=torch.float64)


@REMASKERS.register
class ThresholdRemask(Remasker):
    """Send back decoded tokens the latest logits no longer believe (p < threshold)."""

    name = "threshold"
    uses = frozenset({"remask_threshold"})
    settles = True

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)

    @classmethod
    def from_config(cls, config: "SamplerConfig") -> "Remasker":
        assert config.remask_threshold is not None  # SamplerConfig checks it
        return cls(config.remask_threshold)

    @property
    def active(self) -> bool:
        return True

    def select(self, ctx: RemaskContext, generator: torch.Generator | None) -> torch.Tensor:
        if not bool((ctx.candidates & (ctx.cap[:, None] > 0)).any()):
            return torch.zeros_like(ctx.candidates)
        current = ctx.current_confidence()
        doubtful = ctx.candidates & (current < self.threshold)
        return select_top(current, doubtful, ctx.cap, largest=False)
