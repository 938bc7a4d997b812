"""The shipped embedded model: loads offline from the package, samples, stays small."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from coderemask.infill import fill
from coderemask.model import load_model
from coderemask.model.registry import EMBEDDED_DIR
from coderemask.sampler import SamplerConfig


@pytest.fixture(scope="module")
def model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return load_model("embedded", device="cpu")


def test_checkpoint_ships_inside_the_package_and_is_small() -> None:
    folder = Path(EMBEDDED_DIR)
    weights = list(folder.glob("*.safetensors"))
    assert weights, f"no weights in {folder}"
    assert sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) < 60 * 2**20
    card = (folder / "README.md").read_text()
    # the card carries the table that `coderemask model-eval` prints
    for metric in (
        "elbo_bits_per_byte",
        "token_top1@0.15",
        "token_top1@0.5",
        "token_top1@0.9",
        "span1_top1",
        "span3_top5",
        "operator_top1",
        "small_int_top1",
        "identifier_slot_top1",
        "identifier_slot_top5",
        "detector_top1",
        "detector_top3",
        "infill_pass_known_length",
        "infill_pass_unknown_length_24_slots",
    ):
        assert f"| {metric} |" in card, metric


def test_the_shipped_detector_loads_offline_with_stock_transformers_and_weights_are_fp16() -> None:
    from safetensors import safe_open
    from transformers import AutoModelForTokenClassification

    folder = Path(EMBEDDED_DIR)
    detector = AutoModelForTokenClassification.from_pretrained(folder / "detector", local_files_only=True)
    assert type(detector).__name__ == "ModernBertForTokenClassification" and detector.config.num_labels == 2
    for weights in (folder / "model.safetensors", folder / "detector" / "model.safetensors"):
        with safe_open(str(weights), "pt") as f:
            assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}, weights


def test_the_shipped_detector_accuses_a_planted_operator_more_than_the_clean_code(model) -> None:
    """The real detector, through the witness: a swapped comparison in a clean function raises its
    line's suspicion and puts the line among the two most suspect (phase 6 ranks it second, just
    behind the ``n += 1`` it guards: P 0.0266 against 0.0276; phase 5 ranked it first)."""
    from coderemask.model.detector import detector_of
    from coderemask.signals.detector import DetectorWitness

    clean = (
        "def count_positive(xs):\n    n = 0\n    for x in xs:\n        if x > 0:\n            n += 1\n    return n\n"
    )
    planted = clean.replace("if x > 0", "if x < 0")
    witness = DetectorWitness(lambda: detector_of(model))
    assert 4 in [o.line for o in witness.lines(planted)[:2]]
    p_planted = max(o.probability for o in witness.lines(planted) if o.line == 4)
    p_clean = max(o.probability for o in witness.lines(clean) if o.line == 4)
    assert p_planted > p_clean


def test_embedded_model_round_trips_text_and_knows_its_special_tokens(model) -> None:
    text = "def f(x):\n\tif x <= 10:  \n        return 'é'\n"
    assert model.decode(model.encode(text).ids) == text
    assert model.null_token_id is not None and model.mask_token_id != model.pad_token_id


def test_embedded_model_fills_slots(model) -> None:
    out = fill(model, ["def add(a, b):\n    return ", 4, "\n"], SamplerConfig(temperature=0.0), samples=2)
    assert len(out) == 2
    for filled in out:
        assert filled.text.startswith("def add(a, b):\n    return ") and filled.text.endswith("\n")
        assert 0.0 <= filled.confidence <= 1.0


def test_cli_uses_the_embedded_model_offline_by_default(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coderemask.frontends.cli",
            "sample",
            "def mean(values):\n    return [MASK*5]\n",
            "--samples",
            "2",
            "--seed",
            "0",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("def mean(values):") == 2 and "[MASK" not in out.stdout


def test_model_eval_prints_every_card_metric(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coderemask.frontends.cli",
            "model-eval",
            "--windows",
            "4",
            "--span-windows",
            "6",
            "--probe-windows",
            "8",
            "--infill-limit",
            "3",
            "--json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    import json

    report = json.loads(out.stdout)
    names = set(report["metrics"])
    for ratio in ("0.15", "0.5", "0.9"):
        assert {f"token_top1@{ratio}", f"token_top5@{ratio}"} <= names
    assert {"elbo_bits_per_byte", "span1_top1", "span3_top5", "operator_top1", "small_int_top1"} <= names
    assert {
        "identifier_slot_top1",
        "identifier_slot_top5",
        "detector_top1",
        "detector_top3",
    } <= names  # it ships detector/
    if any(name.startswith("infill_pass") for name in names):  # ../shared/data is present here
        assert report["counts"]["infill_pass_known_length"] == 3
    assert all(0.0 <= v <= 1.0 for k, v in report["metrics"].items() if k != "elbo_bits_per_byte")
    assert report["metrics"]["elbo_bits_per_byte"] > 0 and report["counts"]["elbo_bits_per_byte"] > 0


def test_every_file_of_the_embedded_folder_ships_in_the_package() -> None:
    """pyproject's package-data must name each file (detector/ included), or a wheel loses it."""
    from fnmatch import fnmatch

    from coderemask.tomlcompat import loads

    root = Path(__file__).parent.parent
    data = loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["coderemask.model.embedded"]
    folder = Path(EMBEDDED_DIR)
    files = [
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]

    def shipped(name: str, pattern: str) -> bool:  # setuptools' glob: `*` stays inside one folder
        parts, pats = name.split("/"), pattern.split("/")
        return len(parts) == len(pats) and all(fnmatch(a, b) for a, b in zip(parts, pats))

    missing = [f for f in files if not f.endswith(".py") and not any(shipped(f, pat) for pat in patterns)]
    assert files and missing == []
    assert not shipped("detector/model.safetensors", "*.safetensors")  # the rule this test keeps
