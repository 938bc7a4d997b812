"""A test that ends the interpreter inside the function (``os._exit``, a segfault) or hangs past its
time limit is recorded as failing where it died, and the tests after it still run (issue 15,
defect 9): through ``run_tests`` and the real ``coderemask locate``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderemask.signals.tests import run_tests

REPO = Path(__file__).resolve().parent.parent

MODULE = """import ctypes
import os
import time


def f(x):
    if x == -1:
        os._exit(3)
    if x == -2:
        ctypes.string_at(0)
    if x == 0:
        while True:  # swallows the time limit
            try:
                time.sleep(0.05)
            except BaseException:
                pass
    y = x * 2
    if x > 1:
        y = y + 1
    return y
"""
TESTS = """from m import f


def test_exit():
    assert f(-1) == -2


def test_segfault():
    assert f(-2) == -4


def test_hang():
    assert f(0) == 0


def test_ok():
    assert f(1) == 2


def test_bad():
    assert f(2) == 4
"""
LINES = {"exit": 8, "segfault": 10, "hang": 14}  # where each test dies inside f


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "crashy"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "m.py").write_text(MODULE)
    (project / "test_m.py").write_text(TESTS)
    return project


def _check(outcomes: dict[str, tuple[str, str | None, frozenset[int]]]) -> None:
    assert set(outcomes) == {f"test_m.py::test_{n}" for n in ("exit", "segfault", "hang", "ok", "bad")}
    assert outcomes["test_m.py::test_ok"][0] == "passed" and outcomes["test_m.py::test_bad"][0] == "failed"
    for name, line in LINES.items():
        outcome, exc_type, lines = outcomes[f"test_m.py::test_{name}"]
        assert outcome == "error" and exc_type == ("Timeout" if name == "hang" else "Crash"), (name, exc_type)
        assert line in lines, (name, sorted(lines))  # it ran the function, up to where it died


@pytest.mark.slow  # the hanging test costs its limit (1 s) and the watchdog's allowance (5 s)
def test_run_tests_records_crashes_and_hangs_and_runs_the_rest(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = run_tests(
        project, target_file="m.py", target_lines=(6, 20), test_timeout=1.0, timeout=120, plugin_autoload=False
    )
    assert run.status == "ok", (run.status, run.message)
    _check({t.nodeid: (t.outcome, t.exc_type, t.covered_lines) for t in run.tests})
    exit_test = next(t for t in run.tests if t.nodeid.endswith("test_exit"))
    assert "os._exit(3)" in exit_test.message and exit_test.covered_lines == {7, 8}  # coverage up to it
    assert sum("ran in a fresh process" in w for w in run.warnings) == 3, run.warnings


@pytest.mark.slow
def test_locate_survives_a_crashing_and_a_hanging_test(tmp_path: Path) -> None:
    project = _project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "locate", "m.py::f", "--json", "--test-timeout", "1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    tests = {t["nodeid"]: t for t in report["tests"]}
    assert all(t["runs_target"] for t in tests.values()), tests
    assert {n: t["outcome"] for n, t in tests.items()} == {
        "test_m.py::test_exit": "error",
        "test_m.py::test_segfault": "error",
        "test_m.py::test_hang": "error",
        "test_m.py::test_ok": "passed",
        "test_m.py::test_bad": "failed",
    }
    assert report["run"]["status"] == "ok" and "ran in a fresh process" in done.stderr
    assert 19 in [line["line"] for line in report["lines"]]  # y = y + 1
