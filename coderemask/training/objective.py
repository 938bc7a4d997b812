"""The masked-diffusion training objective (MDLM ELBO) with span and variable-length masking.

For a clean sequence x and a time t ~ U(t_min, 1), the forward process masks each token with
probability t (linear schedule alpha_t = 1 - t). The MDLM loss is the ELBO

    L(x) = E_t [ (1 / t) * sum_{i masked} -log p_theta(x_i | z_t) ]          (nats / sequence)

Repair remasks spans, not scattered tokens, so a share of the batch is masked in contiguous
spans (whole lines, or 1-8 tokens) and a share with extra weight on the tokens repair gets wrong
(operators, numbers, identifiers). Variable length: some masked spans get extra [NULL] slots
appended that the model must predict, so at inference a span given too many slots can shrink.

Copy mode (``MaskingConfig.p_copy``, 0 by default, no draw then): a share of the masked windows
masks some of the names that occur more than once in the window (one occurrence of each always
stays visible) over a light uniform background, with the ELBO weight of the realized share. It is
the job the model does most in repair: pick which name of the context fills a slot.

Corruption (``MaskingConfig.p_corrupt``, 0 by default: then nothing above changes, not even the
random stream): a share of the windows is not masked but *corrupted* with k ~ U{1..max_corruptions}
realistic token edits modelled on the repair search's edit families (``CORRUPTIONS``: an
identifier becomes another name of the same window, an operator another of its group in
``edits.families.OPERATOR_GROUPS``, a number a nearby one). For a corrupted window x~ of x with
edited positions C (|C| = k), each edit is left visible with probability ``p_corrupt_visible``
(the model sees the wrong token) and masked otherwise (V = the visible ones), and

    L_mlm(x~)  = w * sum_{i in C} -log p_theta(x_i | z)          w = 1 / max(k / L, t_min)
    L_det(x~)  = mean_{i visible, not special} CE(d_theta(z)_i, [i in V])

so the MLM restores the original tokens (w is the ELBO weight of a window whose masked share is
k / L), and the detector head (train.py) learns where code was changed; masked positions carry no
detector label (at inference the detector sees code, never [MASK]). Masked windows carry no
detector labels at all.

This module knows token ids and tensors; it does not know files, tokenizers' training or models.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Callable, ClassVar

import torch

from coderemask.edits.families import OPERATOR_GROUPS
from coderemask.errors import ConfigError

OPERATORS = {
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "+=",
    "-=",
    "*=",
    "/=",
    "and",
    "or",
    "not",
    "in",
    "is",
    "&",
    "|",
    "^",
    "~",
    "<<",
    ">>",
    "=",
}


SINGLE_TOKEN_GROUPS: tuple[tuple[str, ...], ...] = tuple(
    g for g in (tuple(op for op in group if " " not in op) for group in OPERATOR_GROUPS) if len(g) > 1
)
"""The edit families' operator groups without the two-word operators; an operator belongs to the
first group that holds it (``==`` to the comparisons)."""

_OPERATOR_CHARS = frozenset("<>=!+-*/%&|^~@")
KIND_NONE, KIND_WORD, KIND_OPERATOR = 0, 1, 2
"""Character kinds at a token's edges: two neighbouring tokens whose touching characters are
of the same kind (not NONE) are parts of one word or one operator (``count`` + ``_vowels``)."""


def _kind(ch: str) -> int:
    if ch.isalnum() or ch == "_":
        return KIND_WORD
    return KIND_OPERATOR if ch in _OPERATOR_CHARS else KIND_NONE


@dataclass(frozen=True)
class TokenClasses:
    """Per-vocabulary-id facts needed to build masks and corruptions. All tensors are [V]."""

    newline: torch.Tensor  # bool: the token contains a line break
    operator: torch.Tensor  # bool: a Python operator or boolean keyword
    number: torch.Tensor  # bool: digits only
    identifier: torch.Tensor  # bool: a name
    byte_len: torch.Tensor  # long: UTF-8 bytes the token stands for (0 for specials)
    keyword: torch.Tensor  # bool: a Python keyword (not a name a bug would swap)
    op_group: torch.Tensor  # long: index in SINGLE_TOKEN_GROUPS, -1 for none
    number_value: torch.Tensor  # long: int value of a digits-only token, -1 otherwise
    lead: torch.Tensor  # long: id of the token's leading whitespace ("" is 0, " " is 1, ...)
    first_kind: torch.Tensor  # long: KIND_* of the first character (KIND_NONE for whitespace)
    last_kind: torch.Tensor  # long: KIND_* of the last character

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "TokenClasses":
        """Classify every id of a byte-level tokenizer (``convert_ids_to_tokens`` + decode)."""
        V = len(tokenizer)
        special = set(tokenizer.all_special_ids)
        bools = {
            k: torch.zeros(V, dtype=torch.bool) for k in ("newline", "operator", "number", "identifier", "keyword")
        }
        longs = {k: torch.zeros(V, dtype=torch.long) for k in ("byte_len", "lead", "first_kind", "last_kind")}
        op_group = torch.full((V,), -1, dtype=torch.long)
        number_value = torch.full((V,), -1, dtype=torch.long)
        group_of = {op: g for g, group in reversed(list(enumerate(SINGLE_TOKEN_GROUPS))) for op in group}
        leads: dict[str, int] = {"": 0, " ": 1}
        for i in range(V):
            if i in special:
                continue
            text = tokenizer.decode([i])
            if not text:
                continue
            longs["byte_len"][i] = len(text.encode("utf-8"))
            s = text.strip()
            bools["newline"][i] = "\n" in text
            bools["operator"][i] = s in OPERATORS
            bools["number"][i] = s.isdigit()
            bools["identifier"][i] = s.isidentifier() and not bools["operator"][i]
            bools["keyword"][i] = keyword.iskeyword(s)
            op_group[i] = group_of.get(s, -1)
            if s.isdigit() and s.isascii():
                number_value[i] = int(s)
            longs["lead"][i] = leads.setdefault(text[: len(text) - len(text.lstrip())], len(leads))
            longs["first_kind"][i] = _kind(text[0])
            longs["last_kind"][i] = _kind(text[-1])
        return cls(**bools, **longs, op_group=op_group, number_value=number_value)

    def standalone(self, x: torch.Tensor) -> torch.Tensor:
        """BoolTensor[L]: tokens of the window x (LongTensor[L]) that are a whole word or operator
        (no neighbour continues them); the window's first and last tokens never are (their
        neighbours are unknown)."""
        first, last = self.first_kind[x], self.last_kind[x]
        glued = (first[1:] != KIND_NONE) & (first[1:] == last[:-1])  # [L-1]: token i+1 continues token i
        out = torch.ones_like(x, dtype=torch.bool)
        out[1:] &= ~glued
        out[:-1] &= ~glued
        out[0] = out[-1] = False
        return out


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
    p_corrupt: float = 0.0  # share of windows corrupted instead of masked (0: the plain MDLM objective)
    max_corruptions: int = 3  # edits per corrupted window: k ~ U{1..max_corruptions}
    p_corrupt_visible: float = 0.5  # an edit stays visible (else it is masked)
    corruptions: tuple[str, ...] = ("identifier", "operator", "number")  # names in CORRUPTIONS
    p_copy: float = 0.0  # share of masked windows in copy mode (0: no draw, the stream is unchanged)
    copy_max_rate: float = 0.5  # copy mode: each repeated name is masked w.p. q ~ U(0, copy_max_rate]
    copy_max_background: float = 0.15  # copy mode: other tokens masked w.p. U(0, copy_max_background)

    def __post_init__(self) -> None:
        for name in ("p_corrupt", "p_corrupt_visible", "p_copy", "copy_max_rate", "copy_max_background"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"MaskingConfig.{name}={getattr(self, name)!r}: must be in [0, 1]")
        if self.max_corruptions < 1:
            raise ConfigError(f"MaskingConfig.max_corruptions={self.max_corruptions!r}: must be >= 1")
        object.__setattr__(self, "corruptions", tuple(self.corruptions))  # a list when read back from JSON
        unknown = [n for n in self.corruptions if n not in CORRUPTIONS]
        if unknown or not self.corruptions:
            raise ConfigError(
                f"MaskingConfig.corruptions={list(self.corruptions)!r}: known corruptions are {', '.join(CORRUPTIONS)}"
            )


@dataclass
class MaskedBatch:
    """Inputs and targets of one training step.

    input_ids: LongTensor[B, L] with masked positions set to the mask id (corrupted windows:
        with their edits, some masked);
    labels: LongTensor[B, L], the clean token (or [NULL]) at masked and corrupted positions, -100 elsewhere;
    weights: FloatTensor[B, L], 1/t at those positions, 0 elsewhere;
    detector_labels: LongTensor[B, L] or None: 1 at visible corrupted positions, 0 at the other
        visible tokens of a corrupted window, -100 elsewhere (masked windows, [MASK], specials).
    """

    input_ids: torch.Tensor
    labels: torch.Tensor
    weights: torch.Tensor
    detector_labels: torch.Tensor | None = None


# --------------------------------------------------------------------------- corruptions


class Corruption:
    """One family of realistic token edits: where it applies and what a token may become."""

    name: ClassVar[str]

    def candidates(self, x: torch.Tensor, standalone: torch.Tensor, classes: TokenClasses) -> torch.Tensor:
        """BoolTensor[L]: positions of the window x (LongTensor[L]) of this family's class."""
        raise NotImplementedError

    def replacements(self, x: torch.Tensor, standalone: torch.Tensor, i: int, classes: TokenClasses) -> torch.Tensor:
        """LongTensor[K]: ids position i may become (never x[i]; same leading whitespace)."""
        raise NotImplementedError

    def sites(self, x: torch.Tensor, standalone: torch.Tensor, classes: TokenClasses) -> torch.Tensor:
        """BoolTensor[L]: the candidates that have at least one replacement."""
        out = self.candidates(x, standalone, classes)
        for i in torch.nonzero(out).flatten().tolist():
            out[i] = len(self.replacements(x, standalone, i, classes)) > 0
        return out


CORRUPTIONS: dict[str, type[Corruption]] = {}


def _register(cls: type[Corruption]) -> type[Corruption]:
    CORRUPTIONS[cls.name] = cls
    return cls


def _names(x: torch.Tensor, standalone: torch.Tensor, classes: TokenClasses) -> torch.Tensor:
    return standalone & classes.identifier[x] & ~classes.keyword[x]


@_register
class IdentifierCorruption(Corruption):
    """A whole name becomes another whole name of the same window (``low`` -> ``high``)."""

    name = "identifier"

    def candidates(self, x, standalone, classes):
        return _names(x, standalone, classes)

    def replacements(self, x, standalone, i, classes):
        names = _names(x, standalone, classes) & (classes.lead[x] == classes.lead[x[i]]) & (x != x[i])
        return torch.unique(x[names])


@_register
class OperatorCorruption(Corruption):
    """An operator becomes another of its group (``<`` -> ``<=``, ``+`` -> ``-``, ``and`` -> ``or``)."""

    name = "operator"

    def candidates(self, x, standalone, classes):
        return standalone & (classes.op_group[x] >= 0)

    def replacements(self, x, standalone, i, classes):
        t = x[i]
        ok = (classes.op_group == classes.op_group[t]) & (classes.lead == classes.lead[t])
        ok[t] = False
        return torch.nonzero(ok).flatten()


@_register
class NumberCorruption(Corruption):
    """A number becomes one off by one, or 0, 1 or 2 (``n - 1`` -> ``n - 2``)."""

    name = "number"

    def candidates(self, x, standalone, classes):
        return standalone & (classes.number_value[x] >= 0)

    def replacements(self, x, standalone, i, classes):
        t = x[i]
        v = int(classes.number_value[t])
        values = torch.tensor(sorted({v - 1, v + 1, 0, 1, 2} - {v}))
        ok = torch.isin(classes.number_value, values) & (classes.lead == classes.lead[t])
        return torch.nonzero(ok).flatten()


def corrupt_window(
    x: torch.Tensor, k: int, classes: TokenClasses, families: tuple[str, ...], gen: torch.Generator
) -> tuple[torch.Tensor, list[int]]:
    """Up to k edits of the window x (LongTensor[L]) at distinct positions: (edited copy, positions).

    Each edit picks a family uniformly among those with a site left, a site uniformly, and a
    replacement uniformly. Fewer than k edits (maybe none) when the window has fewer sites.
    """
    standalone = classes.standalone(x)
    strategies = [CORRUPTIONS[n]() for n in families]
    sites = [s.sites(x, standalone, classes) for s in strategies]
    out = x.clone()
    done: list[int] = []
    for _ in range(k):
        open_ = [j for j, m in enumerate(sites) if m.any()]
        if not open_:
            break
        j = open_[int(torch.randint(len(open_), (1,), generator=gen))]
        positions = torch.nonzero(sites[j]).flatten()
        i = int(positions[int(torch.randint(len(positions), (1,), generator=gen))])
        choices = strategies[j].replacements(x, standalone, i, classes)
        for m in sites:  # one edit per position, and none right beside another (a two-token edit)
            m[max(0, i - 1) : i + 2] = False
        out[i] = choices[int(torch.randint(len(choices), (1,), generator=gen))]
        done.append(i)
    return out, sorted(done)


def plant_corruptions(
    x: torch.Tensor,
    classes: TokenClasses,
    *,
    gen: torch.Generator,
    k: int = 1,
    families: tuple[str, ...] = MaskingConfig.corruptions,
) -> tuple[torch.Tensor, list[list[int]]]:
    """Windows x (LongTensor[B, L]) with up to k visible edits each (``corrupt_window``): (edited
    copy [B, L], the edited positions of each row). The detector's held-out test (validation,
    ``model-eval``) uses this, the training objective the same edits."""
    rows, positions = [], []
    for row in x:
        edited, where = corrupt_window(row, k, classes, families, gen)
        rows.append(edited)
        positions.append(where)
    return torch.stack(rows), positions


def localization_hits(
    scores: torch.Tensor, valid: torch.Tensor, positions: list[list[int]], ks: tuple[int, ...] = (1, 3)
) -> tuple[dict[int, int], int]:
    """How often a row's planted edit ranks in the top k of its detector scores.

    scores: FloatTensor[B, L] (higher = more likely corrupted); valid: BoolTensor[B, L] (positions
    that may rank: not special); positions: each row's edited positions (rows without one are
    skipped). Returns ({k: rows whose first edit is in the top k}, rows counted).
    """
    scores = scores.float().masked_fill(~valid, float("-inf"))
    hits = {k: 0 for k in ks}
    n = 0
    for b, where in enumerate(positions):
        if not where:
            continue
        n += 1
        rank = int((scores[b] > scores[b, where[0]]).sum())  # ties rank in the edit's favour
        for k in ks:
            hits[k] += rank < k
    return hits, n


def _uniform_mask(L: int, t: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(L, generator=gen) < t


def _weighted_mask(
    x: torch.Tensor, t: float, classes: TokenClasses, cfg: MaskingConfig, gen: torch.Generator
) -> torch.Tensor:
    w = torch.ones(x.shape[0])
    w = torch.where(classes.identifier[x], cfg.identifier_weight, w)
    w = torch.where(classes.number[x], cfg.number_weight, w)
    w = torch.where(classes.operator[x], cfg.operator_weight, w)
    p = (t * w / w.mean()).clamp(max=1.0)
    return torch.rand(x.shape[0], generator=gen) < p


def _span_mask(
    x: torch.Tensor, t: float, classes: TokenClasses, cfg: MaskingConfig, gen: torch.Generator
) -> list[tuple[int, int]]:
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


def _copy_mask(x: torch.Tensor, classes: TokenClasses, cfg: MaskingConfig, gen: torch.Generator) -> torch.Tensor | None:
    """Copy mode: BoolTensor[L] masking a share q ~ U(0, copy_max_rate] of the window's names that
    occur more than once in it (at least one, never every occurrence of a name) and a light
    uniform background; None when no name repeats. It trains what repair asks most: which name of
    the context belongs in a slot (identifier swaps, short fills)."""
    names = classes.standalone(x) & classes.identifier[x] & ~classes.keyword[x]
    ids, counts = torch.unique(x[names], return_counts=True)
    repeated = names & torch.isin(x, ids[counts > 1])
    if not repeated.any():
        return None
    q = cfg.copy_max_rate * (1.0 - torch.rand(1, generator=gen).item())
    m = repeated & (torch.rand(x.shape[0], generator=gen) < q)
    if not m.any():
        where = torch.nonzero(repeated).flatten()
        m[where[int(torch.randint(len(where), (1,), generator=gen))]] = True
    for name in torch.unique(x[m]):  # keep one occurrence of each masked name visible
        at = torch.nonzero(x == name).flatten()
        if bool(m[at].all()):
            m[at[int(torch.randint(len(at), (1,), generator=gen))]] = False
    background = cfg.copy_max_background * torch.rand(1, generator=gen).item()
    m |= ~repeated & (torch.rand(x.shape[0], generator=gen) < background)
    return m if m.any() else None


def mask_batch(
    x: torch.Tensor,
    *,
    mask_id: int,
    null_id: int,
    classes: TokenClasses,
    cfg: MaskingConfig,
    gen: torch.Generator,
) -> MaskedBatch:
    """Mask (or corrupt, a share ``cfg.p_corrupt`` of) a batch of clean windows x: LongTensor[B, L]
    -> MaskedBatch of the same shape (see the module docstring for the corrupted windows' terms)."""
    B, L = x.shape
    inputs = torch.empty_like(x)
    labels = torch.full_like(x, -100)
    detector = torch.full_like(x, -100)
    weights = torch.zeros(B, L)
    for b in range(B):
        if cfg.p_corrupt and torch.rand(1, generator=gen).item() < cfg.p_corrupt:  # no draw at share 0
            corrupted = _corrupted_row(x[b], mask_id=mask_id, classes=classes, cfg=cfg, gen=gen)
            if corrupted is not None:
                inputs[b], labels[b], detector[b] = corrupted
                _set_weights(weights[b], labels[b], cfg)
                continue
        row = x[b]
        if cfg.p_copy and torch.rand(1, generator=gen).item() < cfg.p_copy:  # no draw at share 0
            m = _copy_mask(row, classes, cfg, gen)
            if m is not None:
                inputs[b] = torch.where(m, mask_id, row)
                labels[b] = torch.where(m, row, -100)
                _set_weights(weights[b], labels[b], cfg)
                continue
        t = cfg.t_min + (1 - cfg.t_min) * torch.rand(1, generator=gen).item()
        u = torch.rand(1, generator=gen).item()
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
            m = (
                _uniform_mask(L, t, gen)
                if u < cfg.p_span + (1 - cfg.p_span - cfg.p_weighted)
                else _weighted_mask(row, t, classes, cfg, gen)
            )
            if not m.any():
                m[int(torch.randint(L, (1,), generator=gen))] = True
            ids_t = torch.where(m, mask_id, row)
            lab_t = torch.where(m, row, -100)
        inputs[b] = ids_t
        labels[b] = lab_t
        _set_weights(weights[b], lab_t, cfg)
    return MaskedBatch(inputs, labels, weights, detector)


def _set_weights(weights: torch.Tensor, labels: torch.Tensor, cfg: MaskingConfig) -> None:
    """weights[L] (in place) = 1 / max(realized share of trained positions, t_min) at them, else 0."""
    realized = float((labels != -100).float().mean())
    weights[:] = torch.where(labels != -100, 1.0 / max(realized, cfg.t_min), 0.0)


def _corrupted_row(
    row: torch.Tensor, *, mask_id: int, classes: TokenClasses, cfg: MaskingConfig, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """(input ids, MLM labels, detector labels), each LongTensor[L], of a corrupted window; None
    when the window offers no site to edit (it is masked as usual then)."""
    k = 1 + int(torch.randint(cfg.max_corruptions, (1,), generator=gen))
    edited, where = corrupt_window(row, k, classes, cfg.corruptions, gen)
    if not where:
        return None
    pos = torch.tensor(where)
    visible = torch.rand(len(where), generator=gen) < cfg.p_corrupt_visible
    ids = edited.clone()
    ids[pos[~visible]] = mask_id
    lab = torch.full_like(row, -100)
    lab[pos] = row[pos]
    det = torch.zeros_like(row)
    det[pos[visible]] = 1
    det[pos[~visible]] = -100
    det[classes.byte_len[row] == 0] = -100  # specials ([SEP] between files, padding)
    return ids, lab, det


def uniform_mask_batch(x: torch.Tensor, t: torch.Tensor, *, mask_id: int, gen: torch.Generator) -> MaskedBatch:
    """Pure MDLM forward process at given times t: FloatTensor[B] (for the ELBO estimate)."""
    m = torch.rand(x.shape, generator=gen) < t[:, None]
    inputs = torch.where(m, mask_id, x)
    labels = torch.where(m, x, -100)
    weights = torch.where(m, 1.0 / t[:, None], 0.0)
    return MaskedBatch(inputs, labels, weights)


def stratified_elbo_nats(
    masked_nats: Callable[[MaskedBatch], float],
    windows: torch.Tensor,
    *,
    mask_id: int,
    n_t: int = 8,
    batch_size: int = 16,
    seed: int = 0,
) -> float:
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
