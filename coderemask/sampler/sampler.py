"""SamplerConfig and Sampler: one denoising transition, built from strategies chosen by name.

``Sampler.step`` turns the logits of one forward pass into the next state: it plans the step
(schedule.py), draws tokens and ranks masked positions (unmask.py), picks decoded tokens to send
back (remdm.py), reveals the planned number of tokens plus one per token sent back, and returns
which positions were committed and remasked. It never calls the model and never loops; that is
``loop.denoise``. It does not know source text: ids, masks and probabilities only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Callable

import torch

from coderemask.errors import ConfigError
from coderemask.sampler.remdm import REMASKERS, RemaskContext, Remasker
from coderemask.sampler.schedule import SCHEDULES, Planner, StepBudget, ThresholdPlanner
from coderemask.sampler.state import DiffusionState
from coderemask.sampler.unmask import (
    UNMASK_ORDERS,
    TokenSampler,
    model_log_probs,
    select_top,
    token_probs,
)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


_RANGES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("steps", lambda v: _is_int(v) and v >= 1, "must be an integer >= 1"),
    ("block_length", _optional(lambda v: _is_int(v) and v >= 1), "must be None or an integer >= 1"),
    ("threshold", _optional(lambda v: _is_num(v) and 0 < v <= 1), "must be None or in (0, 1]"),
    ("temperature", lambda v: _is_num(v) and v >= 0, "must be a number >= 0"),
    ("top_k", _optional(lambda v: _is_int(v) and v >= 1), "must be None or an integer >= 1"),
    ("top_p", _optional(lambda v: _is_num(v) and 0 < v <= 1), "must be None or in (0, 1]"),
    ("alg_temp", lambda v: _is_num(v) and v >= 0, "must be a number >= 0"),
    ("eta", lambda v: _is_num(v) and 0 <= v <= 1, "must be in [0, 1]"),
    ("t_on", lambda v: _is_num(v) and 0 < v < 1, "must be in (0, 1)"),
    ("t_off", lambda v: _is_num(v) and 0 < v < 1, "must be in (0, 1)"),
    ("remask_threshold", _optional(lambda v: _is_num(v) and 0 < v < 1), "must be None or in (0, 1)"),
    ("seed", _optional(_is_int), "must be None or an integer"),
)

_REMASK_FIELDS = ("eta", "t_on", "t_off", "remask_threshold")
"""Fields only some remask strategies read (``Remasker.uses``)."""


@dataclass(frozen=True)
class SamplerConfig:
    """Every sampling choice, validated on construction (ConfigError names field and value).

    Attributes:
        unmask: order of revealing ("random", "confidence", "margin", "entropy").
        schedule: masking schedule alpha(t) ("linear", "cosine").
        steps: denoising steps (forward passes) per run, unless ``denoise`` is given others.
        block_length: semi-autoregressive block size in masked tokens; None = one block.
        threshold: Fast-dLLM parallel decoding: reveal every token with confidence above it
            (at least one per step, at least the schedule's count); None = fixed counts.
        temperature, top_k, top_p: token sampling (temperature 0 = greedy).
        alg_temp: > 0 draws positions from softmax(score / alg_temp) instead of the top scores.
        remask: "none", ReMDM "cap" / "rescale" / "conf" / "loop", or "threshold".
        eta: ReMDM remasking strength in [0, 1] (0 = no remasking).
        t_on, t_off: ReMDM-loop window (0 < t_off < t_on < 1).
        remask_threshold: remask="threshold": send back decoded tokens with p below it.
        seed: seeds the run's torch.Generator when ``denoise`` is given none.
    """

    unmask: str = "confidence"
    schedule: str = "linear"
    steps: int = 32
    block_length: int | None = None
    threshold: float | None = None
    temperature: float = 0.0
    top_k: int | None = None
    top_p: float | None = None
    alg_temp: float = 0.0
    remask: str = "none"
    eta: float = 0.0
    t_on: float = 0.55
    t_off: float = 0.05
    remask_threshold: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for name, ok, requirement in _RANGES:
            value = getattr(self, name)
            if not ok(value):
                raise ConfigError(f"SamplerConfig.{name}={value!r}: {requirement}")
        if self.t_off >= self.t_on:
            raise ConfigError(f"SamplerConfig.t_off={self.t_off!r}: must be below t_on={self.t_on!r}")
        UNMASK_ORDERS.get(self.unmask, where="SamplerConfig.unmask")
        SCHEDULES.get(self.schedule, where="SamplerConfig.schedule")
        remasker = REMASKERS.get(self.remask, where="SamplerConfig.remask")
        self._check_remask_fields(remasker)

    def _check_remask_fields(self, remasker: type[Remasker]) -> None:
        defaults = {f.name: f.default for f in fields(self)}
        for name in _REMASK_FIELDS:
            value = getattr(self, name)
            if name not in remasker.uses and value != defaults[name]:
                users = [n for n, cls in REMASKERS.items() if name in cls.uses]
                raise ConfigError(
                    f"SamplerConfig.{name}={value!r}: not used by remask={self.remask!r} (used by {', '.join(users)})"
                )
        if "remask_threshold" in remasker.uses and self.remask_threshold is None:
            raise ConfigError(f"SamplerConfig.remask_threshold=None: remask={self.remask!r} needs a value in (0, 1)")


@dataclass(frozen=True)
class StepOutput:
    """One transition.

    Attributes:
        state: the next state.
        committed: BoolTensor[B, L]; positions revealed by this step.
        remasked: BoolTensor[B, L]; decoded positions sent back to the mask by this step.
    """

    state: DiffusionState
    committed: torch.Tensor
    remasked: torch.Tensor


def check_mask_id(mask_token_id: Any, vocab_size: int | None, *, where: str, vocab: str = "the vocabulary") -> None:
    """ConfigError unless ``mask_token_id`` is an id in [0, vocab_size) (None: no upper bound)."""
    if not _is_int(mask_token_id) or mask_token_id < 0 or (vocab_size is not None and mask_token_id >= vocab_size):
        raise ConfigError(f"{where}={mask_token_id!r}: outside {vocab} [0, {vocab_size})")


class Sampler:
    """Strategies named in a SamplerConfig, applied one step at a time.

    Args:
        config: the choices.
        mask_token_id: id written where a token is masked (never sampled).
        vocab_size: V, to check the mask id early (logits are checked at every step anyway).
    """

    def __init__(self, config: SamplerConfig, mask_token_id: int, *, vocab_size: int | None = None) -> None:
        check_mask_id(mask_token_id, vocab_size, where="Sampler.mask_token_id")
        self.config = config
        self.mask_token_id = int(mask_token_id)
        self.order = UNMASK_ORDERS.get(config.unmask, where="SamplerConfig.unmask")()
        self.remasker = REMASKERS.get(config.remask, where="SamplerConfig.remask").from_config(config)
        schedule = SCHEDULES.get(config.schedule, where="SamplerConfig.schedule")()
        self.planner: Planner = (
            Planner(schedule, config.block_length, self.remasker.warp)
            if config.threshold is None
            else ThresholdPlanner(schedule, config.threshold, config.block_length, self.remasker.warp)
        )
        self.tokens = TokenSampler(config.temperature, config.top_k, config.top_p)

    @classmethod
    def for_model(cls, config: SamplerConfig, model: Any) -> "Sampler":
        """A sampler using ``model``'s mask id, checked against its vocabulary."""
        check_mask_id(model.mask_token_id, model.vocab_size, where="Denoiser.mask_token_id")
        return cls(config, model.mask_token_id, vocab_size=model.vocab_size)

    def __repr__(self) -> str:
        return f"Sampler({self.config}, mask_token_id={self.mask_token_id})"

    @property
    def revisits(self) -> bool:
        """Whether a step may remask, so a fully decoded state may still change."""
        return self.remasker.active

    def idle(self, state: DiffusionState, *, step_index: int, n_steps: int) -> bool:
        """Whether step ``step_index`` can change nothing: no masked token to reveal and no
        room (or no strategy) to remask. The loop skips such steps without a forward pass."""
        budget = self.planner.budget(state.masked, state.run_masked, step_index=step_index, n_steps=n_steps)
        if bool(budget.reveal_pool.any()):
            return False
        if not self.remasker.active:
            return True
        room = budget.remask_pool.any(dim=1) & (budget.remask_cap > 0)
        return not bool(room.any())

    def generator(self, device: torch.device | str) -> torch.Generator | None:
        """A generator on ``device`` seeded with ``config.seed`` (None without a seed)."""
        if self.config.seed is None:
            return None
        return torch.Generator(device=device).manual_seed(self.config.seed)

    def check(self, state: DiffusionState, steps: Any, *, where: str = "steps") -> None:
        """ConfigError if ``state`` cannot be decoded in ``steps`` steps (named by ``where``)."""
        if not _is_int(steps) or steps < 1:
            raise ConfigError(f"{where}={steps!r}: must be an integer >= 1")
        ids = state.ids
        if ids.dim() != 2:
            raise ConfigError(f"DiffusionState.ids: shape {tuple(ids.shape)}, expected [B, L]")
        for name in ("editable", "masked", "confidence"):
            if getattr(state, name).shape != ids.shape:
                raise ConfigError(
                    f"DiffusionState.{name}: shape {tuple(getattr(state, name).shape)} differs "
                    f"from ids {tuple(ids.shape)}"
                )
        empty = (~state.editable.any(dim=1)).nonzero().flatten().tolist()
        if empty:
            raise ConfigError(f"DiffusionState.editable: candidate(s) {empty} have no editable position")
        outside = int((state.masked & ~state.editable).sum())
        if outside:
            raise ConfigError(f"DiffusionState.masked: {outside} masked position(s) are not editable")
        wrong = int((state.masked & (ids != self.mask_token_id)).sum())
        if wrong:
            raise ConfigError(
                f"DiffusionState.ids: {wrong} masked position(s) do not hold mask_token_id={self.mask_token_id}"
            )
        self.planner.blocks(state.run_masked | state.masked, steps, where=where)

    def step(
        self,
        logits: torch.Tensor,
        state: DiffusionState,
        *,
        step_index: int,
        n_steps: int,
        generator: torch.Generator | None = None,
    ) -> StepOutput:
        """One transition from the logits of the current state.

        logits: FloatTensor[B, L, V] for ``state.ids`` ([B, L]); step_index in [0, n_steps).
        Reveals ``n`` masked positions of the current block (the schedule's count, or the
        threshold rule, plus one per remasked token), writing the sampled token and its
        probability; sends remasked positions back to ``mask_token_id`` with confidence 0.
        Positions outside ``state.editable`` are never touched.
        """
        b, n = state.ids.shape
        if logits.dim() != 3 or tuple(logits.shape[:2]) != (b, n):
            raise ValueError(f"logits shape {tuple(logits.shape)} does not match ids [{b}, {n}, V]")
        check_mask_id(
            self.mask_token_id,
            logits.shape[-1],
            where="Sampler.mask_token_id",
            vocab="the logits' vocabulary",
        )
        budget = self.planner.budget(state.masked, state.run_masked, step_index=step_index, n_steps=n_steps)
        rows, cols = budget.reveal_pool.nonzero(as_tuple=True)
        log_probs = model_log_probs(logits[rows, cols], self.mask_token_id)  # [N, V]
        tokens = self.tokens.sample(log_probs, generator)
        ranking = self.order.ranking(log_probs, tokens, generator, self.config.alg_temp)
        remasked = self.remasker.select(self._remask_context(logits, state, budget), generator)

        conf = _scatter(torch.zeros_like(state.confidence), rows, cols, token_probs(log_probs, tokens))
        n_commit, forced = self.planner.commit_counts(budget, conf, remasked.sum(dim=1))
        score = torch.full((b, n), float("-inf"), dtype=torch.float64, device=conf.device)
        score = _scatter(score, rows, cols, ranking).masked_fill(forced, float("inf"))
        committed = select_top(score, budget.reveal_pool, n_commit)

        ids = torch.where(committed, _scatter(state.ids.clone(), rows, cols, tokens), state.ids)
        ids = ids.masked_fill(remasked, self.mask_token_id)
        confidence = torch.where(committed, conf, state.confidence).masked_fill(remasked, 0.0)
        masked = (state.masked & ~committed) | remasked
        new = state.with_(ids=ids, masked=masked, confidence=confidence)
        return StepOutput(state=new, committed=committed, remasked=remasked)

    def _remask_context(self, logits: torch.Tensor, state: DiffusionState, budget: StepBudget) -> RemaskContext:
        def current_confidence() -> torch.Tensor:
            rows, cols = budget.remask_pool.nonzero(as_tuple=True)
            log_probs = model_log_probs(logits[rows, cols], self.mask_token_id)
            probs = token_probs(log_probs, state.ids[rows, cols])
            return _scatter(torch.zeros_like(state.confidence), rows, cols, probs)

        return RemaskContext(
            candidates=budget.remask_pool,
            cap=budget.remask_cap,
            t=budget.t,
            alpha_t=budget.alpha_t,
            alpha_s=budget.alpha_s,
            commit_confidence=state.confidence,
            current_confidence=current_confidence,
        )


def _scatter(into: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """``into`` with ``into[rows, cols] = values`` (in place; returns it)."""
    into[rows, cols] = values.to(into.dtype)
    return into
