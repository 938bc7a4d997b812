"""Forward-pass speed of a denoiser: ms per forward and NFE/s over sequence length, batch, dtype.

    python benchmarks/speed.py --model tiny
    python benchmarks/speed.py --model open-dcoder --device cuda --repeats 20

``--model tiny`` builds a tiny ModernBERT from a config (tests/tiny_models.py), so it runs anywhere.
Any other value is a folder, hub id or preset for ``coderemask.model.load_model``.
One forward of a [B, L] batch is one NFE; tokens/s counts B * L positions per forward.
bf16 casts the weights on CUDA and uses torch.autocast on CPU.

This script does not sample: it measures the bare cost that every sampler step pays.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Iterator

import torch

from coderemask.errors import CoderemaskError
from coderemask.model import HFDenoiser, load_model

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


def tiny_denoiser(device: str | None) -> HFDenoiser:
    """A tiny random ModernBERT masked LM (hidden 32, 2 layers, 512 positions)."""
    sys.path.insert(0, str(TESTS_DIR))
    from tiny_models import tiny_modernbert, tiny_tokenizer

    model = tiny_modernbert(max_positions=512).to(device or "cpu")
    return HFDenoiser(model, tiny_tokenizer(), "masked_lm")


@contextlib.contextmanager
def precision(den: HFDenoiser, name: str) -> Iterator[None]:
    """Run the body in ``name`` precision: weights cast on CUDA, autocast on CPU."""
    dtype = PRECISIONS[name]
    if den.device.type == "cuda":
        den.model.to(dtype)
        yield
    else:
        den.model.to(torch.float32)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
            yield


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward(den: HFDenoiser, batch: int, length: int, warmup: int, repeats: int) -> float:
    """Median milliseconds of one ``den.logits`` call on random ids [batch, length]."""
    ids = torch.randint(0, den.vocab_size, (batch, length), device=den.device)
    for _ in range(warmup):
        den.logits(ids)
    times = []
    for _ in range(repeats):
        _sync(den.device)
        start = time.perf_counter()
        den.logits(ids)
        _sync(den.device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="tiny", help="'tiny', a folder, a hub id or a preset")
    parser.add_argument("--family", default=None, help="model family (default: detected)")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--dtypes", nargs="+", choices=list(PRECISIONS), default=list(PRECISIONS))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's choice; 1 is often faster on a busy shared machine)",
    )
    args = parser.parse_args(argv)
    if args.warmup < 0 or args.repeats < 1:
        parser.error(f"--warmup must be >= 0 and --repeats >= 1 (got {args.warmup}, {args.repeats})")
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be >= 1 (got {args.threads})")
        torch.set_num_threads(args.threads)

    try:
        den = (
            tiny_denoiser(args.device)
            if args.model == "tiny"
            else load_model(args.model, family=args.family, device=args.device, dtype="fp32")
        )
    except CoderemaskError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    print(
        f"model: {args.model} ({den!r}); threads: {torch.get_num_threads()}; "
        f"warmup {args.warmup}, repeats {args.repeats}, median"
    )
    header = f"{'dtype':<6}{'L':>6}{'B':>4}{'ms/forward':>13}{'NFE/s':>10}{'tokens/s':>12}"
    print(header)
    print("-" * len(header))
    for name in args.dtypes:
        with precision(den, name):
            for length in args.lengths:
                for batch in args.batches:
                    ms = time_forward(den, batch, length, args.warmup, args.repeats)
                    nfe_s = 1e3 / ms
                    tokens_s = nfe_s * batch * length
                    print(f"{name:<6}{length:>6}{batch:>4}{ms:>13.2f}{nfe_s:>10.1f}{tokens_s:>12.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
