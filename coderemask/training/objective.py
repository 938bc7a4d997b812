"""The masked-diffusion training objective (MDLM ELBO) with span and variable-length masking.

For a clean sequence x and a time t ~ U(t_min, 1), the forward process masks each token with
probability t (linear schedule alpha_t = 1 - t). The MDLM loss is the ELBO

    L(x) = E_t [ (1 / t) * sum_{i masked} -log p_theta(x_i | z_t) ]          (nats / sequence)

Repair remasks spans, not scattered tokens, so a share of the batch is masked in contiguous
spans (whole lines, or 1-8 tokens) and a share with extra weight on the tokens repair gets wrong
(operators, numbers, identifiers). Variable length: some masked spans get extra [NULL] slots
appended that the model must predict, so at inference a span given too many slots can shrink.

This module knows token ids and tensors; it does not know files, tokenizers' training or models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

OPERATORS = {
    "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/", "//", "%", "**", "+=", "-=", "*=",
    "/=", "and", "or", "not", "in", "is", "&", "|", "^", "~", "<<", ">>", "=",
}


@dataclass(frozen=True)
class TokenClasses:
    """Per-vocabulary-id facts needed to build masks. All tensors are [V]."""

    newline: torch.Tensor  # bool: the token contains a line break
    operator: torch.Tensor  # bool: a Python operator or boolean keyword
    number: torch.Tensor  # bool: digits only
    identifier: torch.Tensor  # bool: a name
    byte_len: torch.Tensor  # long: UTF-8 bytes the token stands for (0 for specials)

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "TokenClasses":
        """Classify every id of a byte-level tokenizer (``convert_ids_to_tokens`` + decode)."""
        V = len(tokenizer)
        special = set(tokenizer.all_special_ids)
        newline = torch.zeros(V, dtype=torch.bool)
        operator = torch.zeros(V, dtype=torch.bool)
        number = torch.zeros(V, dtype=torch.bool)
        identifier = torch.zeros(V, dtype=torch.bool)
        byte_len = torch.zeros(V, dtype=torch.long)
        for i in range(V):
            if i in special:
                continue
            text = tokenizer.decode([i])
            byte_len[i] = len(text.encode("utf-8"))
            s = text.strip()
            newline[i] = "\n" in text
            operator[i] = s in OPERATORS
            number[i] = s.isdigit()
            identifier[i] = s.isidentifier() and not operator[i]
        return cls(newline, operator, number, identifier, byte_len)


@dataclass(frozen=True)
class MaskingConfig:
    """Shares of each masking mode per sequence and their knobs."""

    t_min: float = 0.02
    p_span: float = 0.4
    p_weighted: float = 0.2  # the rest is uniform (the pure ELBO)
    p_line_span: float = 0.5  # within span mode: whole lines vs short spans
    max_short_span: int = 8
    p_null_slots: float = 0.3  # a masked span gets extra [NULL] slots
    max_null_slots: int = 4
    operator_weight: float = 4.0
    number_weight: float = 3.0
    identifier_weight: float = 1.5


@dataclass
class MaskedBatch:
    """Inputs and targets of one training step.

    input_ids: LongTensor[B, L] with masked positions set to the mask id;
    labels: LongTensor[B, L], the clean token (or [NULL]) at masked positions, -100 elsewhere;
    weights: FloatTensor[B, L], 1/t at masked positions, 0 elsewhere.
    """

    input_ids: torch.Tensor
    labels: torch.Tensor
    weights: torch.Tensor


def _uniform_mask(L: int, t: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(L, generator=gen) < t


def _weighted_mask(x: torch.Tensor, t: float, classes: TokenClasses, cfg: MaskingConfig,
                   gen: torch.Generator) -> torch.Tensor:
    w = torch.ones(x.shape[0])
    w = torch.where(classes.identifier[x], cfg.identifier_weight, w)
    w = torch.where(classes.number[x], cfg.number_weight, w)
    w = torch.where(classes.operator[x], cfg.operator_weight, w)
    p = (t * w / w.mean()).clamp(max=1.0)
    return torch.rand(x.shape[0], generator=gen) < p


def _span_mask(x: torch.Tensor, t: float, classes: TokenClasses, cfg: MaskingConfig,
               gen: torch.Generator) -> list[tuple[int, int]]:
    """Disjoint spans [a, b) covering about a fraction t of the sequence."""
    L = x.shape[0]
    target = max(1, int(round(t * L)))
    line_starts = [0] + (torch.nonzero(classes.newline[x]).flatten() + 1).tolist()
    line_starts = [s for s in line_starts if s < L]
    covered = torch.zeros(L, dtype=torch.bool)
    spans: list[tuple[int, int]] = []
    tries = 0
    while int(covered.sum()) < target and tries < 4 * L:
        tries += 1
        if torch.rand(1, generator=gen).item() < cfg.p_line_span and len(line_starts) > 1:
            k = int(torch.randint(len(line_starts), (1,), generator=gen))
            a = line_starts[k]
            n_lines = 1 + int(torch.randint(3, (1,), generator=gen))
            b = line_starts[k + n_lines] if k + n_lines < len(line_starts) else L
            # keep the line break that ends the span visible half of the time
            if b > a + 1 and torch.rand(1, generator=gen).item() < 0.5:
                b -= 1
        else:
            n = 1 + int(torch.randint(cfg.max_short_span, (1,), generator=gen))
            a = int(torch.randint(L, (1,), generator=gen))
            b = min(L, a + n)
        if covered[max(0, a - 1) : b + 1].any() or b <= a:
            continue
        covered[a:b] = True
        spans.append((a, b))
    return sorted(spans)


def mask_batch(
    x: torch.Tensor,
    *,
    mask_id: int,
    null_id: int,
    classes: TokenClasses,
    cfg: MaskingConfig,
    gen: torch.Generator,
) -> MaskedBatch:
    """Mask a batch of clean windows x: LongTensor[B, L] -> MaskedBatch of the same shape."""
    B, L = x.shape
    inputs = torch.empty_like(x)
    labels = torch.full_like(x, -100)
    weights = torch.zeros(B, L)
    for b in range(B):
        t = cfg.t_min + (1 - cfg.t_min) * torch.rand(1, generator=gen).item()
        u = torch.rand(1, generator=gen).item()
        row = x[b]
        if u < cfg.p_span:
            ids: list[int] = []
            lab: list[int] = []
            pos = 0
            for a, e in _span_mask(row, t, classes, cfg, gen):
                ids += row[pos:a].tolist()
                lab += [-100] * (a - pos)
                ids += [mask_id] * (e - a)
                lab += row[a:e].tolist()
                if torch.rand(1, generator=gen).item() < cfg.p_null_slots:
                    k = 1 + int(torch.randint(cfg.max_null_slots, (1,), generator=gen))
                    ids += [mask_id] * k
                    lab += [null_id] * k
                pos = e
            ids += row[pos:].tolist()
            lab += [-100] * (L - pos)
            ids_t, lab_t = torch.tensor(ids[:L]), torch.tensor(lab[:L])
        else:
            m = (_uniform_mask(L, t, gen) if u < cfg.p_span + (1 - cfg.p_span - cfg.p_weighted)
                 else _weighted_mask(row, t, classes, cfg, gen))
            if not m.any():
                m[int(torch.randint(L, (1,), generator=gen))] = True
            ids_t = torch.where(m, mask_id, row)
            lab_t = torch.where(m, row, -100)
        inputs[b] = ids_t
        labels[b] = lab_t
        realized = float((lab_t != -100).float().mean())
        weights[b] = torch.where(lab_t != -100, 1.0 / max(realized, cfg.t_min), 0.0)
    return MaskedBatch(inputs, labels, weights)


def uniform_mask_batch(x: torch.Tensor, t: torch.Tensor, *, mask_id: int,
                       gen: torch.Generator) -> MaskedBatch:
    """Pure MDLM forward process at given times t: FloatTensor[B] (for the ELBO estimate)."""
    m = torch.rand(x.shape, generator=gen) < t[:, None]
    inputs = torch.where(m, mask_id, x)
    labels = torch.where(m, x, -100)
    weights = torch.where(m, 1.0 / t[:, None], 0.0)
    return MaskedBatch(inputs, labels, weights)


def stratified_elbo_nats(masked_nats: Callable[[MaskedBatch], float], windows: torch.Tensor, *, mask_id: int,
                         n_t: int = 8, batch_size: int = 16, seed: int = 0) -> float:
    """MDLM ELBO of ``windows`` (LongTensor[N, L]) in nats summed over all windows.

    A Monte Carlo estimate with t stratified at (k + 0.5) / n_t; ``masked_nats(batch)`` returns
    the weighted cross-entropy of one masked batch (sum over masked positions of CE / t).
    """
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    for k in range(n_t):
        t = (k + 0.5) / n_t
        for i in range(0, len(windows), batch_size):
            x = windows[i : i + batch_size]
            total += masked_nats(uniform_mask_batch(x, torch.full((len(x),), t), mask_id=mask_id, gen=gen))
    return total / n_t


def weighted_masked_ce(hidden_to_logits, hidden: torch.Tensor, batch: MaskedBatch) -> torch.Tensor:
    """Sum over masked positions of weight * cross-entropy, computing logits only there.

    hidden: FloatTensor[B, L, H]; hidden_to_logits maps [N, H] -> [N, V]. Returns a scalar
    (nats summed over the batch).
    """
    sel = batch.labels != -100
    logits = hidden_to_logits(hidden[sel]).float()
    ce = torch.nn.functional.cross_entropy(logits, batch.labels[sel], reduction="none")
    return (ce * batch.weights[sel]).sum()
