"""Denoisers: token ids in, per-position logits out (see base.py for the interface).

This package knows tokens and checkpoints, not source code, sampling or tests.
"""

from __future__ import annotations

from coderemask.model.base import Denoiser, Encoding
from coderemask.model.hf import HFDenoiser, shift_logits
from coderemask.model.loading import load_model, pick_device, pick_dtype
from coderemask.model.registry import (
    FAMILIES,
    PRESETS,
    Family,
    Preset,
    detect_family,
    get_family,
)

__all__ = [
    "Denoiser",
    "Encoding",
    "FAMILIES",
    "Family",
    "HFDenoiser",
    "PRESETS",
    "Preset",
    "detect_family",
    "get_family",
    "load_model",
    "pick_device",
    "pick_dtype",
    "shift_logits",
]
