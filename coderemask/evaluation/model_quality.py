"""Model-quality benchmark: the numbers of the embedded model's card, for any checkpoint.

All metrics are measured on the same held-out data, so checkpoints compare on equal terms:
- validation ELBO in bits per byte (MDLM, stratified t);
- masked-token top-1 / top-5 accuracy at mask ratios 0.15, 0.5, 0.9;
- exact recovery of masked spans of 1-3 tokens: top-1 (greedy, confidence order) and top-5
  (any of 5 samples at temperature 1);
- the same for single operator tokens (with within-class accuracy) and small integers;
- identifier slots: top-1 / top-5 (one forward) for one masked name per window whose text also
  occurs elsewhere in the window (can the model copy a name from its context?);
- detector localization (a model with ``detector/``): windows with one planted realistic edit
  (``training.objective.plant_corruptions``, the training corruption), the share where the
  edited token ranks first / in the top 3 of the detector's P(corrupted); skipped with a note
  for a model without a detector;
- HumanEval single-line infilling pass rate with the true span length and with unknown length
  (a fixed number of slots the model may fill with [NULL]).

Held-out data: standard-library files that the training split rule (corpus.is_validation)
puts in validation; training never saw them. This module knows models, the sampler and the
sandbox; it does not know training.
"""

from __future__ import annotations

import gzip
import json
import math
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from coderemask.infill import fill
from coderemask.model.base import Denoiser
from coderemask.model.detector import detector_of
from coderemask.sampler import DiffusionState, Sampler, SamplerConfig, denoise
from coderemask.training.corpus import is_validation, rejection_reason
from coderemask.training.objective import (
    OPERATORS,
    TokenClasses,
    localization_hits,
    plant_corruptions,
    stratified_elbo_nats,
    uniform_mask_batch,
)

RATIOS = (0.15, 0.5, 0.9)
SPAN_LENGTHS = (1, 2, 3)
SMALL_INTS = {str(i) for i in range(11)}


@dataclass
class QualityReport:
    """Every metric, by name, plus how it was measured."""

    model: str
    metrics: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    per_operator: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    def to_markdown(self) -> str:
        rows = ["| metric | value | n (tokens, spans or tasks) |", "|---|---|---|"]
        for name, value in self.metrics.items():
            rows.append(f"| {name} | {value:.4f} | {self.counts.get(name, '')} |")
        return "\n".join(rows + [f"\nnote: {note}" for note in self.notes])


def held_out_texts(val_fraction: float = 0.02, root: Path | None = None) -> list[str]:
    """Standard-library files in the validation split (site-packages excluded), sorted by path."""
    root = root or Path(sysconfig.get_paths()["stdlib"])
    texts = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("site-packages/") or not is_validation(f"{root.name}/{rel}", val_fraction):
            continue
        data = path.read_bytes()
        if rejection_reason(data) is None:
            texts.append(data.decode("utf-8"))
    return texts


def make_windows(model: Denoiser, texts: Iterable[str], n: int, length: int, seed: int = 0) -> torch.Tensor:
    """LongTensor[n, length]: windows of the held-out token stream starting at line starts."""
    ids: list[int] = []
    starts: list[int] = []
    for text in texts:
        enc = model.encode(text)
        base = len(ids)
        for i, (a, _) in enumerate(enc.offsets):
            if a == 0 or text[a - 1] == "\n":
                starts.append(base + i)
        ids.extend(enc.ids)
    stream = np.asarray(ids, dtype=np.int64)
    starts_arr = np.asarray([s for s in starts if s + length <= len(stream)], dtype=np.int64)
    if len(starts_arr) == 0:
        raise ValueError(f"held-out text has {len(stream)} tokens: too few for windows of {length}")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(starts_arr, size=n, replace=len(starts_arr) < n)
    return torch.from_numpy(np.stack([stream[s : s + length] for s in chosen]))


def _masked_nats(model: Denoiser, batch) -> float:
    logits = model.logits(batch.input_ids)
    sel = batch.labels != -100
    ce = torch.nn.functional.cross_entropy(logits[sel], batch.labels[sel], reduction="none")
    return float((ce * batch.weights[sel]).sum())


def elbo_bits_per_byte(model: Denoiser, windows: torch.Tensor, n_t: int = 8, batch_size: int = 16) -> float:
    """MDLM ELBO of the windows (stratified t), in bits per UTF-8 byte of their text."""
    nats = stratified_elbo_nats(
        lambda b: _masked_nats(model, b), windows, mask_id=model.mask_token_id, n_t=n_t, batch_size=batch_size
    )
    n_bytes = sum(len(model.decode(w).encode("utf-8")) for w in windows)
    return nats / math.log(2) / n_bytes


def token_accuracy(
    model: Denoiser, windows: torch.Tensor, ratio: float, batch_size: int = 16
) -> tuple[float, float, int]:
    """(top-1, top-5, count) of one-shot predictions at masked positions at a mask ratio."""
    gen = torch.Generator().manual_seed(1)
    hit1 = hit5 = total = 0
    for i in range(0, len(windows), batch_size):
        x = windows[i : i + batch_size]
        batch = uniform_mask_batch(x, torch.full((len(x),), ratio), mask_id=model.mask_token_id, gen=gen)
        logits = model.logits(batch.input_ids)
        sel = batch.labels != -100
        top5 = logits[sel].topk(5, dim=-1).indices
        gold = batch.labels[sel]
        hit1 += int((top5[:, 0] == gold).sum())
        hit5 += int((top5 == gold[:, None]).any(-1).sum())
        total += int(sel.sum())
    return hit1 / max(total, 1), hit5 / max(total, 1), total


def _span_state(model: Denoiser, window: torch.Tensor, start: int, n: int, copies: int) -> DiffusionState:
    editable = torch.zeros(len(window), dtype=torch.bool)
    editable[start : start + n] = True
    return DiffusionState.from_ids(window, editable, model.mask_token_id).repeat(copies)


def recover_span(
    model: Denoiser, window: torch.Tensor, start: int, n: int, *, samples: int = 5, seed: int = 0
) -> tuple[bool, bool, list[int]]:
    """(top-1 exact, any-of-``samples`` exact, greedy prediction) for the span [start, start+n)."""
    gold = window[start : start + n]
    greedy = Sampler.for_model(SamplerConfig(unmask="confidence", steps=n, temperature=0.0), model)
    out = denoise(model, greedy, _span_state(model, window, start, n, 1)).state.ids[0, start : start + n]
    sampled = Sampler.for_model(SamplerConfig(unmask="confidence", steps=n, temperature=1.0, seed=seed), model)
    outs = denoise(model, sampled, _span_state(model, window, start, n, samples)).state.ids[:, start : start + n]
    top1 = bool(torch.equal(out.cpu(), gold))
    topk = top1 or bool((outs.cpu() == gold).all(-1).any())
    return top1, topk, out.tolist()


def _token_text(model: Denoiser, i: int) -> str:
    return model.decode([i]).strip()


def span_metrics(
    model: Denoiser, windows: torch.Tensor, seed: int = 0
) -> tuple[dict[str, tuple[float, int]], dict[str, tuple[float, int]]]:
    """Exact span recovery for spans of 1-3 tokens, operators and small integers: (metric -> (rate, n),
    operator -> (top-1 rate, n))."""
    rng = np.random.default_rng(seed)
    texts = {i: _token_text(model, i) for i in torch.unique(windows).tolist()}
    results: dict[str, list[bool]] = {}
    per_op: dict[str, list[bool]] = {}
    op_class: list[bool] = []
    L = windows.shape[1]
    for w_idx, window in enumerate(windows):
        for n in SPAN_LENGTHS:
            start = int(rng.integers(8, L - 8 - n))
            top1, top5, _ = recover_span(model, window, start, n, seed=seed + w_idx)
            results.setdefault(f"span{n}_top1", []).append(top1)
            results.setdefault(f"span{n}_top5", []).append(top5)
        for kind, members in (("operator", OPERATORS), ("small_int", SMALL_INTS)):
            positions = [p for p in range(8, L - 8) if texts[int(window[p])] in members]
            if not positions:
                continue
            p = int(rng.choice(positions))
            top1, top5, pred = recover_span(model, window, p, 1, seed=seed + w_idx)
            results.setdefault(f"{kind}_top1", []).append(top1)
            results.setdefault(f"{kind}_top5", []).append(top5)
            if kind == "operator":
                gold_text = texts[int(window[p])]
                per_op.setdefault(gold_text, []).append(top1)
                op_class.append(_token_text(model, pred[0]) in OPERATORS)
    out = {k: (sum(v) / len(v), len(v)) for k, v in results.items()}
    out["operator_within_class"] = (sum(op_class) / max(len(op_class), 1), len(op_class))
    return out, {k: (sum(v) / len(v), len(v)) for k, v in sorted(per_op.items())}


def token_classes(model: Denoiser) -> TokenClasses:
    """The training objective's per-id facts for the model's tokenizer (an HFDenoiser's)."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        raise ValueError(f"{type(model).__name__} has no tokenizer: identifier and detector metrics need one")
    return TokenClasses.from_tokenizer(tokenizer)


def identifier_slots(
    model: Denoiser, windows: torch.Tensor, classes: TokenClasses, seed: int = 0, batch_size: int = 16
) -> tuple[float, float, int]:
    """(top-1, top-5, count): one masked whole name per window (LongTensor[N, L]) whose text also
    occurs elsewhere in the window, predicted in one forward pass. Windows without one are skipped."""
    rng = np.random.default_rng(seed)
    rows, positions = [], []
    for window in windows:
        names = (classes.standalone(window) & classes.identifier[window] & ~classes.keyword[window]).tolist()
        texts = [_token_text(model, int(t)) if names[p] else None for p, t in enumerate(window)]
        repeated = [p for p in range(len(window)) if names[p] and texts.count(texts[p]) > 1]
        if repeated:
            rows.append(window)
            positions.append(int(rng.choice(repeated)))
    hit1 = hit5 = 0
    for i in range(0, len(rows), batch_size):
        x = torch.stack(rows[i : i + batch_size]).clone()
        pos = torch.tensor(positions[i : i + batch_size])
        gold = x[torch.arange(len(x)), pos].clone()
        x[torch.arange(len(x)), pos] = model.mask_token_id
        top5 = model.logits(x)[torch.arange(len(x)), pos.to(model.device)].topk(5, dim=-1).indices.cpu()
        hit1 += int((top5[:, 0] == gold).sum())
        hit5 += int((top5 == gold[:, None]).any(-1).sum())
    n = len(rows)
    return hit1 / max(n, 1), hit5 / max(n, 1), n


def detector_localization(
    detector, windows: torch.Tensor, classes: TokenClasses, seed: int = 0, batch_size: int = 16
) -> tuple[float, float, int]:
    """(top-1 share, top-3 share, count): windows (LongTensor[N, L]) with one planted edit each;
    how often the detector ranks the edited token first / in its top 3 (specials never rank)."""
    planted, where = plant_corruptions(windows, classes, gen=torch.Generator().manual_seed(seed))
    hits = {1: 0, 3: 0}
    n = 0
    for i in range(0, len(planted), batch_size):
        x = planted[i : i + batch_size]
        got, m = localization_hits(detector.probabilities(x), classes.byte_len[x] > 0, where[i : i + batch_size])
        hits = {k: hits[k] + got[k] for k in hits}
        n += m
    return hits[1] / max(n, 1), hits[3] / max(n, 1), n


# ----------------------------------------------------------------------------- infilling


def load_infilling(path: Path, limit: int | None, seed: int = 0) -> list[dict]:
    """Records of a HumanEval-infilling JSONL(.gz); a seeded subset of ``limit`` when given."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    if limit and limit < len(records):
        idx = sorted(np.random.default_rng(seed).choice(len(records), size=limit, replace=False).tolist())
        records = [records[i] for i in idx]
    return records


GREEDY = SamplerConfig(unmask="confidence", temperature=0.0)


def infill_pass_rate(
    model: Denoiser,
    records: list[dict],
    *,
    known_length: bool,
    unknown_slots: int,
    run_programs: Callable[[list[tuple[str, str]]], list[bool]],
) -> float:
    """Share of records whose infill passes the record's ``check``."""
    programs = []
    for rec in records:
        slots = len(model.encode(rec["canonical_solution"]).ids) if known_length else unknown_slots
        middle = fill(model, [rec["prompt"], max(slots, 1), rec["suffix"]], GREEDY)[0].groups[0]
        code = rec["prompt"] + middle + rec["suffix"]
        programs.append((code, f"{rec['test']}\n\ncheck({rec['entry_point']})\n"))
    passed = run_programs(programs)
    return sum(passed) / max(len(passed), 1)


# ----------------------------------------------------------------------------- all together


def evaluate_model(
    model: Denoiser,
    name: str,
    *,
    windows: int = 128,
    span_windows: int = 100,
    probe_windows: int = 600,
    length: int = 256,
    infilling_path: Path | None = None,
    infill_limit: int | None = 100,
    unknown_slots: int = 24,
    run_programs: Callable[[list[tuple[str, str]]], list[bool]] | None = None,
    log: Callable[[str], None] = lambda s: None,
    texts: list[str] | None = None,
) -> QualityReport:
    """Measure every metric of the model card; ``log`` gets a line per finished metric.
    ``texts``: held-out code to draw windows from (default: ``held_out_texts()``);
    ``probe_windows``: 128-token windows for the one-forward probes (identifier slots, detector
    localization), many because they are cheap and a hundred leave +-0.05 of noise."""
    t0 = time.time()
    report = QualityReport(model=name)
    texts = texts if texts is not None else held_out_texts()
    win = make_windows(model, texts, windows, length)
    report.metrics["elbo_bits_per_byte"] = elbo_bits_per_byte(model, win)
    report.counts["elbo_bits_per_byte"] = int(win.numel())  # tokens
    log(f"ELBO {report.metrics['elbo_bits_per_byte']:.4f} bits/byte")
    for r in RATIOS:
        top1, top5, n = token_accuracy(model, win, r)
        report.metrics[f"token_top1@{r}"] = top1
        report.metrics[f"token_top5@{r}"] = top5
        report.counts[f"token_top1@{r}"] = report.counts[f"token_top5@{r}"] = n  # masked tokens
        log(f"mask ratio {r}: top-1 {top1:.3f}, top-5 {top5:.3f} ({n} tokens)")
    spans, per_op = span_metrics(model, make_windows(model, texts, span_windows, 128, seed=1))
    for key, (value, n) in spans.items():
        report.metrics[key] = value
        report.counts[key] = n  # spans
    report.per_operator = {op: {"top1": v, "n": n} for op, (v, n) in per_op.items()}
    log("spans: " + ", ".join(f"{k} {v:.3f}" for k, (v, _) in spans.items()))
    classes = token_classes(model)
    slot_windows = make_windows(model, texts, probe_windows, 128, seed=2)
    top1, top5, n = identifier_slots(model, slot_windows, classes)
    report.metrics["identifier_slot_top1"], report.metrics["identifier_slot_top5"] = top1, top5
    report.counts["identifier_slot_top1"] = report.counts["identifier_slot_top5"] = n  # masked names
    log(f"identifier slots: top-1 {top1:.3f}, top-5 {top5:.3f} ({n} names)")
    detector = detector_of(model)
    if detector is None or detector.tokenizer.get_vocab() != model.tokenizer.get_vocab():  # type: ignore[attr-defined]
        why = "the model has no detector/ folder" if detector is None else "its tokenizer is not the model's"
        report.notes.append(f"detector localization skipped: {why}")
        log(report.notes[-1])
    else:
        top1, top3, n = detector_localization(detector, make_windows(model, texts, probe_windows, 128, seed=3), classes)
        report.metrics["detector_top1"], report.metrics["detector_top3"] = top1, top3
        report.counts["detector_top1"] = report.counts["detector_top3"] = n  # windows with one planted edit
        log(f"detector localization: top-1 {top1:.3f}, top-3 {top3:.3f} ({n} planted edits)")
    if infilling_path is not None and run_programs is not None:
        records = load_infilling(infilling_path, infill_limit)
        for known in (True, False):
            key = "infill_pass_known_length" if known else f"infill_pass_unknown_length_{unknown_slots}_slots"
            report.counts[key] = len(records)  # tasks
            report.metrics[key] = infill_pass_rate(
                model, records, known_length=known, unknown_slots=unknown_slots, run_programs=run_programs
            )
            log(f"{key}: {report.metrics[key]:.3f} ({len(records)} tasks)")
    report.seconds = time.time() - t0
    return report
