"""The model's opinion of edits: score concrete edits, write the holes of fills.

``EditRanker.score`` gives each concrete edit the mean log-probability of its new tokens, less
that of the tokens it replaces:

    score = mean_i log p(new_i | rest) - mean_j log p(old_j | rest)

In the edited code, the tokens that overlap the changed characters (for a deletion, the token
after it) are masked and read from one forward row (AlphaRepair ranks by the same mean); the
original's tokens at the same characters are read the same way from the original code. The
difference cancels how hard the site is to predict, so edits at different sites compare.
Rows that agree are shared: every one-token alternative at one site (the names, operators and
numbers a family proposes there) and the site's own token are read from a single row, so
ranking costs one row per site for those, one row per edit for the rest.

``EditRanker.fill`` writes the holes of fill edits: every fill's template (the code with the
edit in place, its holes masked) is denoised ``samples`` times in one padded batch, [NULL]
shortening a hole; a filled text's score is the mean log of the probabilities its tokens had
when they were committed.

Rows carry as much file context as the model's ``max_length`` leaves. ``nfe`` and ``rows``
count forward passes and rows. This module knows a Denoiser and edits; not tests or the loop.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Sequence

import torch

from coderemask.edits.families import Edit
from coderemask.infill import encode_template
from coderemask.model.base import Denoiser, fit_context
from coderemask.sampler import DiffusionState, Sampler, SamplerConfig, denoise


@dataclass(frozen=True)
class Filled:
    """One way to fill an edit's holes, and the model's score for it."""

    fills: tuple[str, ...]
    score: float


class EditRanker:
    """Scores edits of one function with a masked denoiser.

    prefix_ids / suffix_ids: read-only file context around the function (the nearest
    ``context_tokens`` before it and half as many after it are used); batch_rows: rows per
    forward pass; samples / temperature / seed: how fills are sampled.
    """

    def __init__(
        self,
        model: Denoiser,
        prefix_ids: Sequence[int] = (),
        suffix_ids: Sequence[int] = (),
        *,
        batch_rows: int = 32,
        samples: int = 2,
        temperature: float = 0.7,
        seed: int = 0,
        context_tokens: int = 32,
    ) -> None:
        self.model = model
        # the nearest context only: a site's tokens depend on the function, and rows stay short
        self.prefix_ids = tuple(prefix_ids)[max(len(prefix_ids) - context_tokens, 0) :]
        self.suffix_ids = tuple(suffix_ids)[: context_tokens // 2]
        self.batch_rows, self.samples = batch_rows, samples
        self.sampler = Sampler.for_model(SamplerConfig(unmask="confidence", temperature=temperature), model)
        self.generator = torch.Generator(device=model.device).manual_seed(seed)
        self.nfe = 0
        self.rows = 0
        self.row_seconds = 0.01
        """Seconds per row of a forward pass, as last measured (a guess until then)."""

    # ------------------------------------------------------------------ concrete edits

    def score(self, code: str, edits: Sequence[Edit]) -> list[float]:
        """Per concrete edit of ``code``: mean log p of its new tokens less that of the original's
        tokens at the same characters (-inf when the edit has no token to read)."""
        sites = list(dict.fromkeys((e.start, e.end) for e in edits))
        texts = [(e.apply(code), e.start, len(e.text())) for e in edits]
        texts += [(code, a, b - a) for a, b in sites]
        means = self._mean_logp(texts)
        old = dict(zip(sites, means[len(edits) :]))
        return [
            m - old[(e.start, e.end)] if math.isfinite(old[(e.start, e.end)]) else m
            for e, m in zip(edits, means[: len(edits)])
        ]

    def _mean_logp(self, texts: Sequence[tuple[str, int, int]]) -> list[float]:
        """Per (text, start, length): the mean log p of the tokens overlapping ``[start, start +
        max(length, 1))``, those tokens masked (-inf if none)."""
        mask = self.model.mask_token_id
        rows: dict[tuple[int, ...], int] = {}
        windows: list[tuple[int, int]] = []
        queries: list[tuple[int, tuple[int, ...]] | None] = []
        for new, start, length in texts:
            enc = self.model.encode(new)
            lo_char, hi_char = start, start + max(length, 1)
            inside = [i for i, (a, b) in enumerate(enc.offsets) if a < hi_char and b > lo_char]
            if not inside:
                queries.append(None)
                continue
            lo, hi = inside[0], inside[-1] + 1
            row = enc.ids[:lo] + (mask,) * (hi - lo) + enc.ids[hi:]
            if row not in rows:
                rows[row] = len(rows)
                windows.append((lo, hi))
            queries.append((rows[row], enc.ids[lo:hi]))
        logp = self._masked_logp(list(rows), windows) if rows else []
        scores = []
        for query in queries:
            if query is None:
                scores.append(float("-inf"))
                continue
            row_logp, ids = logp[query[0]], query[1]
            scores.append(float(row_logp[torch.arange(len(ids)), torch.tensor(ids)].mean()))
        return scores

    def _masked_logp(self, bodies: Sequence[tuple[int, ...]], windows: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
        """Per body row (masked at ``windows[i] = [lo, hi)``): FloatTensor[hi - lo, V] of log-probabilities."""
        model = self.model
        out: list[torch.Tensor] = []
        for k in range(0, len(bodies), self.batch_rows):
            chunk_bodies = bodies[k : k + self.batch_rows]
            prefix, suffix = fit_context(
                self.prefix_ids, self.suffix_ids, max(map(len, chunk_bodies)), model.max_length
            )
            chunk = [prefix + body + suffix for body in chunk_bodies]
            ids, attention = _padded(chunk, model.pad_token_id)
            t0 = time.monotonic()
            with torch.no_grad():
                logits = model.logits(ids.to(model.device), attention.to(model.device))  # [B, L, V]
            self.row_seconds = (time.monotonic() - t0) / len(chunk)
            self.nfe += 1
            self.rows += len(chunk)
            for i, (lo, hi) in enumerate(windows[k : k + self.batch_rows]):
                out.append(logits[i, len(prefix) + lo : len(prefix) + hi].float().log_softmax(-1).cpu())
        return out

    # ------------------------------------------------------------------ fills

    def fill(self, code: str, edits: Sequence[Edit]) -> list[list[Filled]]:
        """Per fill edit of ``code``: up to ``samples`` distinct fills of its holes, best first."""
        model = self.model
        templates = [encode_template(model, edit.template(code)) for edit in edits]  # (ids, editable, groups)
        rows = [(t, e) for t, e in enumerate(templates) for _ in range(self.samples)]
        out: list[dict[tuple[str, ...], float]] = [{} for _ in edits]
        dropped = {model.mask_token_id, model.pad_token_id, model.null_token_id}
        for k in range(0, len(rows), self.batch_rows):
            chunk = rows[k : k + self.batch_rows]
            longest = max(len(e[0]) for _, e in chunk)
            prefix, suffix = fit_context(self.prefix_ids, self.suffix_ids, longest, model.max_length)
            full = [list(prefix) + e[0] + list(suffix) for _, e in chunk]
            ids, attention = _padded(full, model.pad_token_id)
            editable = torch.zeros_like(ids, dtype=torch.bool)
            for i, (_, e) in enumerate(chunk):
                editable[i, len(prefix) : len(prefix) + len(e[1])] = torch.tensor(e[1])
            state = DiffusionState.from_ids(ids, editable, model.mask_token_id, attention_mask=attention)
            slots = max(int(n) for n in state.n_masked.tolist())
            result = denoise(model, self.sampler, state, steps=max(1, math.ceil(slots / 2)), generator=self.generator)
            self.nfe += result.nfe
            self.rows += len(chunk) * result.nfe
            final_ids = result.state.ids.tolist()
            final_conf = result.state.confidence.tolist()
            for i, (t, e) in enumerate(chunk):
                fills, logps = [], []
                for a, b in e[2]:
                    kept = [
                        (tok, c)
                        for tok, c in zip(
                            final_ids[i][len(prefix) + a : len(prefix) + b],
                            final_conf[i][len(prefix) + a : len(prefix) + b],
                        )
                        if tok not in dropped
                    ]
                    fills.append(model.decode([tok for tok, _ in kept]))
                    logps += [math.log(max(c, 1e-9)) for _, c in kept]
                score = sum(logps) / len(logps) if logps else float("-inf")
                key = tuple(fills)
                out[t][key] = max(out[t].get(key, float("-inf")), score)
        return [sorted((Filled(f, s) for f, s in d.items()), key=lambda x: -x.score) for d in out]


def _padded(rows: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """LongTensor[B, L] ids right-padded with ``pad``, and the attention mask (0 on padding)."""
    ids = torch.full((len(rows), max(map(len, rows))), pad, dtype=torch.long)
    attention = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        attention[i, : len(row)] = 1
    return ids, attention
