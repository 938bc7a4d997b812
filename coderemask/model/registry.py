"""Per-family facts about diffusion checkpoints, and named presets.

A ``Family`` is data: how to load a checkpoint, whether its logits are shifted, how to pass the
attention mask, and where to find its mask, pad and null tokens. Families and presets are chosen
by name from the tables below (``FAMILIES``, ``PRESETS``), or detected from a config.

This module does not import transformers and does not load anything: it knows names, ids and
rules, not weights. It does not know about sampling or code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from coderemask.errors import ConfigError

EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"

LOADERS = ("masked_lm", "auto_model", "causal_lm")
"""Loader kinds: AutoModelForMaskedLM, AutoModel, AutoModelForCausalLM (see loading.py)."""

ATTENTION_STYLES = ("padding", "dream", "forced_bidirectional")
"""How ``attention_mask`` reaches the model (see hf.py):

- ``padding``: the [B, L] padding mask as is (the model is bidirectional by construction);
- ``dream``: Dream's remote code: the string ``"full"``, or a [B, 1, L, L] bool mask + positions;
- ``forced_bidirectional``: a stock causal class run with an explicit [B, 1, L, L] full mask.
"""


@dataclass(frozen=True)
class Family:
    """Facts about one family of checkpoints.

    Attributes:
        name: registry key.
        loader: one of ``LOADERS``.
        shift_logits: position i is predicted by the output at i - 1 (autoregressive init).
        attention: one of ``ATTENTION_STYLES``.
        mask_tokens: token strings that may be the mask token, tried after the tokenizer's own.
        mask_id: the documented mask id, the last resort when no token is found.
        null_tokens: token strings for the "empty slot" token, if the vocab has one.
        trust_remote_code: the checkpoint ships its own modeling code.
        attn_implementation: the attention kernel to load with (None: the library default).
        model_types: ``config.model_type`` values (lower case) that select this family.
        name_markers: substrings of ``architectures`` / ``auto_map`` (lower case) that select it.
    """

    name: str
    loader: str
    shift_logits: bool
    attention: str
    mask_tokens: tuple[str, ...] = ()
    mask_id: int | None = None
    null_tokens: tuple[str, ...] = ("[NULL]",)
    trust_remote_code: bool = False
    attn_implementation: str | None = None
    model_types: frozenset[str] = frozenset()
    name_markers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.loader not in LOADERS:
            raise ConfigError(f"family {self.name!r}: loader {self.loader!r} is not one of {LOADERS}")
        if self.attention not in ATTENTION_STYLES:
            raise ConfigError(f"family {self.name!r}: attention {self.attention!r} is not one of {ATTENTION_STYLES}")

    @property
    def force_bidirectional(self) -> bool:
        """True when a plain forward of the loaded class would be causal (and silently wrong)."""
        return self.attention == "forced_bidirectional"

    def matches(self, config: Mapping[str, Any]) -> bool:
        """Whether a raw config dict (``config.json``) belongs to this family."""
        model_type = str(config.get("model_type") or "").lower()
        if model_type in self.model_types:
            return True
        names = " ".join(_config_names(config)).lower()
        return any(marker in names for marker in self.name_markers)


def _config_names(config: Mapping[str, Any]) -> list[str]:
    """Class names a config points at: ``architectures`` and the values of ``auto_map``."""
    names = [str(a) for a in config.get("architectures") or ()]
    auto_map = config.get("auto_map") or {}
    for value in auto_map.values():
        names.extend(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
    return names


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            name="dream",
            loader="auto_model",
            shift_logits=True,
            attention="dream",
            mask_tokens=("<|mask|>",),
            mask_id=151666,
            trust_remote_code=True,
            model_types=frozenset({"dream"}),
            name_markers=("dream",),
        ),
        Family(
            name="llada",
            loader="auto_model",
            shift_logits=False,
            attention="padding",
            mask_tokens=("<|mdm_mask|>",),
            mask_id=126336,
            trust_remote_code=True,
            model_types=frozenset({"llada"}),
            name_markers=("llada",),
        ),
        Family(
            name="qwen2_bidirectional",
            loader="causal_lm",
            shift_logits=True,
            attention="forced_bidirectional",
            mask_tokens=("<M>",),
            mask_id=151665,
            attn_implementation="sdpa",
            model_types=frozenset({"qwen2"}),
        ),
        Family(
            name="masked_lm",
            loader="masked_lm",
            shift_logits=False,
            attention="padding",
            name_markers=("formaskedlm",),
        ),
    )
}
"""Detection tries these in order; ``masked_lm`` is last and also accepts any model type that
transformers can load with AutoModelForMaskedLM."""


def get_family(name: str | Family) -> Family:
    """The family called ``name`` (a Family passes through); ConfigError lists the known ones."""
    if isinstance(name, Family):
        return name
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(f"unknown model family {name!r}; known families: {', '.join(FAMILIES)}") from None


def detect_family(config: Mapping[str, Any], *, source: str = "config") -> Family:
    """The family of a raw config dict, from ``model_type``, ``architectures`` and ``auto_map``.

    Raises ConfigError naming ``source`` when no family matches.
    """
    for family in FAMILIES.values():
        if family.matches(config):
            return family
    if str(config.get("model_type") or "").lower() in _masked_lm_model_types():
        return FAMILIES["masked_lm"]
    raise ConfigError(
        f"cannot tell the model family of {source} (model_type={config.get('model_type')!r}, "
        f"architectures={config.get('architectures')!r}); pass one of: {', '.join(FAMILIES)}"
    )


def _masked_lm_model_types() -> frozenset[str]:
    """Model types transformers maps to a masked-LM head (imported lazily: it is a name table)."""
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES
    except ImportError:  # pragma: no cover - transformers layout changed
        return frozenset()
    return frozenset(MODEL_FOR_MASKED_LM_MAPPING_NAMES)


# ---------------------------------------------------------------------------------------------
# Special ids. ``tokenizer`` is anything with ``get_vocab()`` and the usual ``*_token`` /
# ``*_token_id`` attributes; ``config`` anything with attributes (a PretrainedConfig).


def _check_id(token_id: int, what: str, source: str, vocab_size: int) -> int:
    if not 0 <= int(token_id) < vocab_size:
        raise ConfigError(f"{what} id {token_id} (from {source}) is outside the model vocabulary of size {vocab_size}")
    return int(token_id)


def resolve_mask_id(family: Family, tokenizer: Any, config: Any, vocab_size: int) -> int:
    """The mask id, never assumed when the checkpoint says it.

    Order: the tokenizer's ``mask_token``; a token of ``family.mask_tokens`` in the vocab;
    ``config.mask_token_id``; ``family.mask_id``. The result must be < ``vocab_size``.
    """
    vocab = tokenizer.get_vocab()
    candidates: list[tuple[int | None, str]] = []
    mask_token = getattr(tokenizer, "mask_token", None)
    if mask_token is not None:
        candidates.append((vocab.get(str(mask_token)), f"the tokenizer's mask_token {str(mask_token)!r}"))
    candidates += [(vocab.get(tok), f"token {tok!r} in the tokenizer vocab") for tok in family.mask_tokens]
    candidates.append((getattr(config, "mask_token_id", None), "config.mask_token_id"))
    candidates.append((family.mask_id, f"the known mask id of family {family.name!r}"))
    for token_id, source in candidates:
        if token_id is not None:
            return _check_id(token_id, "mask token", source, vocab_size)
    raise ConfigError(
        f"no mask token for family {family.name!r}: the tokenizer has no mask_token, none of "
        f"{list(family.mask_tokens)} is in its vocab, and the config has no mask_token_id"
    )


def resolve_pad_id(tokenizer: Any, config: Any, vocab_size: int, mask_id: int) -> int:
    """The pad id: tokenizer pad, config pad, tokenizer eos, else the mask id."""
    candidates = (
        (getattr(tokenizer, "pad_token_id", None), "the tokenizer's pad_token"),
        (getattr(config, "pad_token_id", None), "config.pad_token_id"),
        (getattr(tokenizer, "eos_token_id", None), "the tokenizer's eos_token"),
    )
    for token_id, source in candidates:
        if isinstance(token_id, int):
            return _check_id(token_id, "pad token", source, vocab_size)
    return mask_id


def resolve_null_id(family: Family, tokenizer: Any, vocab_size: int) -> int | None:
    """The id of the first of ``family.null_tokens`` in the vocab (and the model's), or None."""
    vocab = tokenizer.get_vocab()
    for tok in family.null_tokens:
        if tok in vocab and vocab[tok] < vocab_size:
            return int(vocab[tok])
    return None


# ---------------------------------------------------------------------------------------------
# Presets


@dataclass(frozen=True)
class Preset:
    """A short name for a checkpoint: ``source`` is a hub id or a local folder."""

    name: str
    source: str
    family: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("embedded", str(EMBEDDED_DIR), "masked_lm"),
        Preset("dream-coder", "Dream-org/Dream-Coder-v0-Instruct-7B", "dream"),
        Preset("dream", "Dream-org/Dream-v0-Instruct-7B", "dream"),
        Preset("diffucoder", "apple/DiffuCoder-7B-cpGRPO", "dream"),
        Preset("llada", "GSAI-ML/LLaDA-8B-Instruct", "llada"),
        Preset("open-dcoder", "fredzzp/open-dcoder-0.5B", "qwen2_bidirectional"),
    )
}
