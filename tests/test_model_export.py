"""`coderemask model-export`: a checkpoint written again with fp16 weights loads with stock
transformers as fp32, predicts as the original does, keeps the destination's other files, and
carries (or drops) detector/ with the source; bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from coderemask.model import load_model
from coderemask.model.export import export_checkpoint
from tests.tiny_models import save_tiny_checkpoint, tiny_detector

CODE = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"


def _stored_dtypes(weights: Path) -> set[torch.dtype]:
    with safe_open(str(weights), "pt") as f:
        return {f.get_tensor(k).dtype for k in f.keys()}


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    save_tiny_checkpoint(folder, tiny_detector("Ġ<"))
    return folder


def test_fp16_export_loads_as_fp32_and_predicts_the_same(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "shipped"
    dest.mkdir()
    (dest / "README.md").write_text("the card\n")
    written = export_checkpoint(source, dest, "fp16")
    assert dest / "model.safetensors" in written and dest / "detector" / "model.safetensors" in written
    assert (dest / "README.md").read_text() == "the card\n"  # other files stay
    for weights in (dest / "model.safetensors", dest / "detector" / "model.safetensors"):
        assert _stored_dtypes(weights) == {torch.float16}
    assert (dest / "model.safetensors").stat().st_size < 0.6 * (source / "model.safetensors").stat().st_size
    assert (dest / "model.safetensors").stat().st_mode & 0o044  # readable by others, not safetensors' 0600
    before, after = load_model(source, device="cpu"), load_model(dest, device="cpu")
    assert next(after.model.parameters()).dtype == torch.float32  # upcast on load
    ids = torch.tensor([before.tokenizer(CODE)["input_ids"]])
    with torch.no_grad():
        a, b = before.model(input_ids=ids).logits, after.model(input_ids=ids).logits
    assert torch.equal(a.argmax(-1), b.argmax(-1)) and (a - b).abs().max() < 0.05
    p_before = before.detector.get().score_text(CODE)[1]
    p_after = after.detector.get().score_text(CODE)[1]
    assert max(abs(x - y) for x, y in zip(p_before, p_after)) < 0.01


def test_a_source_without_a_detector_removes_the_old_one(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "shipped"
    export_checkpoint(source, dest, "fp32")
    assert (dest / "detector" / "config.json").is_file()
    plain = tmp_path / "plain"
    save_tiny_checkpoint(plain)
    export_checkpoint(plain, dest, "fp16")
    assert not (dest / "detector").exists() and load_model(dest, device="cpu").detector is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]  # no stage left behind


def test_the_command_reports_and_refuses_bad_input(source: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    run = [sys.executable, "-m", "coderemask", "model-export"]
    done = subprocess.run([*run, str(source), str(tmp_path / "out")], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote 8 files (") and "weights in fp16" in done.stdout
    assert json.loads((tmp_path / "out" / "config.json").read_text())["dtype"] == "float16"
    for args, says in (
        ([str(tmp_path / "nowhere"), str(tmp_path / "x")], "no such folder"),
        ([str(tmp_path), str(tmp_path / "x")], "is not a checkpoint folder (no config.json)"),
        ([str(source), str(source)], "the source and the destination are the same folder"),
        ([str(source), str(tmp_path / "x"), "--dtype", "int8"], "--dtype 'int8': not one of fp32, fp16, bf16"),
    ):
        bad = subprocess.run([*run, *args], capture_output=True, text=True, env=env)
        assert bad.returncode == 2 and says in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)


def test_fine_tuning_from_the_shipped_fp16_checkpoint_trains_in_fp32() -> None:
    """Defect found in issue 16: `train --fine-tune coderemask/model/embedded` kept the stored fp16
    weights (transformers loads a checkpoint's own dtype), so a step took 70 s on the CPU and the
    loss was NaN from the second step. Both heads now load as fp32 and share one encoder."""
    from coderemask.training.train import load_detector_for_training, load_for_fine_tune

    shipped = Path(__file__).resolve().parents[1] / "coderemask" / "model" / "embedded"
    assert _stored_dtypes(shipped / "model.safetensors") == {torch.float16}
    mlm, tokenizer = load_for_fine_tune(str(shipped))
    detector = load_detector_for_training(shipped, mlm)
    assert {p.dtype for p in mlm.parameters()} == {torch.float32}
    assert {p.dtype for p in detector.parameters()} == {torch.float32}
    assert detector.model is mlm.model
    ids = torch.tensor([tokenizer(CODE)["input_ids"]])
    loss = mlm(input_ids=ids, labels=ids).loss
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in mlm.parameters() if p.grad is not None)
