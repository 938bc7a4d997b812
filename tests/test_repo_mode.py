"""`coderemask repo`: baseline, ranking, repair one at a time, the regression check, the report.

In-process runs use an oracle model (the loop, pytest and the sandbox are real); the CLI runs use
the embedded model in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import OracleDenoiser

from coderemask.repair import RepairConfig
from coderemask.repo import RepoError, fix_repo, rank_functions
from coderemask.results import Budget
from coderemask.sampler import SamplerConfig
from coderemask.signals.tests import run_suite

BUGGY = Path(__file__).resolve().parents[1] / "examples" / "buggy_project"
CONFIG = RepairConfig(
    sampler=SamplerConfig(unmask="confidence", temperature=0.0), candidates=2, budget=Budget(max_rounds=4)
)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_buggy_project_ranks_its_three_planted_bugs_first() -> None:
    run = run_suite(BUGGY)
    assert run.status == "ok" and len(run.failing) == 3
    suspects = rank_functions(run, BUGGY)
    assert {(s.file, s.qualname) for s in suspects[:3]} == {
        ("inventory/stock.py", "total_value"),
        ("inventory/stock.py", "needs_reorder"),
        ("inventory/codes.py", "format_code"),
    }
    assert all(s.file.startswith("inventory/") for s in suspects)  # never the tests themselves
    by_name = {s.qualname: s for s in suspects}
    assert by_name["total_value"].line == 8  # `total += quantity + price`
    assert "tests/test_stock.py::test_total_value" in by_name["total_value"].failing_tests
    assert "tests/test_stock.py::test_total_value_of_nothing" in by_name["total_value"].passing_tests


def test_a_patch_is_found_checked_against_the_suite_and_reported(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "calc.py": "def add(a, b):\n    return a - b\n",
            "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        },
    )
    loads: list[int] = []
    report = fix_repo(
        root, lambda: loads.append(1) or OracleDenoiser("def add(a, b):\n    return a + b\n"), config=CONFIG
    )
    (outcome,) = report.outcomes
    assert outcome.status == "patched", outcome
    assert outcome.tests_fixed == ["tests/test_calc.py::test_add"] and report.failing_after == []
    assert "-    return a - b" in outcome.diff and "+    return a + b" in outcome.diff
    assert report.patched_files()["calc.py"][0] == "def add(a, b):\n    return a + b\n"
    assert (root / "calc.py").read_text() == "def add(a, b):\n    return a - b\n"  # nothing written
    assert loads == [1]
    assert json.loads(json.dumps(report.to_dict()))["outcomes"][0]["status"] == "patched"
    (backup,) = report.write()
    assert (root / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert Path(backup.copy).read_text() == "def add(a, b):\n    return a - b\n"


def test_a_patch_that_breaks_a_passing_test_is_rejected(tmp_path: Path) -> None:
    # DIFF is computed at import, so no test "covers" add for it; the suite still depends on it
    root = _repo(
        tmp_path,
        {
            "calc.py": "def add(a, b):\n    return a - b\n\n\nDIFF = add(5, -5)\n",
            "tests/test_calc.py": "import calc\n\ndef test_add():\n    assert calc.add(2, 3) == 5\n\n"
            "def test_diff():\n    assert calc.DIFF == 10\n",
        },
    )
    fixed_file = "def add(a, b):\n    return a + b\n\n\nDIFF = add(5, -5)\n"  # the oracle sees the file around add
    report = fix_repo(root, lambda: OracleDenoiser(fixed_file), config=CONFIG)
    (outcome,) = report.outcomes
    assert outcome.status == "rejected" and "tests/test_calc.py::test_diff" in outcome.why, outcome
    assert report.failing_after == ["tests/test_calc.py::test_add"] and report.patched_files() == {}


def test_nothing_failing_needs_no_model(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        },
    )
    report = fix_repo(root, lambda: pytest.fail("the model was loaded"), config=CONFIG)
    assert report.outcomes == [] and report.failing_before == []


def test_a_suite_that_collects_nothing_is_an_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"tests/test_broken.py": "import not_a_module_anywhere\n\ndef test_x():\n    pass\n"})
    with pytest.raises(RepoError, match="did not run"):
        fix_repo(root, lambda: pytest.fail("the model was loaded"), config=CONFIG)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    model = os.environ.get("CODEREMASK_TEST_MODEL", "embedded")
    return subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "repo", *args, "--model", model],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_cli_on_buggy_project_reports_every_suspect_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "buggy_project"
    shutil.copytree(BUGGY, root)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    out = _cli(str(root), "--max-rounds", "2", "--max-functions", "2", "--json", cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    assert len(report["failing_before"]) == 3 and report["schema"] == "coderemask.repo/1"
    assert [o["qualname"] for o in report["outcomes"][:3]] and len(report["outcomes"]) >= 3
    for o in report["outcomes"][:2]:
        assert o["status"] in ("patched", "not_fixed", "rejected", "skipped") and o["why"]
        assert o["nfe"] <= 512
    assert report["outcomes"][2]["status"] == "skipped" and "--max-functions 2" in report["outcomes"][2]["why"]
    assert out.returncode == (0 if not report["failing_after"] else 1)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before  # no --write: untouched


@pytest.mark.slow
def test_cli_reports_collection_errors_and_works_on_the_rest(tmp_path: Path) -> None:
    root = _repo(
        tmp_path / "r",
        {
            "pyproject.toml": "",
            "calc.py": "def add(a, b):\n    return a - b\n",
            "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
            "tests/test_broken.py": "import not_a_module_anywhere\n",
        },
    )
    out = _cli(str(root), "--max-rounds", "1", cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    assert "collection error" in out.stderr and "tests/test_broken.py" in out.stderr
    assert "calc.py::add" in out.stdout
    only_broken = _repo(tmp_path / "b", {"pyproject.toml": "", "tests/test_broken.py": "import nope_nope\n"})
    refused = _cli(str(only_broken), cwd=tmp_path)
    assert refused.returncode == 2 and "did not run" in refused.stderr and "Traceback" not in refused.stderr
    missing = _cli(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


@pytest.mark.slow
def test_cli_passes_custom_conftest_options_to_pytest(tmp_path: Path) -> None:
    root = _repo(
        tmp_path / "r",
        {
            "pyproject.toml": "",
            "conftest.py": (
                "import pytest\n\n"
                "def pytest_addoption(parser):\n    parser.addoption('--runslow', action='store_true')\n\n"
                "def pytest_collection_modifyitems(config, items):\n"
                "    if not config.getoption('--runslow'):\n"
                "        for item in items:\n"
                "            if 'slow' in item.keywords:\n"
                "                item.add_marker(pytest.mark.skip(reason='needs --runslow'))\n"
            ),
            "calc.py": "def add(a, b):\n    return a - b\n",
            "tests/test_calc.py": (
                "import pytest\nfrom calc import add\n\n@pytest.mark.slow\ndef test_add():\n    assert add(2, 3) == 5\n"
            ),
        },
    )
    skipped = _cli(str(root), cwd=tmp_path)
    assert skipped.returncode == 0 and "0 failing" in skipped.stderr, skipped.stderr  # the test is skipped
    ran = _cli(str(root), "--pytest-arg=--runslow", "--max-rounds", "1", "--json", cwd=tmp_path)
    assert ran.returncode in (0, 1), ran.stderr
    assert json.loads(ran.stdout)["failing_before"] == ["tests/test_calc.py::test_add"]


def test_max_functions_counts_repairs_attempted_not_suspects_skipped(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "calc.py": "def norm(x):\n    return x\n\n\ndef add(a, b):\n    return norm(a) - norm(b)\n\n\n"
            "def mul(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add, mul, norm\n\ndef test_add():\n    assert add(2, 3) == 5\n\n"
            "def test_mul():\n    assert mul(2, 3) == 6\n\ndef test_norm():\n    assert norm(1) == 1\n",
        },
    )
    fixed = "def norm(x):\n    return x\n\n\ndef add(a, b):\n    return norm(a) + norm(b)\n\n\ndef mul(a, b):\n    return a * b\n"
    report = fix_repo(root, lambda: OracleDenoiser(fixed), config=CONFIG, max_functions=2)
    by_name = {o.qualname: o for o in report.outcomes}
    assert by_name["add"].status == by_name["mul"].status == "patched"
    assert by_name["norm"].status == "skipped" and "pass after earlier patches" in by_name["norm"].why
    assert report.failing_after == []
    report = fix_repo(root, lambda: OracleDenoiser(fixed), config=CONFIG, max_functions=1)
    assert [o.status for o in report.outcomes].count("patched") == 1
    assert any("beyond --max-functions 1" in o.why for o in report.outcomes)
