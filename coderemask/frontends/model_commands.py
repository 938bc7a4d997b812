"""Subcommands about the model itself: `train` (and later `sample`, `model-eval`).

Thin: parse, validate paths, call coderemask.model.*, print.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coderemask.frontends.common import EXIT_OK, Command, UsageError, add_model_arguments, load_model_from_args
from coderemask.frontends.numbers import BATCH, COUNT, COUNT_OR_ZERO, MINUTES, NON_NEGATIVE, POSITIVE, SEED, SHARE


def _add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="folders of .py files (default: the standard library and site-packages)",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=Path("runs/data"),
        help="where the prepared corpus, tokenizer and token streams live (default: runs/data)",
    )
    p.add_argument("--out", type=Path, default=Path("runs/train"), help="checkpoint folder (default: runs/train)")
    p.add_argument("--prepare-only", action="store_true", help="build corpus and tokenizer, then stop")
    p.add_argument(
        "--max-corpus-mb", type=POSITIVE.arg, default=120.0, help="keep at most this much text (default 120)"
    )
    p.add_argument("--vocab-size", type=COUNT.arg, default=8192)
    p.add_argument("--size", default="small", help="model size: test, tiny, small, base (default small)")
    p.add_argument("--seq-len", type=COUNT.arg, default=256)
    p.add_argument("--batch-size", type=BATCH.arg, default=32)
    p.add_argument("--lr", type=POSITIVE.arg, default=1.5e-3)
    p.add_argument("--steps", type=COUNT.arg, default=100_000, help="stop after this many optimizer steps")
    p.add_argument(
        "--minutes", type=MINUTES.arg, default=None, help="stop after this many minutes (the LR schedule follows)"
    )
    p.add_argument("--eval-every", type=COUNT.arg, default=200)
    p.add_argument("--checkpoint-every", type=COUNT.arg, default=100)
    p.add_argument("--seed", type=SEED.arg, default=0)
    p.add_argument("--threads", type=BATCH.arg, default=None, help="torch CPU threads (default: all cores)")
    p.add_argument("--no-bf16", action="store_true", help="train in fp32 instead of bf16 autocast")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--fine-tune", metavar="FOLDER", help="start from this checkpoint (e.g. the embedded model)")
    p.add_argument(
        "--corrupt-share",
        type=SHARE.arg,
        default=0.0,
        help="share of windows corrupted with realistic token edits (identifier, operator, number) "
        "instead of masked; the model restores them (default 0: the plain MDLM objective)",
    )
    p.add_argument(
        "--copy-share",
        type=SHARE.arg,
        default=0.0,
        help="share of masked windows in copy mode: some names that occur more than once in the "
        "window are masked (one occurrence stays visible), over a light uniform background "
        "(default 0)",
    )
    p.add_argument(
        "--detector",
        action="store_true",
        help="also train a bug-detector head on the corrupted windows (needs --corrupt-share > 0); "
        "saved as detector/ beside the model; --fine-tune from a folder without one starts it "
        "from the model's encoder",
    )
    p.add_argument(
        "--detector-weight",
        type=POSITIVE.arg,
        default=1.0,
        help="lambda in loss = MLM loss + lambda * detector cross-entropy (default 1)",
    )


def _run_train(args: argparse.Namespace) -> int:
    from coderemask.training.train import TrainConfig, check_fine_tune_folder, load_for_fine_tune, prepare, train

    if args.corpus:
        for folder in args.corpus:
            if not folder.is_dir():
                raise UsageError(f"--corpus {str(folder)!r}: no such folder")
    if args.fine_tune:
        check_fine_tune_folder(args.fine_tune)
    if args.detector and not args.corrupt_share:
        raise UsageError("--detector trains on corrupted windows: give --corrupt-share too (e.g. 0.3)")
    needs_data = not (args.resume or args.fine_tune) or args.corpus
    if args.prepare_only or (needs_data and not (args.data / "train.bin").exists()) or args.corpus:
        max_bytes = int(args.max_corpus_mb * 1e6) if args.max_corpus_mb else None
        log = lambda s: print(s, file=sys.stderr)  # noqa: E731
        # a fine-tuned model keeps its vocabulary: encode the new corpus with the checkpoint's tokenizer
        tokenizer = load_for_fine_tune(args.fine_tune)[1] if args.fine_tune else None
        manifest = prepare(
            args.data, args.corpus, vocab_size=args.vocab_size, max_bytes=max_bytes, tokenizer=tokenizer, log=log
        )
        if args.prepare_only:
            print(
                json.dumps(
                    {
                        k: manifest[k]
                        for k in (
                            "train_files",
                            "val_files",
                            "train_tokens",
                            "val_tokens",
                            "dropped",
                            "decontaminated_functions",
                        )
                    },
                    indent=2,
                )
            )
            return EXIT_OK
    if args.fine_tune and not (args.data / "train.bin").exists():
        raise UsageError(f"--fine-tune needs a prepared corpus: pass --corpus DIR (none in {str(args.data)!r})")
    cfg = TrainConfig(
        data_dir=str(args.data),
        out_dir=str(args.out),
        size=args.size,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        lr=args.lr,
        max_steps=args.steps,
        max_minutes=args.minutes,
        eval_every=args.eval_every,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        bf16=not args.no_bf16,
        threads=args.threads,
        fine_tune=args.fine_tune,
        masking={k: v for k, v in (("p_corrupt", args.corrupt_share), ("p_copy", args.copy_share)) if v},
        detector=args.detector,
        detector_weight=args.detector_weight,
    )
    folder = train(cfg, resume=args.resume, log=lambda s: print(s, file=sys.stderr), progress=sys.stderr.isatty())
    print(str(folder))
    return EXIT_OK


def _add_sample_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("template", help="text with [MASK] / [MASK*N] slots, a file path, or - for stdin")
    add_model_arguments(p)
    p.add_argument("--samples", type=BATCH.arg, default=1, help="candidates decoded in one batch (default 1)")
    p.add_argument("--steps", type=COUNT.arg, default=None, help="denoising steps (default: one per slot)")
    p.add_argument("--unmask", default="confidence", help="random, confidence, margin, entropy")
    p.add_argument("--remask", default="none", help="none, cap, rescale, conf, loop, threshold")
    p.add_argument(
        "--eta", type=NON_NEGATIVE.arg, default=0.0, help="ReMDM remasking strength (cap, rescale, conf, loop)"
    )
    p.add_argument(
        "--remask-threshold",
        type=NON_NEGATIVE.arg,
        default=None,
        help="remask=threshold: send back decoded tokens whose probability falls below this",
    )
    p.add_argument("--temperature", type=NON_NEGATIVE.arg, default=0.0)
    p.add_argument("--seed", type=SEED.arg, default=0)


def _read_template(value: str) -> tuple[str, str]:
    if value == "-":
        return sys.stdin.read(), "stdin"
    path = Path(value)
    if "[MASK" not in value and path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except UnicodeDecodeError:
            raise UsageError(f"template file {value!r} is not valid UTF-8") from None
    return value, "the template argument"


def _run_sample(args: argparse.Namespace) -> int:
    from coderemask.infill import fill, parse_template
    from coderemask.sampler import SamplerConfig

    text, where = _read_template(args.template)
    template = parse_template(text, where=where)
    config = SamplerConfig(
        unmask=args.unmask,
        remask=args.remask,
        temperature=args.temperature,
        seed=args.seed,
        **({"eta": args.eta} if args.eta else {}),
        **({"remask_threshold": args.remask_threshold} if args.remask_threshold else {}),
    )
    model = load_model_from_args(args)
    for i, out in enumerate(fill(model, template, config, samples=args.samples, steps=args.steps)):
        if args.samples > 1:
            print(f"# sample {i} (mean confidence {out.confidence:.3f})")
        print(out.text)
    return EXIT_OK


def _add_model_eval_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument("--windows", type=COUNT.arg, default=128, help="held-out windows for ELBO and token accuracy")
    p.add_argument("--span-windows", type=COUNT.arg, default=100, help="held-out windows for span recovery")
    p.add_argument(
        "--probe-windows",
        type=COUNT.arg,
        default=600,
        help="held-out windows for identifier slots and detector localization (default 600)",
    )
    p.add_argument(
        "--infilling",
        type=Path,
        default=None,
        help="HumanEval-SingleLineInfilling JSONL(.gz) (default: ../shared/data when present)",
    )
    p.add_argument(
        "--infill-limit", type=COUNT_OR_ZERO.arg, default=100, help="seeded subset of infilling tasks (0 = all)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")


def _default_infilling() -> Path | None:
    from coderemask.training.corpus import default_eval_sets

    return next((p for p in default_eval_sets() if p.name.startswith("HumanEval-SingleLineInfilling")), None)


def _run_model_eval(args: argparse.Namespace) -> int:
    from coderemask.evaluation.model_quality import evaluate_model
    from coderemask.signals.execution import passes

    infilling = args.infilling or _default_infilling()
    if infilling is not None and not infilling.is_file():
        raise UsageError(f"--infilling {str(infilling)!r}: no such file")
    model = load_model_from_args(args)
    report = evaluate_model(
        model,
        args.model,
        windows=args.windows,
        span_windows=args.span_windows,
        probe_windows=args.probe_windows,
        infilling_path=infilling,
        infill_limit=args.infill_limit or None,
        run_programs=passes,
        log=lambda s: print(s, file=sys.stderr),
    )
    print(report.to_json() if args.json else report.to_markdown())
    return EXIT_OK


def _add_model_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=Path, help="a checkpoint folder (e.g. runs/train/latest)")
    p.add_argument("dest", type=Path, help="the folder to write (created; other files in it stay)")
    p.add_argument("--dtype", default="fp16", help="how the weights are stored: fp16 (default), fp32, bf16")


def _run_model_export(args: argparse.Namespace) -> int:
    from coderemask.model.export import export_checkpoint

    if not args.source.is_dir():
        raise UsageError(f"{str(args.source)!r}: no such folder")
    written = export_checkpoint(args.source, args.dest, args.dtype)
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({size / 2**20:.1f} MiB, weights in {args.dtype}) to {args.dest}")
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "sample",
        "fill [MASK] slots in a text with a model (a quick look at what it writes)",
        _add_sample_arguments,
        _run_sample,
    ),
    Command(
        "model-eval",
        "measure a checkpoint: ELBO, token/span/operator accuracy, identifier slots, "
        "detector localization, infilling pass rate",
        _add_model_eval_arguments,
        _run_model_eval,
    ),
    Command(
        "model-export",
        "write a checkpoint (masked LM, tokenizer, detector/) again with its weights in fp16 (or fp32, bf16)",
        _add_model_export_arguments,
        _run_model_export,
    ),
    Command(
        "train", "build a corpus and train (or fine-tune) a masked-diffusion model", _add_train_arguments, _run_train
    ),
]
