"""Step budgets: how many masked tokens each denoising step reveals, and from which positions.

Time runs from t = 1 (every position of the run masked) to t = 0 (all revealed); a step goes from
t to s < t. A masking schedule gives alpha(t), the fraction revealed at time t (MDLM's alpha_t):

    linear   alpha(t) = 1 - t
    cosine   alpha(t) = 1 - cos(pi/2 * (1 - t))         (MaskGIT: few tokens first, many last)

A block of M masked positions holds M - ceil(M * alpha(s)) masked positions after the step that
ends at s, so the per-step counts sum to M and the last step (s = 0) reveals the rest.

Semi-autoregressive blocks (LLaDA ``block_length``) split the positions masked at the start of the
run, left to right, into blocks of ``block_length``; block b is decoded in its own share of the
steps, each block running its own t from 1 to 0. Confidence-threshold decoding (Fast-dLLM)
reveals every masked token whose confidence is above a threshold, at least one per step, with
the schedule as a floor that keeps the run within its step budget; a candidate that finishes a
block early moves on to the next one, so easy inputs take fewer steps.

Remasking (remdm.py) sends r decoded tokens back; the step then reveals r more (as many as are
masked), so the number still masked never exceeds the schedule's target. ``remask_cap`` bounds
r by that target (ReMDM's sigma_max = (1 - alpha_s) / alpha_t is the same bound in expectation);
it is 0 at the last step, which therefore always finishes.

This module counts positions. It does not know token ids, logits, the model or source text.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, ClassVar

import torch

from coderemask.errors import ConfigError
from coderemask.sampler.registry import Registry

SCHEDULES: Registry["Schedule"] = Registry("schedule")


class Schedule(ABC):
    """A masking schedule alpha(t): fraction of a block revealed at time t in [0, 1]."""

    name: ClassVar[str]

    @abstractmethod
    def alpha(self, t: float) -> float:
        """alpha(1) = 0 (all masked), alpha(0) = 1 (all revealed), non-increasing in t."""

    def revealed(self, total: torch.Tensor, t: float) -> torch.Tensor:
        """LongTensor[B]: positions revealed by time t out of ``total`` (LongTensor[B]).

        ceil(total * alpha(t)), exact at t = 0 and t = 1.
        """
        a = min(max(self.alpha(t), 0.0), 1.0)
        count = torch.ceil(total.to(torch.float64) * a - 1e-9).long()
        return torch.minimum(count.clamp(min=0), total)

    def counts(self, total: int, steps: int) -> list[int]:
        """Tokens revealed at each of ``steps`` steps for a block of ``total`` (sums to total)."""
        m = torch.tensor([total])
        done = [int(self.revealed(m, 1.0 - j / steps)) for j in range(steps + 1)]
        return [b - a for a, b in zip(done, done[1:])]


@SCHEDULES.register
class LinearSchedule(Schedule):
    """alpha(t) = 1 - t: the same number of tokens every step (MDLM log-linear, LLaDA)."""

    name = "linear"

    def alpha(self, t: float) -> float:
        return 1.0 - t


@SCHEDULES.register
class CosineSchedule(Schedule):
    """alpha(t) = 1 - cos(pi/2 (1 - t)): few tokens early, many late (MaskGIT)."""

    name = "cosine"

    def alpha(self, t: float) -> float:
        return 1.0 - math.cos(0.5 * math.pi * (1.0 - t))


def identity(t: float) -> float:
    return t


@dataclass(frozen=True)
class Blocks:
    """The run's masked positions split into blocks decoded left to right.

    Attributes:
        index: LongTensor[B, L]; block of each position of the run, -1 elsewhere.
        sizes: LongTensor[B, n_blocks]; positions of the run in each block.
        steps: steps granted to each block (they sum to the run's steps).
    """

    index: torch.Tensor
    sizes: torch.Tensor
    steps: tuple[int, ...]

    @classmethod
    def split(cls, run: torch.Tensor, block_length: int | None, n_steps: int, *, where: str = "steps") -> "Blocks":
        """Split ``run`` (BoolTensor[B, L]) into blocks of ``block_length`` (None: one block).

        Steps go to blocks evenly, the first blocks taking the remainder. ConfigError if a
        block would get no step.
        """
        if n_steps < 1:
            raise ConfigError(f"{where}={n_steps}: must be >= 1")
        run = run.bool()
        longest = int(run.sum(dim=1).max()) if run.numel() else 0
        if block_length is None:
            n_blocks = 1
            index = torch.where(run, 0, -1)
        else:
            n_blocks = max(1, -(-longest // block_length))
            rank = run.long().cumsum(dim=1) - 1
            index = torch.where(run, rank // block_length, -1)
        if n_steps < n_blocks:
            raise ConfigError(
                f"{where}={n_steps}: block decoding needs at least one step per block; "
                f"{longest} masked tokens make {n_blocks} blocks of block_length={block_length}"
            )
        sizes = torch.zeros(run.shape[0], n_blocks, dtype=torch.long, device=run.device)
        sizes.scatter_add_(1, index.clamp(min=0), run.long())
        base, extra = divmod(n_steps, n_blocks)
        steps = tuple(base + (b < extra) for b in range(n_blocks))
        return cls(index=index, sizes=sizes, steps=steps)

    @property
    def n_blocks(self) -> int:
        return len(self.steps)

    def locate(self, step_index: int) -> tuple[int, int, int]:
        """(block, step within the block, steps of the block) of global step ``step_index``."""
        start = 0
        for block, n in enumerate(self.steps):
            if step_index < start + n:
                return block, step_index - start, n
            start += n
        raise ConfigError(f"step_index={step_index}: outside the {start} steps of this run")


@dataclass(frozen=True)
class StepBudget:
    """What one step may and must do, per candidate.

    Attributes:
        reveal_pool: BoolTensor[B, L]; masked positions this step may reveal.
        remask_pool: BoolTensor[B, L]; tokens decoded in this run, in the current block (the
            only ones remasking may send back).
        n_reveal: LongTensor[B]; tokens the step must reveal before any remasking.
        remask_cap: LongTensor[B]; most tokens remasking may send back: the schedule's target
            for the masked count after the step (0 at a block's last step).
        t: the block's time at the start of the step (before any warp).
        alpha_t: fraction of the block revealed at t (after the warp).
        alpha_s: fraction of the block revealed after the step (after the warp).
    """

    reveal_pool: torch.Tensor
    remask_pool: torch.Tensor
    n_reveal: torch.Tensor
    remask_cap: torch.Tensor
    t: float
    alpha_t: float
    alpha_s: float


class Planner:
    """Fixed counts: after step j of a block of M positions, M - ceil(M alpha(s_j)) stay masked.

    ``warp`` reparametrizes time before alpha is read (ReMDM-loop holds it fixed in a window).
    """

    def __init__(
        self,
        schedule: Schedule,
        block_length: int | None = None,
        warp: Callable[[float], float] = identity,
    ) -> None:
        self.schedule = schedule
        self.block_length = block_length
        self.warp = warp

    def blocks(self, run: torch.Tensor, n_steps: int, *, where: str = "steps") -> Blocks:
        return Blocks.split(run, self.block_length, n_steps, where=where)

    def budget(
        self,
        masked: torch.Tensor,
        run: torch.Tensor,
        *,
        step_index: int,
        n_steps: int,
    ) -> StepBudget:
        """masked, run: BoolTensor[B, L] (now masked; masked when the run began)."""
        run = run | masked
        blocks = self.blocks(run, n_steps)
        block, j, n = blocks.locate(step_index)
        t, s = 1.0 - j / n, 1.0 - (j + 1) / n
        current = self._current_block(blocks, masked, block)  # [B]
        ahead = current > block
        size = blocks.sizes.gather(1, current[:, None]).squeeze(1)
        done = torch.where(ahead, 0, self.schedule.revealed(size, self.warp(s)))
        target = size - done  # masked positions allowed in the pool after the step

        index = blocks.index
        reveal_pool = masked & (index >= 0) & (index <= current[:, None])
        remask_pool = run & ~masked & (index == current[:, None])
        n_pool = reveal_pool.sum(dim=1)
        n_reveal = self._floor((n_pool - target).clamp(min=0), n_pool)
        remask_cap = torch.where(ahead, 0, target)
        return StepBudget(
            reveal_pool=reveal_pool,
            remask_pool=remask_pool,
            n_reveal=n_reveal,
            remask_cap=remask_cap,
            t=t,
            alpha_t=self.schedule.alpha(self.warp(t)),
            alpha_s=self.schedule.alpha(self.warp(s)),
        )

    def commit_counts(
        self, budget: StepBudget, confidence: torch.Tensor, n_remasked: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """How many pool tokens to reveal ([B]) and which must be among them ([B, L]).

        confidence: FloatTensor[B, L], probability of the sampled token in the pool.
        n_remasked: LongTensor[B], tokens sent back this step (revealed again elsewhere).
        """
        n = torch.minimum(budget.n_reveal + n_remasked, budget.reveal_pool.sum(dim=1))
        return n, torch.zeros_like(budget.reveal_pool)

    def _current_block(self, blocks: Blocks, masked: torch.Tensor, block: int) -> torch.Tensor:
        return torch.full((masked.shape[0],), block, dtype=torch.long, device=masked.device)

    def _floor(self, n_reveal: torch.Tensor, n_pool: torch.Tensor) -> torch.Tensor:
        return n_reveal


class ThresholdPlanner(Planner):
    """Fast-dLLM parallel decoding: reveal every pool token with confidence > ``threshold``.

    At least one token per step, and at least the schedule's count so the run still ends within
    its steps. A candidate whose current block is done moves to its next block at once.
    """

    def __init__(
        self,
        schedule: Schedule,
        threshold: float,
        block_length: int | None = None,
        warp: Callable[[float], float] = identity,
    ) -> None:
        super().__init__(schedule, block_length, warp)
        self.threshold = threshold

    def commit_counts(
        self, budget: StepBudget, confidence: torch.Tensor, n_remasked: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        sure = budget.reveal_pool & (confidence > self.threshold)
        n = torch.maximum(budget.n_reveal + n_remasked, sure.sum(dim=1))
        return torch.minimum(n, budget.reveal_pool.sum(dim=1)), sure

    def _current_block(self, blocks: Blocks, masked: torch.Tensor, block: int) -> torch.Tensor:
        last = blocks.n_blocks - 1
        open_blocks = torch.where(masked & (blocks.index >= 0), blocks.index, last)
        first_open = open_blocks.min(dim=1).values
        return first_open.clamp(min=block, max=last)

    def _floor(self, n_reveal: torch.Tensor, n_pool: torch.Tensor) -> torch.Tensor:
        return torch.minimum(n_reveal.clamp(min=1), n_pool)
