"""The bug detector: a stock token classifier that says, per token, whether it was corrupted.

``coderemask train --detector`` saves it as ``detector/`` beside the masked LM (config.json,
weights, tokenizer: ``AutoModelForTokenClassification.from_pretrained(folder / "detector")``
loads it, no custom code). Label 1 (``CORRUPTED``) means "this token was edited". load_model
attaches a ``LazyDetector`` to the denoiser when its folder has one; nothing loads until a
witness or ``model-eval`` asks. This module knows tokens and checkpoints, not code, policies or
training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from coderemask.errors import ModelLoadError
from coderemask.model.hf import _max_length

DETECTOR_SUBFOLDER = "detector"
LABELS = {0: "clean", 1: "corrupted"}
CORRUPTED = 1


def detector_folder(folder: str | Path) -> Path | None:
    """``folder / "detector"`` when it holds a detector checkpoint, else None."""
    sub = Path(folder) / DETECTOR_SUBFOLDER
    return sub if (sub / "config.json").is_file() else None


class TokenDetector:
    """A loaded token classifier and its fast tokenizer: ids or text -> P(corrupted) per token."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int | None = None) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.max_length = max_length or int(getattr(model.config, "max_position_embeddings", 512))
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def probabilities(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids: LongTensor[B, L]; attention_mask: [B, L] (1 = real) or None -> FloatTensor[B, L] (cpu, fp32)."""
        with torch.inference_mode():
            out = self.model(
                input_ids=ids.to(self.device),
                attention_mask=None if attention_mask is None else attention_mask.to(self.device),
            )
            return out.logits.float().softmax(-1)[..., CORRUPTED].cpu()

    def score_text(self, text: str) -> tuple[list[tuple[int, int]], list[float]]:
        """(character range of each token of ``text``, its P(corrupted)); a text longer than
        ``max_length`` tokens is scored in consecutive windows, one padded batch."""
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids: Sequence[int] = enc["input_ids"]
        offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"]]
        if not ids:
            return [], []
        n = self.max_length
        chunks = [list(ids[i : i + n]) for i in range(0, len(ids), n)]
        width = max(len(c) for c in chunks)
        batch = torch.full((len(chunks), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros_like(batch)
        for r, c in enumerate(chunks):
            batch[r, : len(c)] = torch.tensor(c)
            mask[r, : len(c)] = 1
        probs = self.probabilities(batch, mask)[mask.bool()]
        return offsets, probs.tolist()


class LazyDetector:
    """A detector folder that loads on first ``get()`` (on the given device and dtype)."""

    def __init__(self, folder: Path, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> None:
        self.folder = Path(folder)
        self.device, self.dtype = device, dtype
        self._loaded: TokenDetector | None = None

    def __repr__(self) -> str:
        return f"LazyDetector({str(self.folder)!r}, loaded={self._loaded is not None})"

    def get(self) -> TokenDetector:
        """The loaded detector; ModelLoadError naming the folder when it cannot load."""
        if self._loaded is None:
            self._loaded = load_detector(self.folder, device=self.device, dtype=self.dtype)
        return self._loaded


def load_detector(
    folder: str | Path, *, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
) -> TokenDetector:
    """``AutoModelForTokenClassification`` + ``AutoTokenizer`` from ``folder`` (no network)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForTokenClassification.from_pretrained(folder, dtype=dtype).to(device)
    except Exception as e:  # a loading boundary: corrupt files raise many kinds
        raise ModelLoadError(
            f"could not load the detector in {str(folder)!r}: {type(e).__name__}: "
            f"{str(e).strip().splitlines()[0] if str(e).strip() else ''}"
        ) from e
    if model.config.num_labels != len(LABELS):
        raise ModelLoadError(
            f"the detector in {str(folder)!r} has {model.config.num_labels} labels; "
            f"a detector has {len(LABELS)} ({', '.join(LABELS.values())})"
        )
    return TokenDetector(model, tokenizer, _max_length(model.config))


def detector_of(model: Any) -> TokenDetector | None:
    """The detector a denoiser carries (``load_model`` attaches one when its folder has
    ``detector/``), loaded now; None when it has none."""
    lazy = getattr(model, "detector", None)
    return lazy.get() if lazy is not None else None
