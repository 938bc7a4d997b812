"""Small deterministic stand-ins for tests: a fake denoiser and state builders.

Nothing here is imported by the package.
"""

from __future__ import annotations

import re
from typing import Sequence

import torch

from coderemask.model.base import Encoding
from coderemask.sampler import DiffusionState

VOCAB = 32
MASK = VOCAB - 1
NULL = VOCAB - 2
PAD = 0


class FakeDenoiser:
    """Prefers ``target[l]`` at position l, with a position-dependent confidence.

    p(target[l]) = c[l] + gain * (1 - c[l]) * (fraction of the row not masked); the rest is
    spread evenly over the other ordinary tokens. The mask token gets a large logit, which the
    sampler must ignore. ``calls`` records the [B, L] shape of every forward pass.
    """

    def __init__(
        self,
        target: Sequence[int],
        confidence: float | Sequence[float] = 0.6,
        *,
        gain: float = 0.0,
        vocab_size: int = VOCAB,
    ) -> None:
        self.target = torch.as_tensor(list(target), dtype=torch.long)
        length = len(self.target)
        c = torch.as_tensor(confidence, dtype=torch.float64)
        self.confidence = c.expand(length).clone() if c.dim() == 0 else c
        self.gain = gain
        self.vocab_size = vocab_size
        self.mask_token_id = vocab_size - 1
        self.null_token_id: int | None = vocab_size - 2
        self.pad_token_id = PAD
        self.device = torch.device("cpu")
        self.nfe = 0
        self.max_length: int | None = None
        self.calls: list[tuple[int, int]] = []

    def logits(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, n = ids.shape
        self.nfe += 1
        self.calls.append((b, n))
        known = (ids != self.mask_token_id).to(torch.float64).mean(dim=1, keepdim=True)  # [B, 1]
        c = self.confidence[None, :n]
        p = (c + self.gain * (1 - c) * known).clamp(max=1 - 1e-6)  # [B, L]
        rest = (1 - p) / (self.vocab_size - 2)
        probs = rest[..., None].expand(b, n, self.vocab_size).clone()
        probs.scatter_(2, self.target[None, :n, None].expand(b, n, 1), p[..., None])
        logits = probs.log()
        logits[..., self.mask_token_id] = 10.0
        return logits.float()

    def encode(self, text: str) -> Encoding:
        ids = tuple(1 + (ord(ch) % (self.vocab_size - 3)) for ch in text)
        return Encoding(ids=ids, offsets=tuple((i, i + 1) for i in range(len(text))))

    def decode(self, ids: Sequence[int]) -> str:
        dropped = {self.mask_token_id, self.pad_token_id, self.null_token_id}
        return " ".join(str(int(i)) for i in ids if int(i) not in dropped)


def target_ids(length: int, *, seed: int = 0) -> list[int]:
    """A fixed sequence of ordinary tokens (1 .. VOCAB - 3)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(1, VOCAB - 2, (length,), generator=g).tolist()


def ramp(length: int, low: float = 0.3, high: float = 0.9) -> list[float]:
    """Position-dependent confidences, a saw-tooth between ``low`` and ``high``."""
    return [low + (high - low) * ((7 * i) % 11) / 10 for i in range(length)]


def make_state(
    context: Sequence[int],
    spans: Sequence[tuple[int, int]],
    *,
    batch: int = 1,
    mask_token_id: int = MASK,
    decoded: Sequence[tuple[int, int]] = (),
) -> DiffusionState:
    """A state over ``context`` with ``spans`` ([start, end)) editable and masked.

    ``decoded`` spans are editable but left as they are (code a repair round keeps).
    """
    ids = torch.as_tensor(list(context), dtype=torch.long)
    masked = torch.zeros(len(ids), dtype=torch.bool)
    for start, end in spans:
        masked[start:end] = True
    state = DiffusionState.from_ids(ids, masked, mask_token_id).repeat(batch)
    editable = state.editable.clone()
    for start, end in decoded:
        editable[:, start:end] = True
    return state.with_(editable=editable)


class OracleDenoiser:
    """A character-level denoiser that knows the right function text (``solution``).

    For each masked run it reads the known text left and right of the run; when those are a
    prefix and a suffix of the solution it predicts the missing characters, then [NULL] in the
    slots left over. Otherwise (the run is in the wrong place) it predicts ``wrong`` characters.
    Confident either way, so the repair loop, not the model, must find the right place.
    """

    def __init__(self, solution: str, *, wrong: str = "@") -> None:
        self.solution = solution
        self.wrong = wrong
        self.chars = sorted(set(solution) | set(wrong) | {chr(c) for c in range(32, 127)} | {"\n"})
        self.index = {c: i + 3 for i, c in enumerate(self.chars)}
        self.pad_token_id, self.mask_token_id, self.null_token_id = 0, 1, 2
        self.vocab_size = len(self.chars) + 3
        self.device = torch.device("cpu")
        self.nfe = 0
        self.max_length: int | None = None

    def encode(self, text: str) -> Encoding:
        return Encoding(ids=tuple(self.index[c] for c in text), offsets=tuple((i, i + 1) for i in range(len(text))))

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[int(i) - 3] for i in ids if int(i) >= 3)

    def _fill(self, row: list[int]) -> dict[int, int]:
        """Position -> wanted token for every masked position of ``row``.

        The row is read as a pattern: known characters literally, a run of n masks as up to n
        characters ([NULL] counts as nothing). If the solution matches it, each run gets its
        characters then [NULL]s; otherwise every masked slot gets ``wrong``.
        """
        pattern, runs, i = [], [], 0
        while i < len(row):
            if row[i] == self.mask_token_id:
                j = i
                while j < len(row) and row[j] == self.mask_token_id:
                    j += 1
                pattern.append(f"(.{{0,{j - i}}})")
                runs.append((i, j))
                i = j
                continue
            if row[i] >= 3:
                pattern.append(re.escape(self.chars[row[i] - 3]))
            i += 1
        match = re.fullmatch("".join(pattern), self.solution, flags=re.DOTALL)
        want: dict[int, int] = {}
        for g, (a, b) in enumerate(runs):
            text = match.group(g + 1) if match else self.wrong * (b - a)
            for k in range(a, b):
                want[k] = self.index[text[k - a]] if k - a < len(text) else self.null_token_id
        return want

    def logits(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        self.nfe += 1
        b, n = ids.shape
        out = torch.zeros(b, n, self.vocab_size)
        for r in range(b):
            row = ids[r].tolist()
            want = self._fill(row)
            for k in range(n):
                out[r, k, want.get(k, row[k])] = 12.0
        return out
