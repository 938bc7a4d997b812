"""Fill masked slots between pieces of text with a denoiser: the simplest use of the sampler.

A *template* alternates fixed text and slot counts, e.g. ``["def f(a):\\n    return ", 6, "\\n"]``.
The text form writes a slot group as ``[MASK]`` (one slot) or ``[MASK*N]`` (N slots).
Slots the model fills with [NULL] vanish, so a group may come back shorter than its slots.

This module knows text and the sampler; it does not know functions, tests or policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import torch

from coderemask.errors import ConfigError
from coderemask.model.base import Denoiser
from coderemask.sampler import DiffusionState, Sampler, SamplerConfig, denoise

Template = Sequence["str | int"]
_SLOT_RE = re.compile(r"\[MASK(?:\*(\d+))?\]")


def parse_template(text: str, *, where: str = "template") -> list[str | int]:
    """``"a [MASK*3] b"`` -> ``["a ", 3, " b"]``; ConfigError if there is no slot."""
    pieces: list[str | int] = []
    pos = 0
    for m in _SLOT_RE.finditer(text):
        pieces.append(text[pos : m.start()])
        n = int(m.group(1) or 1)
        if n < 1:
            raise ConfigError(f"{where}: {m.group(0)!r} asks for {n} slots; use at least 1")
        pieces.append(n)
        pos = m.end()
    pieces.append(text[pos:])
    if not any(isinstance(p, int) for p in pieces):
        raise ConfigError(f"{where}: no [MASK] or [MASK*N] slot to fill in {text[:60]!r}")
    return pieces


@dataclass(frozen=True)
class Filled:
    """One sample: the full text, the text of each slot group, and mean commit confidence."""

    text: str
    groups: tuple[str, ...]
    confidence: float


def encode_template(model: Denoiser, template: Template) -> tuple[list[int], list[bool], list[tuple[int, int]]]:
    """Ids of a template (each text piece encoded on its own, so no token straddles a slot
    group and fixed text stays byte-identical), which positions are slots, and each group's range."""
    ids: list[int] = []
    editable: list[bool] = []
    groups: list[tuple[int, int]] = []
    for piece in template:
        if isinstance(piece, int):
            groups.append((len(ids), len(ids) + piece))
            ids += [model.mask_token_id] * piece
            editable += [True] * piece
        elif piece:
            enc = model.encode(piece).ids
            ids += enc
            editable += [False] * len(enc)
    return ids, editable, groups


def fill(
    model: Denoiser, template: Template, config: SamplerConfig, *, samples: int = 1, steps: int | None = None
) -> list[Filled]:
    """Denoise every slot of ``template`` for ``samples`` candidates in one batch.

    Steps default to the number of slots (one token per step) when ``config.threshold`` is unset
    and the config keeps its default step count.
    """
    ids, editable, groups = encode_template(model, template)
    if not groups:
        raise ConfigError("template has no slot to fill")
    state = DiffusionState.from_ids(torch.tensor(ids), torch.tensor(editable), model.mask_token_id).repeat(samples)
    n_slots = sum(b - a for a, b in groups)
    sampler = Sampler.for_model(config, model)
    result = denoise(model, sampler, state, steps=steps if steps is not None else max(n_slots, 1))
    out: list[Filled] = []
    for row, conf in zip(result.state.ids.tolist(), result.state.confidence):
        texts = tuple(model.decode(row[a:b]) for a, b in groups)
        edit = torch.tensor(editable)
        out.append(Filled(model.decode(row), texts, float(conf.cpu()[edit].mean())))
    return out
