"""The edit search through the real CLI and the embedded model: one bug of each family the issue
names, from the dev set (examples/bugs), is fixed with --write and its tests then pass."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BUGS = REPO / "examples" / "bugs"
MODEL = os.environ.get("CODEREMASK_TEST_MODEL", "embedded")
ENTRIES = {e["id"]: e for e in json.loads((BUGS / "manifest.json").read_text())}

CASES = [  # (family the issue names, dev-set bug)
    ("builtin name", "leaderboard_best"),
    ("attribute name", "rect_perimeter"),
    ("missing statement", "recency_cache_get"),
    ("wrap", "nearest_value"),
    ("off-by-one bound", "truncate_ellipsis"),
]


@pytest.mark.parametrize("family, bug", CASES, ids=[c[0] for c in CASES])
def test_the_cli_fixes_a_bug_of_the_family_and_its_tests_pass(tmp_path: Path, family: str, bug: str) -> None:
    entry = ENTRIES[bug]
    src = BUGS / entry["file"]
    project = tmp_path / bug
    shutil.copytree(src.parent, project)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    before = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert before.returncode == 1  # the bug fails its tests
    explain = ["--explain"] if family == "builtin name" else []
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coderemask.frontends.cli",
            "fix",
            f"{src.name}::{entry['function']}",
            "--write",
            "--timeout",
            "120",
            "--model",
            MODEL,
            *explain,
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "search:" in out.stderr and "the fix was candidate #" in out.stderr
    if explain:  # every tested candidate: rank, score, verdict, family, line, edit
        assert "== round 1: search: candidates 1-" in out.stdout
        assert any(
            line.lstrip().startswith("#1 ") and "tests " in line and "(line " in line
            for line in out.stdout.splitlines()
        )
        assert "identifier (line 6): min -> max" in out.stdout
    after = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert after.returncode == 0, after.stdout[-2000:]
