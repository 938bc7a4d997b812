"""`coderemask train` end to end on a tiny corpus: corpus, tokenizer, train, resume, save, load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

TINY_CORPUS = {
    "util/strings.py": '''
def is_palindrome(text):
    """Return True if text reads the same backwards."""
    cleaned = [c.lower() for c in text if c.isalnum()]
    return cleaned == cleaned[::-1]


def count_vowels(text):
    total = 0
    for ch in text:
        if ch in "aeiou":
            total += 1
    return total
''',
    "util/numbers.py": """
def clamp(value, low, high):
    if value < low:
        return low
    if value > high:
        return high
    return value


def mean(values):
    if not values:
        raise ValueError("mean of empty list")
    return sum(values) / len(values)
""",
    "util/more.py": """
class Counter:
    def __init__(self):
        self.counts = {}

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n
        return self.counts[key]
""",
}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for rel, text in TINY_CORPUS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for copy in range(6):  # several distinct files (a comment keeps them from being duplicates)
            path.with_name(f"{path.stem}_{copy}.py").write_text(f"# copy {copy}\n" + text * 4)
    return root


@pytest.mark.slow
def test_train_resume_save_load_sample(tiny_corpus: Path, tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "run"
    common = [
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--size",
        "test",
        "--seq-len",
        "64",
        "--batch-size",
        "4",
        "--vocab-size",
        "300",
        "--eval-every",
        "5",
        "--checkpoint-every",
        "5",
    ]
    first = _cli(*common, "--corpus", str(tiny_corpus), "--steps", "10", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["train_files"] > 0 and manifest["val_files"] > 0 and manifest["train_tokens"] > 0
    second = _cli(*common, "--steps", "15", "--resume", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "resumed at step 10" in second.stderr
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 16))
    assert all("bits_per_byte" in r for r in log if r["step"] % 5 == 0)

    from transformers import AutoModelForMaskedLM, AutoTokenizer

    model = AutoModelForMaskedLM.from_pretrained(out / "latest")
    tok = AutoTokenizer.from_pretrained(out / "latest")
    ids = tok(
        "def clamp(value, low, high):\n    if value [MASK] low:\n", add_special_tokens=False, return_tensors="pt"
    )["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert logits.shape == (1, ids.shape[1], len(tok))
    assert torch.isfinite(logits).all()
    # and it samples through the adapters, the sampler and the CLI
    sampled = _cli(
        "sample",
        "--model",
        str(out / "latest"),
        "def mean(values):\n    return [MASK*6]\n",
        "--samples",
        "2",
        "--temperature",
        "1.0",
        cwd=tmp_path,
    )
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stdout.count("def mean(values):") == 2 and "[MASK" not in sampled.stdout

    # fine-tuning on a new corpus keeps the checkpoint's vocabulary ...
    tuned = _cli(
        "train",
        "--fine-tune",
        str(out / "latest"),
        "--corpus",
        str(tiny_corpus),
        "--data",
        str(tmp_path / "data2"),
        "--out",
        str(tmp_path / "tuned"),
        "--steps",
        "3",
        cwd=tmp_path,
    )
    assert tuned.returncode == 0, tuned.stderr
    assert AutoTokenizer.from_pretrained(tmp_path / "tuned" / "latest").get_vocab() == tok.get_vocab()
    # ... and refuses token streams encoded with another tokenizer
    other = _cli(
        "train",
        "--prepare-only",
        "--corpus",
        str(tiny_corpus),
        "--data",
        str(tmp_path / "data3"),
        "--vocab-size",
        "280",
        cwd=tmp_path,
    )
    assert other.returncode == 0, other.stderr
    mismatch = _cli(
        "train",
        "--fine-tune",
        str(out / "latest"),
        "--data",
        str(tmp_path / "data3"),
        "--out",
        str(tmp_path / "tuned3"),
        "--steps",
        "3",
        cwd=tmp_path,
    )
    assert mismatch.returncode == 2 and "another tokenizer" in mismatch.stderr, mismatch.stderr


@pytest.mark.slow
def test_train_bad_inputs_exit_2(tmp_path: Path) -> None:
    missing = _cli("train", "--corpus", str(tmp_path / "nope"), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert missing.returncode == 2 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = _cli("train", "--corpus", str(empty), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert none.returncode == 2 and "no usable .py files" in none.stderr
    other = tmp_path / "other_model"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "qwen2"}')
    ft = _cli("train", "--fine-tune", str(other), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert ft.returncode == 2 and "qwen2" in ft.stderr
    zero = _cli("train", "--steps", "0", cwd=tmp_path)
    assert zero.returncode == 2 and "argument --steps: '0'" in zero.stderr
