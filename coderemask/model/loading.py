"""load_model(): a folder, hub id or preset name -> HFDenoiser on a chosen device and dtype.

Every failure (missing or incomplete folder, corrupt weights, unknown preset, hub unreachable)
becomes a ModelLoadError that names the spec. This module does not know the families' facts
(registry.py) or how logits are computed (hf.py); it knows files, the hub and devices.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, NoReturn

import torch

from coderemask.errors import CoderemaskError, ConfigError, ModelLoadError
from coderemask.model.detector import LazyDetector, detector_folder
from coderemask.model.hf import HFDenoiser
from coderemask.model.registry import EMBEDDED_DIR, PRESETS, Family, detect_family, get_family

LOADER_CLASSES = {
    "masked_lm": "AutoModelForMaskedLM",
    "auto_model": "AutoModel",
    "causal_lm": "AutoModelForCausalLM",
}
"""``Family.loader`` -> name of the transformers auto class that loads it."""

DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "float32": torch.float32,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp16": torch.float16,
    "float16": torch.float16,
}

WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The requested device, else CUDA when available, else CPU. ConfigError if unusable."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ConfigError(f"device {device!r} is not a torch device ({e})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for, but CUDA is not available here")
    return dev


def pick_dtype(dtype: str | torch.dtype | None = None, device: torch.device | None = None) -> torch.dtype:
    """The requested dtype (a torch dtype or one of ``DTYPES``), else bf16 on CUDA, fp32 elsewhere."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None:
        cuda = device is not None and device.type == "cuda"
        return torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else (torch.float16 if cuda else torch.float32)
    try:
        return DTYPES[str(dtype).lower()]
    except KeyError:
        raise ConfigError(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}") from None


@dataclass(frozen=True)
class ResolvedSpec:
    """Where a spec points: a local folder or a hub id, and a family if the spec implies one."""

    spec: str
    source: str
    local: bool
    family: str | None = None


def has_weights(folder: Path) -> bool:
    """Whether ``folder`` holds a config.json and at least one weights file."""
    return (folder / "config.json").is_file() and any(any(folder.glob(pattern)) for pattern in WEIGHT_PATTERNS)


def resolve_spec(spec: str | Path) -> ResolvedSpec:
    """Classify ``spec``: preset name, existing folder, or hub id ``owner/name`` (in that order;
    write ``./name`` for a folder that shares a preset's name).

    ModelLoadError for a path that does not exist or is not a model folder, and for a bare name
    that is not a preset.
    """
    text = str(spec)
    preset = PRESETS.get(text)
    if preset is not None:
        if Path(preset.source) == EMBEDDED_DIR and not has_weights(EMBEDDED_DIR):
            raise ModelLoadError(
                f"the embedded model is not there yet: {EMBEDDED_DIR} has no config.json and "
                "weights; it is produced by coderemask.training.train. Pass a model folder, a hub "
                f"id or another preset ({', '.join(p for p in PRESETS if p != 'embedded')})"
            )
        return ResolvedSpec(text, preset.source, local=Path(preset.source).is_dir(), family=preset.family)
    path = Path(text).expanduser()
    if path.exists():
        _check_folder(path, text)
        return ResolvedSpec(text, str(path), local=True)
    if _HUB_ID.match(text) and not text.startswith((".", "~")):
        return ResolvedSpec(text, text, local=False)
    if "/" in text or "\\" in text or text.startswith((".", "~")):
        raise ModelLoadError(f"model folder {text!r} does not exist")
    raise ModelLoadError(
        f"unknown model {text!r}: not a folder, not a hub id (owner/name), and not a preset; "
        f"known presets: {', '.join(PRESETS)}"
    )


def _check_folder(path: Path, spec: str) -> None:
    if not path.is_dir():
        raise ModelLoadError(f"model spec {spec!r} is a file; give the folder that holds config.json")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"model folder {spec!r} has no config.json (is it a transformers checkpoint?)")
    if not has_weights(path):
        raise ModelLoadError(f"model folder {spec!r} has no weights (none of {', '.join(WEIGHT_PATTERNS)})")


@contextlib.contextmanager
def _load_errors(what: str, resolved: ResolvedSpec) -> Iterator[None]:
    """Turn any failure while loading ``what`` into a ModelLoadError naming the spec."""
    try:
        yield
    except CoderemaskError:
        raise
    except Exception as e:
        if _interrupted(e):  # Ctrl-C inside a lazy import, which transformers rewraps
            raise KeyboardInterrupt from e
        _raise_load_error(e, what, resolved)


def _interrupted(e: BaseException) -> bool:
    """True when a KeyboardInterrupt is among ``e``'s causes or contexts."""
    seen: set[int] = set()
    cause: BaseException | None = e
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _raise_load_error(e: Exception, what: str, resolved: ResolvedSpec) -> NoReturn:
    if isinstance(e, OSError):
        if resolved.local:
            raise ModelLoadError(f"could not read the {what} of {resolved.spec!r}: {_first_line(e)}") from e
        raise ModelLoadError(
            f"could not fetch the {what} of {resolved.spec!r} from the Hugging Face hub: the machine "
            "appears to be offline (or the id is wrong). Download the model first, e.g. "
            f"`huggingface-cli download {resolved.source}`, or pass a local folder (there is no "
            f"folder {resolved.spec!r} here). "
            f"({_first_line(e)})"
        ) from e
    raise ModelLoadError(  # a loading boundary: corrupt files raise many kinds
        f"could not load the {what} of {resolved.spec!r}: {type(e).__name__}: {_first_line(e)}"
    ) from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def load_model(
    spec: str | Path,
    *,
    family: str | Family | None = None,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> HFDenoiser:
    """Load a checkpoint as an HFDenoiser in eval mode.

    Args:
        spec: a local folder, a hub id (``owner/name``) or a preset name (``PRESETS``).
        family: a family name or Family; default: the preset's, else detected from config.json.
        device: default CUDA when available, else CPU.
        dtype: default bf16 on CUDA, fp32 on CPU.

    A local folder with a ``detector/`` checkpoint gets it as ``denoiser.detector`` (a
    LazyDetector on the same device and dtype: it loads when first used).
    """
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # progress belongs to the caller's own display
    resolved = resolve_spec(spec)
    dev = pick_device(device)
    dt = pick_dtype(dtype, dev)
    with _load_errors("config", resolved):
        config_dict, _ = transformers.PretrainedConfig.get_config_dict(resolved.source)
    if family is None:
        family = resolved.family
    fam = get_family(family) if family is not None else detect_family(config_dict, source=resolved.spec)
    remote = {"trust_remote_code": fam.trust_remote_code}
    with _load_errors("tokenizer", resolved):
        tokenizer = transformers.AutoTokenizer.from_pretrained(resolved.source, **remote)
    kwargs: dict[str, Any] = {"dtype": dt, **remote}
    if fam.attn_implementation is not None:
        kwargs["attn_implementation"] = fam.attn_implementation
    auto_class = getattr(transformers, LOADER_CLASSES[fam.loader])
    with _load_errors("weights", resolved):
        model = auto_class.from_pretrained(resolved.source, **kwargs).to(dev)
    denoiser = HFDenoiser(model, tokenizer, fam)
    detector = detector_folder(resolved.source) if resolved.local else None
    if detector is not None:
        denoiser.detector = LazyDetector(detector, dev, dt)
    return denoiser
