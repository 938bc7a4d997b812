"""``--python`` / ``$VIRTUAL_ENV``: the project's tests run with the project's own interpreter
(issue 15, defect 13). A real virtual environment (``venv --system-site-packages``: pytest from
the system) holds a module only it can import; the project's test imports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from probes import ProbedCli

from coderemask.frontends.editor import Server
from coderemask.interpreter import InterpreterError, test_python

NO_MODEL = "/nonexistent/coderemask-model"


def _venv(folder: Path, *options: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *options, str(folder)], check=True, timeout=120)
    return folder


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _venv(tmp_path_factory.mktemp("env") / "venv", "--system-site-packages")
    purelib = subprocess.run(
        [str(folder / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "onlyhere.py").write_text("def double(x):\n    return 2 * x\n")
    return folder


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "calc.py").write_text("def twice(x):\n    y = x * 3\n    return y\n")
    (root / "test_calc.py").write_text(
        "from onlyhere import double\n\nfrom calc import twice\n\n\n"
        "def test_twice():\n    assert twice(3) == double(3)\n"
    )
    return root


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return {**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", **extra}


def _locate(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "locate", "calc.py::twice", "--json", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_locate_runs_the_tests_with_the_projects_python(venv: Path, project: Path) -> None:
    without = _locate(project, env=_env())
    assert without.returncode == 2 and "No module named 'onlyhere'" in without.stderr, without.stderr
    for args, env in [
        (["--python", str(venv / "bin" / "python")], _env()),
        ([], _env(VIRTUAL_ENV=str(venv))),
    ]:  # the active environment is the default
        done = _locate(project, *args, env=env)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert [(t["nodeid"], t["outcome"]) for t in report["tests"]] == [("test_calc.py::test_twice", "failed")]
        assert report["found"]


@pytest.mark.parametrize("command", ["locate", "fix"])
def test_a_python_that_cannot_serve_is_refused_naming_it(
    tmp_path: Path, project: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = _venv(tmp_path / "bare")  # no system site-packages: no pytest
    cases = [
        (["--python", "/nonexistent/python"], {}, ["--python '/nonexistent/python'", "does not exist"]),
        (["--python", str(project / "calc.py")], {}, ["calc.py is not executable"]),
        (["--python", str(bare / "bin" / "python")], {}, [str(bare / "bin" / "python"), "cannot import pytest"]),
        ([], {"VIRTUAL_ENV": str(bare)}, [f"VIRTUAL_ENV='{bare}'", "cannot import pytest"]),
        ([], {"VIRTUAL_ENV": "/nonexistent/venv"}, ["VIRTUAL_ENV='/nonexistent/venv'", "does not exist"]),
    ]
    for args, env, words in cases:
        monkeypatch.delenv("VIRTUAL_ENV", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # the CLI inherits this process's environment
        run = ProbedCli(
            [command, "calc.py::twice", *args, *(["--model", NO_MODEL] if command == "fix" else [])], cwd=project
        )
        assert run.rc == 2 and "Traceback" not in run.stderr and run.heavy == [], run.stderr
        for word in words:
            assert word in run.stderr, (word, run.stderr)


def test_coderemasks_own_environment_is_not_a_project_python() -> None:
    assert test_python(None, {"VIRTUAL_ENV": sys.prefix}) is None
    assert test_python(None, {}) is None
    with pytest.raises(InterpreterError, match="--python 'nope'"):
        test_python("nope", {})


def test_the_editor_takes_a_python_field(venv: Path, project: Path) -> None:
    out: list[dict] = []
    server = Server(lambda: pytest.fail("the model was loaded"), out.append)
    request = {"mode": "fix", "file": str(project / "calc.py"), "function": "twice", "tests": ["test_calc.py::nope"]}
    server.handle_line(json.dumps({"id": 1, **request, "python": "/nonexistent/python"}))
    server.handle_line(json.dumps({"id": 2, **request, "python": str(venv / "bin" / "python")}))
    assert [(o["id"], o.get("code")) for o in out] == [(1, "bad_input"), (2, "bad_input")], out
    assert "'/nonexistent/python'" in out[0]["message"]
    assert "test_calc.py::nope" in out[1]["message"] and "not found" in out[1]["message"]  # got as far as pytest


@pytest.mark.slow  # gets as far as importing torch for the model
def test_fix_runs_the_baseline_with_the_projects_python(venv: Path, project: Path) -> None:
    run = ProbedCli(
        ["fix", "calc.py::twice", "--python", str(venv / "bin" / "python"), "--model", NO_MODEL], cwd=project
    )
    assert "checked by 1 test(s) that cover twice" in run.stderr, run.stderr
    assert f"model folder '{NO_MODEL}' does not exist" in run.stderr
