"""The test signal on golden projects (tests/data/projects): outcomes, frames in the target,
per-test coverage, and collection errors, hangs, crashes and bad ids as values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderemask.signals.sandbox import Workspace
from coderemask.signals.tests import TestRun, prepare_pytest, run_tests, unused_plugins

DATA = Path(__file__).parent / "data"
PROJECTS = DATA / "projects"
CALC = PROJECTS / "calc"
MEAN = (8, 14)  # calc.mean, lines inclusive
FIXED_MEAN = (CALC / "calc.py").read_text().replace("(len(xs) - 1)", "len(xs)")
# Most runs need no plugin from the environment: skipping autoload makes each run ~5x faster.
FAST = {"plugin_autoload": False}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def by_id(run: TestRun) -> dict[str, object]:
    return {t.nodeid.split("::")[-1]: t for t in run.tests}


@pytest.fixture(scope="module")
def calc_run() -> TestRun:
    before = snapshot(CALC)
    run = run_tests(CALC, target_file="calc.py", target_lines=MEAN, **FAST)
    assert snapshot(CALC) == before, "the user's project changed"
    return run


def test_outcomes_messages_and_frames(calc_run: TestRun) -> None:
    assert calc_run.status == "ok", calc_run.message
    tests = by_id(calc_run)
    assert {t.nodeid.split("::")[-1] for t in calc_run.failing} == {"test_mean_pair", "test_mean_single"}
    single = tests["test_mean_single"]
    assert (single.outcome, single.exc_type, single.message) == ("failed", "ZeroDivisionError", "division by zero")
    assert [(f.file, f.line) for f in single.target_frames] == [("calc.py", 14)]
    assert single.frames[0].file == "tests/test_calc.py" and not single.frames[0].in_target
    pair = tests["test_mean_pair"]
    assert pair.exc_type == "AssertionError" and "assert 6.0 == 3" in pair.message
    assert pair.target_frames == ()  # the assert is in the test, not the target
    assert tests["test_skipped"].outcome == "skipped"
    assert "tests/test_calc.py::test_add" in {t.nodeid for t in calc_run.passing}
    assert not calc_run.all_passed and calc_run.warnings == ()


def test_per_test_coverage_of_the_target_range(calc_run: TestRun) -> None:
    tests = by_id(calc_run)
    assert tests["test_mean_pair"].covered_lines == {9, 11, 12, 13, 14}
    assert tests["test_mean_empty"].covered_lines == {9, 10}
    assert tests["test_clamp_low"].covered_lines == frozenset()  # clamp is outside MEAN
    assert tests["test_add"].covered_lines == frozenset()


def test_project_config_and_conftest_are_respected(calc_run: TestRun) -> None:
    # pyproject's testpaths keeps test_decoy.py (project root) out; conftest's `pair` fixture works.
    assert all(t.nodeid.startswith("tests/") for t in calc_run.tests)
    assert by_id(calc_run)["test_mean_pair"].outcome == "failed"  # not "error": fixture found


def test_fixed_candidate_passes_and_absolute_target_works() -> None:
    run = run_tests(
        CALC, target_file=CALC / "calc.py", overlay={"calc.py": FIXED_MEAN}, tests=["tests/test_calc.py"], **FAST
    )
    assert run.status == "ok" and run.all_passed and run.failing == []
    assert run.target_file == "calc.py"
    # whole-file coverage when no range is given
    assert by_id(run)["test_clamp_low"].covered_lines == {18, 19}


def test_collection_error_is_a_value_and_the_rest_still_runs() -> None:
    run = run_tests(PROJECTS / "broken", target_file="shapes.py", **FAST)
    assert run.status == "collection_error"
    (error,) = run.collect_errors
    assert error.nodeid == "tests/test_shapes.py" and error.exc_type == "ImportError"
    assert "perimeter" in error.message and "/tmp/" not in error.message
    assert [t.nodeid for t in run.passing] == ["tests/test_ok.py::test_area"]


def test_syntax_error_in_the_target_points_at_the_line() -> None:
    broken = FIXED_MEAN.replace("def clamp(x, lo, hi):", "def clamp(x, lo, hi)")
    run = run_tests(CALC, target_file="calc.py", overlay={"calc.py": broken}, **FAST)
    assert run.status == "collection_error"
    (error,) = run.collect_errors
    assert error.exc_type == "SyntaxError"
    assert [(f.file, f.line) for f in error.frames if f.in_target] == [("calc.py", 17)]
    assert "the target file was never imported by the tests" in run.warnings


def test_hanging_test_times_out_inside_the_target() -> None:
    run = run_tests(PROJECTS / "hang", target_file="loop.py", test_timeout=1.0, **FAST)
    assert run.status == "ok"
    tests = by_id(run)
    odd = tests["test_odd"]
    assert (odd.outcome, odd.exc_type) == ("failed", "TimeLimitExceeded")
    assert odd.target_frames and odd.target_frames[-1].line in (3, 4, 5)
    assert odd.covered_lines == {2, 3, 4, 5}
    assert tests["test_zero"].outcome == "passed"  # the run went on after the hang


def test_wall_timeout_blames_the_running_test_and_keeps_the_others() -> None:
    run = run_tests(PROJECTS / "hang", target_file="loop.py", test_timeout=None, timeout=3.0, **FAST)
    assert run.status == "timeout"
    tests = by_id(run)
    assert tests["test_even"].outcome == "passed"
    assert (tests["test_odd"].outcome, tests["test_odd"].exc_type) == ("error", "Timeout")
    assert "test_zero" not in tests


def test_crash_blames_the_running_test_and_the_rest_run_in_a_fresh_process() -> None:
    crash = "import os\n\n\ndef test_a():\n    pass\n\n\ndef test_b():\n    os._exit(3)\n\n\ndef test_c():\n    pass\n"
    run = run_tests(
        CALC, target_file="calc.py", overlay={"tests/test_crash.py": crash}, tests=["tests/test_crash.py"], **FAST
    )
    assert run.status == "ok", run.message
    tests = by_id(run)
    assert tests["test_a"].outcome == "passed" and tests["test_c"].outcome == "passed"
    assert (tests["test_b"].outcome, tests["test_b"].exc_type) == ("error", "Crash")
    assert [t.nodeid for t in run.failing] == ["tests/test_crash.py::test_b"]
    assert any("pytest crashed" in w and "fresh process" in w for w in run.warnings), run.warnings


def test_unknown_test_id_and_option_injection_are_errors() -> None:
    run = run_tests(CALC, target_file="calc.py", tests=["tests/test_calc.py::nope"], **FAST)
    assert run.status == "error"
    assert "not found" in run.message and "tests/test_calc.py::nope" in run.message
    assert "/tmp/" not in run.message
    injected = run_tests(CALC, target_file="calc.py", tests=["-p", "evil"], **FAST)
    assert injected.status == "error" and "looks like an option" in injected.message


def test_bad_arguments_are_error_values(tmp_path: Path) -> None:
    assert "does not exist" in run_tests(tmp_path / "nope", target_file="x.py").message
    assert "not in" in run_tests(CALC, target_file="nothere.py").message
    assert "outside" in run_tests(CALC, target_file=tmp_path / "x.py").message
    outside = run_tests(CALC, target_file="calc.py", tests=["../hang/tests/test_loop.py"])
    assert outside.status == "error" and "outside" in outside.message


def test_prepare_pytest_refuses_a_test_outside_the_project() -> None:
    # It used to fail with "TypeError: unsupported operand type(s) for +: 'NoneType' and 'str'".
    with Workspace(CALC) as ws, pytest.raises(ValueError, match="outside the project folder"):
        prepare_pytest(ws, CALC, {}, ["../hang/tests/test_loop.py::test_x"], {"target": "calc.py"}, test_timeout=5.0)
    with Workspace(CALC) as ws:
        launch = prepare_pytest(
            ws, CALC, {}, [f"{CALC}/tests/test_calc.py::test_mean_pair"], {"target": "calc.py"}, test_timeout=5.0
        )
    assert "tests/test_calc.py::test_mean_pair" in launch.argv


def test_absolute_test_ids_run_on_the_copy() -> None:
    test_file = CALC / "tests" / "test_calc.py"
    run = run_tests(
        CALC, target_file="calc.py", overlay={"calc.py": FIXED_MEAN}, tests=[f"{test_file}::test_mean_pair"], **FAST
    )
    assert run.all_passed and [t.nodeid for t in run.tests] == ["tests/test_calc.py::test_mean_pair"]


def test_no_tests_is_a_value() -> None:
    run = run_tests(PROJECTS / "broken", target_file="shapes.py", tests=["shapes.py"], **FAST)
    assert run.status == "no_tests" and run.tests == ()


def test_plugin_autoload_is_on_by_default() -> None:
    """Default: the environment's pytest plugins load, as in the user's own pytest run."""
    pytest.importorskip("pytest_benchmark")
    uses_plugin = "def test_bench(benchmark):\n    benchmark.pedantic(lambda: 1, rounds=1)\n"
    kw = {"target_file": "calc.py", "overlay": {"tests/test_plugin.py": uses_plugin}, "tests": ["tests/test_plugin.py"]}
    assert run_tests(CALC, **kw).all_passed
    without = by_id(run_tests(CALC, **kw, **FAST))["test_bench"]
    assert without.outcome == "error" and "fixture 'benchmark' not found" in without.message


def test_golden_projects_are_not_collected_by_this_suite() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(DATA)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        check=False,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert done.returncode == 5, done.stdout  # 5: no tests collected
    assert "no tests collected" in done.stdout


def test_broken_conftest_importing_the_target_is_a_collection_error() -> None:
    conftest = "import pytest\nfrom calc import mean\n\n\n@pytest.fixture\ndef pair():\n    return [2, 4]\n"
    broken = FIXED_MEAN.replace("    return total / len(xs)", "    return total / len(xs")
    run = run_tests(
        CALC,
        target_file="calc.py",
        target_lines=MEAN,
        overlay={"calc.py": broken, "tests/conftest.py": conftest},
        **FAST,
    )
    assert run.status == "collection_error", (run.message, run.sandbox)
    (error,) = run.collect_errors
    assert error.nodeid == "tests/conftest.py" and error.exc_type == "SyntaxError"
    assert [f.line for f in error.frames if f.in_target] == [14]


@pytest.mark.parametrize(
    "files, unused",
    [
        ({"tests/test_a.py": "def test_a():\n    assert True\n"}, ["hypothesispytest", "benchmark", "anyio"]),
        ({"tests/test_a.py": "from hypothesis import given\n"}, ["benchmark", "anyio"]),
        ({"tests/test_a.py": "def test_b(benchmark):\n    benchmark(len, [])\n"}, ["hypothesispytest", "anyio"]),
        ({"tests/conftest.py": "pytest_plugins = ['anyio']\n"}, ["hypothesispytest", "benchmark"]),
        (
            {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--benchmark-skip'\n"},
            ["hypothesispytest", "anyio"],
        ),
        # a test file inside a virtual environment is not the project's
        (
            {".venv/lib/test_h.py": "import hypothesis\n", ".venv/pyvenv.cfg": ""},
            ["hypothesispytest", "benchmark", "anyio"],
        ),
    ],
)
def test_slow_plugins_the_project_never_mentions_are_left_out(
    tmp_path: Path, files: dict[str, str], unused: list[str]
) -> None:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert unused_plugins(tmp_path) == unused
    # an overlay counts as the project's text
    assert "anyio" not in unused_plugins(tmp_path, {"tests/test_new.py": "import anyio\n"})
