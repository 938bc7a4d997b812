"""`coderemask train --corrupt-share --detector` on a tiny corpus: the detector trains with the
masked LM (one shared encoder), is saved as detector/, loads with stock transformers offline,
survives --resume, and starts from the MLM's encoder when fine-tuning a folder without one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from tests.test_train_end_to_end import _cli, tiny_corpus  # noqa: F401 (a fixture)

COMMON = [
    "--size",
    "test",
    "--seq-len",
    "64",
    "--batch-size",
    "4",
    "--vocab-size",
    "300",
    "--eval-every",
    "2",
    "--checkpoint-every",
    "2",
    "--threads",
    "1",
]


@pytest.mark.slow
def test_detector_trains_saves_resumes_and_loads_offline(tiny_corpus: Path, tmp_path: Path) -> None:  # noqa: F811
    data, plain, joint = tmp_path / "data", tmp_path / "plain", tmp_path / "joint"
    first = _cli(
        "train",
        "--corpus",
        str(tiny_corpus),
        "--data",
        str(data),
        "--out",
        str(plain),
        "--steps",
        "2",
        "--corrupt-share",
        "0.5",
        *COMMON,
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert not (plain / "latest" / "detector").exists()  # no --detector: no detector folder
    tuned = _cli(
        "train",
        "--fine-tune",
        str(plain / "latest"),
        "--data",
        str(data),
        "--out",
        str(joint),
        "--steps",
        "3",
        "--corrupt-share",
        "0.5",
        "--copy-share",
        "0.5",
        "--detector",
        *COMMON,
        cwd=tmp_path,
    )
    assert tuned.returncode == 0, tuned.stderr
    assert "detector: shares the encoder" in tuned.stderr and "copy mode: 50%" in tuned.stderr
    resumed = _cli("train", "--out", str(joint), "--data", str(data), "--steps", "4", "--resume", *COMMON, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at step 3" in resumed.stderr
    log = [json.loads(line) for line in (joint / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4]
    assert all("detector_loss" in r for r in log)
    assert all(0.0 <= r["detector_top3"] <= 1.0 for r in log if r["step"] % 2 == 0)
    saved = json.loads((joint / "train_config.json").read_text())
    assert saved["detector"] is True and saved["masking"] == {"p_corrupt": 0.5, "p_copy": 0.5}

    from transformers import AutoModelForMaskedLM, AutoModelForTokenClassification, AutoTokenizer

    os.environ["HF_HUB_OFFLINE"] = "1"
    folder = joint / "latest" / "detector"
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    detector = AutoModelForTokenClassification.from_pretrained(folder, local_files_only=True)
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    assert type(detector).__name__ == "ModernBertForTokenClassification" and detector.config.num_labels == 2
    ids = tok("def clamp(value, low, high):\n    if value > low:\n", add_special_tokens=False, return_tensors="pt")[
        "input_ids"
    ]
    with torch.no_grad():
        logits = detector(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], 2) and torch.isfinite(logits).all()
    mlm = AutoModelForMaskedLM.from_pretrained(joint / "latest", local_files_only=True)
    for (name, a), (_, b) in zip(mlm.model.state_dict().items(), detector.model.state_dict().items()):
        assert torch.equal(a, b), name  # the detector's encoder is the MLM's

    # and the witness reads it through load_model (untrained after 4 steps: only the shape is checked)
    from coderemask.model import load_model
    from coderemask.model.detector import detector_of
    from coderemask.signals.detector import DetectorWitness

    model = load_model(joint / "latest", device="cpu")
    code = "def clamp(value, low, high):\n    if value > low:\n        return low\n"
    offsets, probs = detector_of(model).score_text(code)
    assert len(offsets) == len(probs) == len(model.encode(code)) and all(0.0 <= p <= 1.0 for p in probs)
    evidence = DetectorWitness(lambda: detector_of(model), threshold=min(probs))(code)
    assert evidence and all(e.source == "detector" for e in evidence)


@pytest.mark.slow
@pytest.mark.parametrize(
    "flags, message",
    [
        (["--detector"], "--corrupt-share"),
        (["--corrupt-share", "1.5"], "argument --corrupt-share"),
        (["--corrupt-share", "0.3", "--detector", "--detector-weight", "0"], "argument --detector-weight"),
    ],
)
def test_detector_flags_exit_2(tmp_path: Path, flags: list[str], message: str) -> None:
    out = _cli("train", "--data", str(tmp_path / "d"), *flags, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, out.stderr
