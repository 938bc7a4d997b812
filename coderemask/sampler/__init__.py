"""Masked-diffusion sampling: one transition per call, one loop, strategies chosen by name.

The sampler sees ids, masks, probabilities and times; it never sees source text.
"""

from __future__ import annotations

from coderemask.sampler.loop import DenoiseResult, OnStep, denoise
from coderemask.sampler.remdm import REMASKERS, RemaskContext, Remasker, sigma_max
from coderemask.sampler.sampler import Sampler, SamplerConfig, StepOutput
from coderemask.sampler.schedule import SCHEDULES, Blocks, Planner, Schedule, StepBudget
from coderemask.sampler.state import DiffusionState
from coderemask.sampler.unmask import UNMASK_ORDERS, TokenSampler, UnmaskOrder, select_top

__all__ = [
    "REMASKERS",
    "SCHEDULES",
    "UNMASK_ORDERS",
    "Blocks",
    "DenoiseResult",
    "DiffusionState",
    "OnStep",
    "Planner",
    "RemaskContext",
    "Remasker",
    "Sampler",
    "SamplerConfig",
    "Schedule",
    "StepBudget",
    "StepOutput",
    "TokenSampler",
    "UnmaskOrder",
    "denoise",
    "select_top",
    "sigma_max",
]
