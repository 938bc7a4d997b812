"""denoise(): the only denoising loop, and the one place the editable mask is enforced.

Each step makes one forward pass for the whole batch (B candidates, one NFE), asks the sampler
for a transition, and keeps ``torch.where(state.editable, new, old)`` so positions outside the
editable region never change, whatever the strategies do. The run ends when its steps are
spent, or earlier once nothing is masked and the sampler cannot change a decoded state (no
remasking, or a deterministic remasker that just left a decoded state as it was); a step that
can change nothing (nothing masked, no room to remask) is skipped without a forward pass.

It does not know source text, evidence, policies or budgets beyond the steps it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from coderemask.errors import ConfigError
from coderemask.sampler.sampler import Sampler, StepOutput, check_mask_id
from coderemask.sampler.state import DiffusionState

if TYPE_CHECKING:
    from coderemask.model.base import Denoiser

OnStep = Callable[[int, DiffusionState, StepOutput], None]
"""on_step(step_index, state after the step, the step's output) for progress and traces."""


@dataclass(frozen=True)
class DenoiseResult:
    """state: the final state (nothing masked: the schedule reveals all by the last step);
    steps: steps taken (each one forward pass for the whole batch; steps that could change
    nothing are skipped); nfe: forward passes counted by the model during the run."""

    state: DiffusionState
    steps: int
    nfe: int


def denoise(
    model: Denoiser,
    sampler: Sampler,
    state: DiffusionState,
    *,
    steps: int | None = None,
    generator: torch.Generator | None = None,
    on_step: OnStep | None = None,
) -> DenoiseResult:
    """Decode every masked position of ``state`` in at most ``steps`` steps.

    Args:
        model: the denoiser; its mask id must be the sampler's.
        sampler: the strategies.
        state: ids / editable / masked [B, L]; the run decodes the positions masked now.
        steps: step budget (default ``sampler.config.steps``).
        generator: noise source; default a generator seeded with ``sampler.config.seed``
            (or torch's global one when the seed is None).
        on_step: called after every step.

    Raises ConfigError for zero or negative steps, too few steps for the blocks, an empty
    editable region, masked positions that are not editable, or a mask id mismatch.
    """
    where = "SamplerConfig.steps" if steps is None else "denoise(steps)"
    n_steps = sampler.config.steps if steps is None else steps
    check_mask_id(model.mask_token_id, model.vocab_size, where="Denoiser.mask_token_id")
    if model.mask_token_id != sampler.mask_token_id:
        raise ConfigError(
            f"Denoiser.mask_token_id={model.mask_token_id} differs from the sampler's "
            f"mask_token_id={sampler.mask_token_id}; build it with Sampler.for_model"
        )
    state = state.with_(start_masked=state.masked.clone())
    sampler.check(state, n_steps, where=where)
    device = getattr(model, "device", state.ids.device)
    state = state.to(device)
    if generator is None:
        generator = sampler.generator(device)

    nfe_before = model.nfe
    taken = 0
    last: StepOutput | None = None
    with torch.no_grad():
        for step_index in range(n_steps):
            if _finished(state, sampler, last):
                break
            if not state.masked.any() and sampler.idle(state, step_index=step_index, n_steps=n_steps):
                continue  # e.g. ReMDM after the last token, where the schedule leaves no room
            logits = model.logits(state.ids, state.attention_mask)
            out = sampler.step(logits, state, step_index=step_index, n_steps=n_steps, generator=generator)
            state = _keep_fixed(state, out.state)
            last = StepOutput(
                state=state,
                committed=out.committed & state.editable,
                remasked=out.remasked & state.editable,
            )
            taken += 1
            if on_step is not None:
                on_step(step_index, state, last)
    return DenoiseResult(state=state, steps=taken, nfe=model.nfe - nfe_before)


def _keep_fixed(old: DiffusionState, new: DiffusionState) -> DiffusionState:
    """``new`` where ``old.editable``, ``old`` elsewhere; the masks and context come from old."""
    editable = old.editable
    return old.with_(
        ids=torch.where(editable, new.ids, old.ids),
        masked=new.masked & editable,
        confidence=torch.where(editable, new.confidence, old.confidence),
    )


def _finished(state: DiffusionState, sampler: Sampler, last: StepOutput | None) -> bool:
    """Nothing masked, and no later step could change the decoded ids."""
    if bool(state.masked.any()):
        return False
    if not sampler.revisits:
        return True
    unchanged = last is not None and not bool(last.committed.any() or last.remasked.any())
    return sampler.remasker.settles and unchanged
