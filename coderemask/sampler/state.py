"""DiffusionState: the tensors the sampler reads and writes, and nothing about source text.

Shapes: B candidates, L positions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch


@dataclass(frozen=True)
class DiffusionState:
    """One batch of partially decoded sequences.

    Attributes:
        ids: LongTensor[B, L]; masked positions hold the model's mask id.
        editable: BoolTensor[B, L]; only these positions may ever change.
        masked: BoolTensor[B, L]; positions currently masked (always a subset of ``editable``).
        confidence: FloatTensor[B, L]; probability the model gave the token when it was
            committed (1.0 for fixed context, 0.0 while masked).
        attention_mask: LongTensor[B, L] or None; 0 marks padding.
        start_masked: BoolTensor[B, L] or None; positions masked when the current denoising
            run began (set by ``denoise``). The step schedule counts from it, blocks split it,
            and only these positions may be remasked by the sampler. None: ``masked``.
    """

    ids: torch.Tensor
    editable: torch.Tensor
    masked: torch.Tensor
    confidence: torch.Tensor
    attention_mask: torch.Tensor | None = None
    start_masked: torch.Tensor | None = None

    @classmethod
    def from_ids(
        cls,
        ids: torch.Tensor,
        editable: torch.Tensor,
        mask_token_id: int,
        attention_mask: torch.Tensor | None = None,
    ) -> "DiffusionState":
        """Build a state from ids ([B, L] or [L]) where editable positions are to be masked.

        Every editable position is set to ``mask_token_id``.
        """
        if ids.dim() == 1:
            ids = ids.unsqueeze(0)
        if editable.dim() == 1:
            editable = editable.unsqueeze(0).expand_as(ids)
        editable = editable.to(torch.bool).clone()
        ids = torch.where(editable, torch.full_like(ids, mask_token_id), ids)
        confidence = torch.where(editable, 0.0, 1.0).to(torch.float32)
        return cls(
            ids=ids, editable=editable, masked=editable.clone(), confidence=confidence, attention_mask=attention_mask
        )

    @property
    def batch_size(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_masked(self) -> torch.Tensor:
        """LongTensor[B]: masked positions per candidate."""
        return self.masked.sum(dim=1)

    @property
    def run_masked(self) -> torch.Tensor:
        """BoolTensor[B, L]: ``start_masked``, or ``masked`` when no run has started."""
        return self.masked if self.start_masked is None else self.start_masked

    def with_(self, **changes: torch.Tensor) -> "DiffusionState":
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def _map(self, f: Callable[[torch.Tensor], torch.Tensor]) -> "DiffusionState":
        """The same state with ``f`` applied to every tensor (the optional ones when set)."""
        return DiffusionState(
            f(self.ids),
            f(self.editable),
            f(self.masked),
            f(self.confidence),
            None if self.attention_mask is None else f(self.attention_mask),
            None if self.start_masked is None else f(self.start_masked),
        )

    def to(self, device: torch.device | str) -> "DiffusionState":
        """The same state with every tensor on ``device``."""
        return self._map(lambda t: t.to(device))

    def remask(self, positions: torch.Tensor, mask_token_id: int) -> "DiffusionState":
        """Mask ``positions`` (BoolTensor[B, L]) again, restricted to editable positions."""
        positions = positions & self.editable
        return replace(
            self,
            ids=torch.where(positions, torch.full_like(self.ids, mask_token_id), self.ids),
            masked=self.masked | positions,
            confidence=torch.where(positions, torch.zeros_like(self.confidence), self.confidence),
        )

    def repeat(self, n: int) -> "DiffusionState":
        """Repeat a single-candidate state into ``n`` candidates (B -> B * n)."""
        return self._map(lambda t: t.repeat_interleave(n, dim=0))
