"""Write a checkpoint folder again with its weights stored in another dtype (``coderemask model-export``).

A training checkpoint keeps fp32 weights (it resumes from them). What ships needs only to load:
fp16 halves the bytes, and a CPU run upcasts to fp32 on load (``load_model``'s dtype wins over the
stored one), so the shipped embedded model is stored in fp16 and measured as loaded. The masked LM,
its tokenizer and ``detector/`` (when the source has one) are written; other files already in the
destination (the package's ``__init__.py``, the model card) stay. Each file is written in full
beside the destination first and then moved into place, so an interrupted export leaves every file
either old or new, never cut short.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from coderemask.errors import ConfigError, ModelLoadError
from coderemask.model.detector import DETECTOR_SUBFOLDER, detector_folder

STORAGE_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def export_checkpoint(source: str | Path, dest: str | Path, dtype: str = "fp16") -> list[Path]:
    """Write ``source``'s masked LM, tokenizer and detector into ``dest`` with weights in ``dtype``
    (a ``STORAGE_DTYPES`` name); returns the paths written. ModelLoadError when ``source`` is not a
    masked-LM checkpoint folder."""
    if dtype not in STORAGE_DTYPES:
        raise ConfigError(f"--dtype {dtype!r}: not one of {', '.join(STORAGE_DTYPES)}")
    src, out = Path(source), Path(dest)
    if not (src / "config.json").is_file():
        raise ModelLoadError(f"{str(src)!r} is not a checkpoint folder (no config.json)")
    if src.resolve() == out.resolve():
        raise ModelLoadError(f"{str(src)!r}: the source and the destination are the same folder")
    dt = STORAGE_DTYPES[dtype]
    from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(src)
        mlm = AutoModelForMaskedLM.from_pretrained(src, dtype=dt)
        det_src = detector_folder(src)
        detector = AutoModelForTokenClassification.from_pretrained(det_src, dtype=dt) if det_src else None
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"could not load the checkpoint in {str(src)!r}: {type(e).__name__}: {e}") from e
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export-", dir=out.parent) as tmp:
        stage = Path(tmp)
        mlm.save_pretrained(stage)
        tokenizer.save_pretrained(stage)
        if detector is not None:
            detector.save_pretrained(stage / DETECTOR_SUBFOLDER)
            tokenizer.save_pretrained(stage / DETECTOR_SUBFOLDER)
        mode = 0o666 & ~_umask()
        for path in stage.rglob("*"):
            if path.is_file():
                path.chmod(mode)  # safetensors writes 0600; a checkpoint is read by whoever runs it
        written = [out / p.name for p in sorted(stage.iterdir()) if p.is_file()]
        for path in written:
            os.replace(stage / path.name, path)
        old = out / DETECTOR_SUBFOLDER
        if old.exists():  # replaced whole, or removed when the source has none (goes with the stage)
            os.replace(old, stage / ".old-detector")
        if detector is not None:
            os.replace(stage / DETECTOR_SUBFOLDER, old)
            written += sorted(old.iterdir())
    return written


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
