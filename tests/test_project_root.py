"""The project root is pytest's rootdir, and ``--test`` ids are relative to where the command runs
(issue 15, defect 3): ``find_rootdir`` rule by rule, then the issue's project (no config file, a
conftest.py at the root, modules in one folder, tests in another) through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from probes import ProbedCli

from coderemask.project import find_rootdir, select_project

NO_MODEL = "/nonexistent/coderemask-model"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


SPLIT = {  # no pyproject, no setup.py: conftest.py at the root puts lib/ on the path
    "conftest.py": "import os, sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))\n",
    "lib/calc.py": "def add(a, b):\n    total = a - b\n    return total\n",
    "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_zero():\n    assert add(0, 0) == 0\n",
}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"a/pytest.ini": "", "a/b/m.py": ""}, "a"),  # pytest.ini: the config even when empty
        ({"a/tox.ini": "[pytest]\n", "a/b/m.py": ""}, "a"),
        ({"a/tox.ini": "[tox]\n", "a/b/setup.cfg": "[tool:pytest]\n", "a/b/m.py": ""}, "a/b"),
        ({"a/setup.cfg": "[metadata]\n", "a/b/m.py": ""}, "a/b"),  # not a pytest config: not a root
        (
            {"a/pyproject.toml": "[tool.pytest.ini_options]\n", "a/b/pyproject.toml": "[project]\n", "a/b/m.py": ""},
            "a",
        ),  # a config above wins over a pyproject.toml without one...
        ({"a/b/pyproject.toml": "[project]\nname = 'x'\n", "a/b/m.py": ""}, "a/b"),  # ...which is the fallback
        ({"a/setup.py": "", "a/b/m.py": ""}, "a"),
        ({"a/.git/HEAD": "", "a/b/m.py": ""}, "a/b"),  # .git is not pytest's marker
    ],
    ids=[
        "pytest.ini",
        "tox.ini",
        "setup.cfg",
        "setup.cfg-without-pytest",
        "pyproject-above",
        "bare-pyproject",
        "setup.py",
        "git-is-not-a-marker",
    ],
)
def test_find_rootdir_follows_pytest(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    write(tmp_path, files)
    assert find_rootdir([tmp_path / "a/b/m.py"], invocation_dir="/") == tmp_path / expected


def test_without_config_the_root_is_the_common_ancestor_with_the_invocation_folder(tmp_path: Path) -> None:
    project = write(tmp_path / "p", SPLIT)
    assert find_rootdir([project / "lib/calc.py"], invocation_dir=project) == project
    assert find_rootdir([project / "lib/calc.py", project / "tests/test_calc.py"], invocation_dir="/") == project
    assert find_rootdir([project / "lib/calc.py"], invocation_dir="/") == project / "lib"  # "/" is no root
    assert find_rootdir([], invocation_dir=project / "tests") == project / "tests"


def test_a_target_outside_the_invocation_folder_keeps_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not pytest's common ancestor (it would be e.g. /tmp or $HOME, which coderemask would copy)."""
    project = write(tmp_path / "p", SPLIT)
    (tmp_path / "elsewhere").mkdir()
    assert find_rootdir([project / "lib/calc.py"], invocation_dir=tmp_path / "elsewhere") == project / "lib"
    assert find_rootdir([project / "lib/calc.py"], invocation_dir=tmp_path) == tmp_path  # inside: pytest's rule
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))  # run from the home folder itself
    assert find_rootdir([project / "lib/calc.py"], invocation_dir=tmp_path) == project / "lib"


def test_the_sandbox_copy_skips_coderemask_workspaces(tmp_path: Path) -> None:
    from coderemask.signals.sandbox import WORKSPACE_PREFIX, ignored_names

    (tmp_path / f"{WORKSPACE_PREFIX}123-abc" / "project").mkdir(parents=True)
    (tmp_path / f"{WORKSPACE_PREFIX}notes").mkdir()  # a user's folder of that name stays
    names = [f"{WORKSPACE_PREFIX}123-abc", f"{WORKSPACE_PREFIX}notes", "src"]
    assert ignored_names(str(tmp_path), names) == {f"{WORKSPACE_PREFIX}123-abc"}


def test_test_ids_typed_in_a_subfolder_are_rewritten_relative_to_the_root(tmp_path: Path) -> None:
    project = write(tmp_path / "p", SPLIT)
    chosen = select_project(
        project / "lib/calc.py", ["test_calc.py::test_add", "tests/test_calc.py::test_zero"], cwd=project / "tests"
    )
    # the second id does not exist from tests/: it is taken as relative to the root
    assert chosen == type(chosen)(project, ["tests/test_calc.py::test_add", "tests/test_calc.py::test_zero"])


def _locate(project: Path, cwd: Path, *args: str) -> ProbedCli:
    return ProbedCli(["locate", *args, "--json"], cwd=cwd)


@pytest.mark.parametrize("tests", [[], ["--test", "tests/test_calc.py::test_add"]], ids=["all-tests", "named-test"])
def test_locate_from_the_root_of_a_project_without_config(tmp_path: Path, tests: list[str]) -> None:
    project = write(tmp_path / "p", SPLIT)
    run = _locate(project, project, "lib/calc.py::add", *tests)
    assert run.rc == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["target"]["project"] == str(project) and report["target"]["file"] == "lib/calc.py"
    assert report["found"] and 2 in [line["line"] for line in report["lines"]]  # total = a - b
    assert {t["nodeid"] for t in report["tests"]} >= {"tests/test_calc.py::test_add"}


def test_locate_reads_test_ids_relative_to_where_it_runs(tmp_path: Path) -> None:
    project = write(tmp_path / "p", SPLIT)
    run = _locate(project, project / "tests", "../lib/calc.py::add", "--test", "test_calc.py::test_add")
    assert run.rc == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["target"]["project"] == str(project)
    assert [t["nodeid"] for t in report["tests"]] == ["tests/test_calc.py::test_add"]


@pytest.mark.slow  # gets as far as importing torch for the model (about 4 s here)
def test_fix_from_the_root_of_a_project_without_config(tmp_path: Path) -> None:
    project = write(tmp_path / "p", SPLIT)
    run = ProbedCli(
        ["fix", "lib/calc.py::add", "--test", "tests/test_calc.py::test_add", "--model", NO_MODEL], cwd=project
    )
    assert run.rc == 2, run.stderr
    assert "checked by pytest tests/test_calc.py::test_add" in run.stderr, run.stderr
    assert f"model folder '{NO_MODEL}' does not exist" in run.stderr, run.stderr
