"""`coderemask locate` end to end, through a real subprocess of the CLI: text and JSON output on
a buggy project, exit 1 when no failing test covers the function, and each bad input -> exit 2
with a clear message (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coderemask.project import select_project

ROOT = Path(__file__).parent.parent
SHIPPING = ROOT / "tests" / "data" / "buggy" / "shipping"
ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # no environment plugins: ~5x faster runs


def locate(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderemask.frontends.cli", "locate", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=120,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_text_output_ranks_the_planted_line_first() -> None:
    before = snapshot(SHIPPING)
    done = locate("shipping.py::shipping_cost", cwd=SHIPPING)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "shipping_cost in shipping.py (lines 4-12), ochiai"
    assert out[1] == "tests: 5 run, 5 ran shipping_cost: 2 failing, 3 passing"
    first = out[3].split()
    assert first[:2] == ["1.00", "11"] and out[3].endswith("cost = cost + 2")
    assert "ochiai 1.00: run by 2/2 failing" in out[4]
    assert "  tests/test_shipping.py::test_express_light_parcel: AssertionError: assert 7.0 == 10.0" in out
    assert snapshot(SHIPPING) == before, "the user's project changed"


def test_json_output_with_named_tests_and_a_formula() -> None:
    done = locate(
        SHIPPING / "shipping.py::shipping_cost",
        "--json",
        "--formula",
        "dstar",
        "--test",
        "tests/data/buggy/shipping/tests/test_shipping.py::test_express_heavy_parcel",
        "--test",
        "tests/test_shipping.py::test_heavy_parcel",
    )  # project-relative works too
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["schema"] == "coderemask.locate/1" and report["formula"] == "dstar" and report["found"]
    assert report["target"] == {
        "file": "shipping.py",
        "qualname": "shipping_cost",
        "start_line": 4,
        "end_line": 12,
        "project": str(SHIPPING),
    }
    assert {t["nodeid"]: (t["outcome"], t["runs_target"]) for t in report["tests"]} == {
        "tests/test_shipping.py::test_express_heavy_parcel": ("failed", True),
        "tests/test_shipping.py::test_heavy_parcel": ("passed", True),
    }
    top = report["lines"][0]
    assert (top["line"], top["code"], top["score"]) == (11, "cost = cost + 2", 1.0)
    assert top["spectrum"] == {"formula": "dstar", "value": None, "ef": 1, "ep": 0, "nf": 0, "np": 1}
    assert top["failing_tests"] == ["tests/test_shipping.py::test_express_heavy_parcel"]
    assert top["reasons"][0].startswith("dstar inf") and set(top["parts"]) == set(report["weights"])
    assert all(0 < line["score"] <= 1 for line in report["lines"])


def test_nothing_to_report_exits_1() -> None:
    done = locate(
        "shipping.py::shipping_cost", "--test", "tests/test_shipping.py::test_light_parcel", "--json", cwd=SHIPPING
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert not report["found"] and report["lines"] == []
    assert report["reason"] == "no failing test covers shipping_cost: the 1 test(s) that run the function pass"


def test_project_root_is_pytests_rootdir(tmp_path: Path) -> None:
    assert select_project(SHIPPING / "shipping.py").root == SHIPPING  # its pytest.ini
    write(tmp_path, {"pkg/m.py": "", "setup.cfg": "[tool:pytest]\n"})
    assert select_project(tmp_path / "pkg" / "m.py").root == tmp_path
    assert select_project(tmp_path / "pkg" / "m.py", project=tmp_path / "pkg").root == tmp_path / "pkg"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


BROKEN_TESTS = {
    "pytest.ini": "[pytest]\n",
    "m.py": "def f(x):\n    return x\n",
    "tests/test_ok.py": "from m import f\n\n\ndef test_ok():\n    assert f(1) == 1\n",
    "tests/test_broken.py": "from m import g\n\n\ndef test_g():\n    assert g() == 1\n",
}

BAD_INPUT = [  # (files in a temp project, the target, extra args, what the message must say)
    ({}, "missing.py::f", [], ["missing.py: no such file"]),
    ({"m.py": b"def f():\n    return '\xff'\n"}, "m.py::f", [], ["not valid UTF-8", "line 2"]),
    (
        {"m.py": "def total(xs):\n    return sum(xs)\n\n\ndef totals():\n    pass\n"},
        "m.py::totl",
        [],
        ["no function 'totl'", "did you mean: total, totals?"],
    ),
    (
        {"m.py": "def f():\n    return 1\n\n\ndef g(:\n    pass\n"},
        "m.py::f",
        [],
        ["m.py:5:", "syntax error", "the file must parse"],
    ),
    (
        {
            "pytest.ini": "[pytest]\n",
            "m.py": "def f():\n    return 1\n",
            "tests/test_m.py": "from m import f\n\n\ndef test_f():\n    assert f() == 1\n",
        },
        "m.py::f",
        ["--test", "tests/test_m.py::test_nope"],
        ["--test tests/test_m.py::test_nope: pytest cannot run it", "not found: tests/test_m.py::test_nope"],
    ),
    (BROKEN_TESTS, "m.py::f", [], ["fail to collect", "tests/test_broken.py: ImportError", "cannot import name 'g'"]),
]


@pytest.mark.parametrize(
    ("files", "spec", "extra", "says"),
    BAD_INPUT,
    ids=["missing-file", "not-utf8", "not-found", "syntax-elsewhere", "unknown-test", "collection-error"],
)
def test_bad_input_is_a_clear_message_and_exit_2(
    tmp_path: Path, files: dict[str, str | bytes], spec: str, extra: list[str], says: list[str]
) -> None:
    project = write(tmp_path, files)
    done = locate(spec, *extra, cwd=project)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("coderemask locate: error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for text in says:
        assert text in done.stderr, done.stderr
    assert "/tmp/coderemask" not in done.stderr  # no sandbox paths in messages


MORE_BAD = [  # in-process (cheaper): (arguments after `locate`, what stderr must say)
    (["m.py", "--project", "."], "name a function as FILE::NAME"),
    (["m.py::f", "--project", "elsewhere"], "--project 'elsewhere': no such folder"),
    (["m.py::f", "--project", "sub"], "is not inside the project folder"),
    (["m.py::f", "--timeout", "0"], "argument --timeout: '0': must be a finite number > 0"),
    (["m.py::f", "--formula", "jaccard"], "invalid choice: 'jaccard'"),
]


@pytest.mark.parametrize(("args", "says"), MORE_BAD)
def test_more_bad_arguments_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    from coderemask.frontends.cli import main

    write(tmp_path, {"m.py": "def f():\n    return 1\n", "sub/x.py": ""})
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["locate", *args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    assert says in capsys.readouterr().err


@pytest.fixture(scope="module")
def detector_folders(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny model whose hand-set detector accuses every " +" (lines 9 and 11 have one), and one without."""
    from tests.tiny_models import save_tiny_checkpoint, tiny_detector

    with_detector, plain = tmp_path_factory.mktemp("with"), tmp_path_factory.mktemp("plain")
    save_tiny_checkpoint(with_detector, tiny_detector("Ġ+"))
    save_tiny_checkpoint(plain)
    return with_detector, plain


def test_detector_ranks_lines_apart_as_the_models_opinion(detector_folders) -> None:
    with_detector, plain = detector_folders
    done = locate("shipping.py::shipping_cost", "--detector", "--model", with_detector, "--json", cwd=SHIPPING)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["detector"]["note"].startswith("the model's opinion")
    ranked = report["detector"]["lines"]
    assert {r["line"] for r in ranked[:2]} == {9, 11} and all(r["token"] == "+" for r in ranked[:2])
    assert min(r["probability"] for r in ranked[:2]) > 0.9 > ranked[2]["probability"]
    assert {"line": 11, "code": "cost = cost + 2", "token": "+"}.items() <= next(
        r for r in ranked if r["line"] == 11
    ).items()
    assert {r["line"] for r in report["detector"]["lines"]} <= set(range(5, 13))  # code lines only, not the def
    assert report["lines"][0]["line"] == 11  # the tests' ranking is unchanged, apart
    text = locate("shipping.py::shipping_cost", "--detector", "--model", with_detector, cwd=SHIPPING)
    assert text.returncode == 0 and "the detector's opinion (the model's guess" in text.stdout
    assert "line 11  cost = cost + 2   <- '+'" in text.stdout
    missing = locate("shipping.py::shipping_cost", "--detector", "--model", plain, cwd=SHIPPING)
    assert missing.returncode == 2 and "has no detector/ folder" in missing.stderr and "Traceback" not in missing.stderr
