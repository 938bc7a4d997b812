"""A ``--test`` id that pytest cannot find is refused before any model work (issue 13, "Bad input").

`fix`, `complete` and `repo` exit 2 with a message naming the id and pytest's reason (no
traceback); the editor answers ``bad_input``. "Before any model work" is checked where it can be
seen: the CLI runs in a fresh interpreter whose ``atexit`` hook reports whether torch or
transformers were ever imported, and the editor's Server gets a ``load_model`` that fails the
test (no time bound: speed is for benchmarks, and these checks show no model work was done).

Positive controls run the same commands with ids pytest finds and ``--model`` naming a folder
that does not exist: they get past the test check (the "checked by" line is printed) and stop
at the model load, so no model is needed to show that good ids and uncollectable projects are
not refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from probes import REPO, ProbedCli

from coderemask.frontends.editor import Server
from coderemask.repo import RepoError, fix_repo
from coderemask.tasks import TestSelectionError, file_task

NO_MODEL = "/nonexistent/coderemask-model"  # a load would fail at once, naming this folder


class Cli(ProbedCli):
    """One ``coderemask ARGS`` run in a fresh interpreter, with the checks of a refusal."""

    def assert_refused(self, *words: str) -> None:
        """Exit 2, the words in one message on stderr, no traceback, no torch, no model."""
        assert self.rc == 2, (self.rc, self.stderr)
        for word in words:
            assert word in self.stderr, (word, self.stderr)
        assert "Traceback" not in self.stderr, self.stderr
        assert "model folder" not in self.stderr, self.stderr  # the model was never asked for
        assert self.heavy == [], f"imported {self.heavy} before refusing: {self.stderr}"

    def assert_passed_the_test_check(self, checked_by: str) -> None:
        """Past file_task (its line printed), stopped by the missing model: not a test-id refusal."""
        assert self.rc == 2, (self.rc, self.stderr)
        assert f"checked by {checked_by}" in self.stderr, self.stderr
        assert f"model folder '{NO_MODEL}' does not exist" in self.stderr, self.stderr
        assert "--test" not in self.stderr, self.stderr


def _quickfix(tmp_path: Path) -> Path:
    """examples/quickfix (clamp has a planted bug; test_stats.py has 4 tests), plus a test module
    without tests, in a folder of its own."""
    project = tmp_path / "quickfix"
    shutil.copytree(REPO / "examples" / "quickfix", project)
    (project / "test_empty.py").write_text("def helper():\n    return 1\n")
    return project


def _stub_project(tmp_path: Path) -> Path:
    project = tmp_path / "stub"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['.']\n")
    (project / "calc.py").write_text('def add(a, b):\n    """Return the sum of a and b."""\n')
    (project / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    return project


def _buggy_project(tmp_path: Path) -> Path:
    project = tmp_path / "buggy_project"
    shutil.copytree(REPO / "examples" / "buggy_project", project)
    return project


# Ids pytest cannot find, relative to examples/quickfix, with the words the refusal must hold
# (the id and pytest's reason).
BAD_IDS = [
    pytest.param(["test_stats.py::test_nope"], ["test_stats.py::test_nope", "not found"], id="missing-function"),
    pytest.param(["test_nope.py::test_x"], ["test_nope.py::test_x", "file or directory not found"], id="missing-file"),
    pytest.param(
        ["test_stats.py::test_mean", "test_stats.py::test_nope"],  # only the missing one is named
        ["--test test_stats.py::test_nope: pytest cannot run it", "not found"],
        id="one-good-one-missing",
    ),
    pytest.param(["test_empty.py"], ["test_empty.py", "collected no tests"], id="module-without-tests"),
]
# More forms, refused by file_task itself (the CLI path above is the same for all of them).
MORE_BAD_IDS = [
    pytest.param(
        ["test_stats.py::TestStats::test_x"], ["test_stats.py::TestStats::test_x", "not found"], id="missing-class"
    ),
    pytest.param(
        ["test_stats.py::test_clamp_high[7]"],
        ["test_stats.py::test_clamp_high[7]", "not found"],
        id="missing-parameter",
    ),
    pytest.param(["nope/test_x.py"], ["nope/test_x.py", "file or directory not found"], id="missing-folder"),
    pytest.param(
        ["../outside.py::test_x"], ["../outside.py::test_x", "outside the project folder"], id="outside-the-project"
    ),
    # pytest itself drops a missing FILE::NAME without a word when FILE is named too
    pytest.param(
        ["test_stats.py", "test_stats.py::test_nope"],
        ["--test test_stats.py::test_nope: not found", "no test by that name"],
        id="file-and-missing-function",
    ),
]


def _test_flags(ids: list[str]) -> list[str]:
    return [flag for test in ids for flag in ("--test", test)]


@pytest.mark.parametrize("ids, words", BAD_IDS)
def test_fix_refuses_an_id_pytest_cannot_find_before_importing_torch(
    tmp_path: Path, ids: list[str], words: list[str]
) -> None:
    project = _quickfix(tmp_path)
    before = (project / "stats.py").read_text()
    run = Cli(["fix", "stats.py::clamp", *_test_flags(ids), "--write", "--model", NO_MODEL], cwd=project)
    run.assert_refused("coderemask fix: error:", *words)
    assert run.stdout == ""
    assert (project / "stats.py").read_text() == before and not (project / "stats.py.orig").exists()


@pytest.mark.parametrize("ids, words", MORE_BAD_IDS)
def test_file_task_refuses_more_forms_of_missing_ids(tmp_path: Path, ids: list[str], words: list[str]) -> None:
    project = _quickfix(tmp_path)
    with pytest.raises(TestSelectionError) as caught:
        file_task(f"{project / 'stats.py'}::clamp", "fix", tests=ids, project=project)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_fix_refuses_with_absolute_paths_from_another_folder(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    bad = f"{project / 'test_stats.py'}::test_nope"
    run = Cli(["fix", f"{project / 'stats.py'}::clamp", "--test", bad, "--model", NO_MODEL], cwd=tmp_path)
    run.assert_refused(bad, "not found")


@pytest.mark.slow  # these get as far as importing torch for the model (about 4 s each here)
@pytest.mark.parametrize(
    "ids, checked_by",
    [
        (["test_stats.py", "test_stats.py::test_mean"], "pytest test_stats.py test_stats.py::test_mean"),
    ],
    ids=["file-and-id-in-it"],
)
def test_fix_goes_on_to_the_model_with_ids_pytest_finds(tmp_path: Path, ids: list[str], checked_by: str) -> None:
    project = _quickfix(tmp_path)
    Cli(["fix", "stats.py::clamp", *_test_flags(ids), "--model", NO_MODEL], cwd=project).assert_passed_the_test_check(
        checked_by
    )


@pytest.mark.parametrize(
    "ids, words",
    [
        (["test_calc.py::test_nope"], ["test_calc.py::test_nope", "not found"]),
        (["test_missing.py"], ["test_missing.py", "file or directory not found"]),
    ],
    ids=["missing-function", "missing-file"],
)
def test_complete_refuses_an_id_pytest_cannot_find_before_importing_torch(
    tmp_path: Path, ids: list[str], words: list[str]
) -> None:
    project = _stub_project(tmp_path)
    run = Cli(["complete", "calc.py::add", *_test_flags(ids), "--model", NO_MODEL], cwd=project)
    run.assert_refused("coderemask complete: error:", *words)


@pytest.mark.slow
def test_complete_goes_on_to_the_model_with_an_id_pytest_finds(tmp_path: Path) -> None:
    project = _stub_project(tmp_path)
    Cli(
        ["complete", "calc.py::add", "--test", "test_calc.py::test_add", "--model", NO_MODEL], cwd=project
    ).assert_passed_the_test_check("pytest test_calc.py::test_add")


@pytest.mark.parametrize(
    "ids, words",
    [
        (["tests/test_nope.py::test_x"], ["tests/test_nope.py::test_x", "file or directory not found"]),
        (["tests/test_codes.py::test_nope"], ["tests/test_codes.py::test_nope", "not found"]),
        (["tests/test_codes.py", "tests/test_codes.py::test_nope"], ["tests/test_codes.py::test_nope", "not found"]),
    ],
    ids=["missing-file", "missing-function", "file-and-missing-function"],
)
def test_repo_refuses_an_id_pytest_cannot_find(tmp_path: Path, ids: list[str], words: list[str]) -> None:
    project = _buggy_project(tmp_path)
    run = Cli(["repo", str(project), *_test_flags(ids), "--model", NO_MODEL], cwd=tmp_path)
    assert run.rc == 2, run.stderr
    assert "coderemask repo: error: --test" in run.stderr
    for word in words:
        assert word in run.stderr, (word, run.stderr)
    assert "Traceback" not in run.stderr and "model folder" not in run.stderr, run.stderr
    # (repo still imports torch at start-up, for its RepairConfig; the model is never loaded)


def test_fix_repo_never_asks_for_the_model_when_an_id_is_missing(tmp_path: Path) -> None:
    project = _buggy_project(tmp_path)

    def load_model():
        raise AssertionError("the model was loaded for a test id pytest cannot find")

    with pytest.raises(RepoError, match=r"--test tests/test_codes\.py::test_nope: .*not found"):
        fix_repo(project, load_model, tests=["tests/test_codes.py::test_nope"])


# ------------------------------------------------------------------------------ the editor


def _editor_requests(project: Path) -> list[tuple[dict, str]]:
    """(request, the id its error must name): fix and complete, missing function and file."""
    fix = {"mode": "fix", "file": str(project / "stats.py"), "function": "clamp"}
    text = (project / "stats.py").read_text() + '\n\ndef twice(x):\n    """Return 2 * x."""\n'  # the buffer
    stub = {"mode": "complete", "file": str(project / "stats.py"), "text": text, "function": "twice"}
    return [
        ({**fix, "tests": ["test_stats.py::test_nope"]}, "test_stats.py::test_nope"),
        ({**fix, "tests": ["test_nope.py::test_x"]}, "test_nope.py::test_x"),
        ({**fix, "tests": ["test_stats.py", "test_stats.py::test_nope"]}, "test_stats.py::test_nope"),
        ({**stub, "tests": ["test_stats.py::test_twice"]}, "test_stats.py::test_twice"),
    ]


def test_the_editor_answers_bad_input_without_loading_the_model(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    out: list[dict] = []

    def load_model():
        raise AssertionError("the model was loaded for a test id pytest cannot find")

    server = Server(load_model, out.append)
    requests = _editor_requests(project)
    for i, (request, _) in enumerate(requests):
        assert server.handle_line(json.dumps({"id": i, **request}))
    assert server.handle_line(json.dumps({"id": "after", "method": "hello"}))  # still serving
    assert [(o["id"], o["event"], o.get("code")) for o in out] == [
        *((i, "error", "bad_input") for i in range(len(requests))),
        ("after", "result", None),
    ]
    for answer, (_, bad) in zip(out, requests):
        assert bad in answer["message"] and "not found" in answer["message"], answer


def test_the_editor_cli_answers_bad_input_before_importing_torch(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    lines = [json.dumps({"id": i, **request}) for i, (request, _) in enumerate(_editor_requests(project)[:2])]
    run = Cli(
        ["editor", "--model", NO_MODEL],
        cwd=project,
        stdin="\n".join([*lines, json.dumps({"id": 9, "method": "shutdown"})]) + "\n",
    )
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.rc == 0, run.stderr
    assert [(a["id"], a.get("code") or a.get("status")) for a in answers] == [
        (0, "bad_input"),
        (1, "bad_input"),
        (9, "shutdown"),
    ]
    assert "test_stats.py::test_nope" in answers[0]["message"] and "test_nope.py::test_x" in answers[1]["message"]
    assert run.heavy == [], run.heavy


# ------------------------------------------------- file_task: what is found, what is not refused


def _params_project(tmp_path: Path) -> Path:
    project = tmp_path / "params"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['.']\n")
    (project / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (project / "test_calc.py").write_text(
        "import pytest\n\nfrom calc import add\n\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\ndef test_p(n):\n    assert add(n, 0) == n\n\n\n"
        "class TestAdd:\n    def test_m(self):\n        assert add(0, 0) == 0\n"
    )
    return project


@pytest.mark.parametrize(
    "ids",
    [
        ["test_calc.py::test_add"],
        ["test_calc.py::test_p"],  # a parametrized function: its ids are test_p[1], test_p[2]
        ["test_calc.py::test_p[2]"],
        ["test_calc.py::TestAdd"],
        ["test_calc.py::TestAdd::test_m"],
        ["test_calc.py"],
        ["."],
        ["./test_calc.py::test_add"],
        ["test_calc.py", "test_calc.py::test_p"],
        ["ABS::test_add"],
    ],
    ids=lambda ids: " ".join(ids),
)
def test_ids_pytest_finds_are_not_refused(tmp_path: Path, ids: list[str]) -> None:
    project = _params_project(tmp_path)
    ids = [t.replace("ABS", str(project / "test_calc.py")) for t in ids]
    task = file_task(f"{project / 'calc.py'}::add", "fix", tests=ids)
    assert task.checker is not None and task.tests_described == "pytest " + " ".join(ids)
    assert task.checker.baseline is not None and task.checker.baseline.tests  # the baseline, reused


@pytest.mark.parametrize(
    "ids",
    [
        ["test_calc.py::test_p[3]"],
        ["test_calc.py::TestAdd::test_nope"],
        ["test_calc.py", "test_calc.py::TestAdd::test_nope"],
        ["ABS::test_nope"],
    ],
    ids=lambda ids: " ".join(ids),
)
def test_ids_pytest_cannot_find_raise_test_selection_error(tmp_path: Path, ids: list[str]) -> None:
    project = _params_project(tmp_path)
    ids = [t.replace("ABS", str(project / "test_calc.py")) for t in ids]
    with pytest.raises(TestSelectionError, match="not found") as caught:
        file_task(f"{project / 'calc.py'}::add", "fix", tests=ids)
    assert ids[-1] in str(caught.value)


# ------------------------ tests that cannot be collected: refused, unless the target is what breaks them


BROKEN_TEST_MODULE = "def test_x(:\n    pass\n"


def _break_the_target(project: Path) -> list[str]:
    """A syntax error in clamp (the bug to fix): test_stats.py cannot import stats. Returns the
    --test flags: pytest stops on the named id (exit 4, as for a missing one) with a collection error."""
    stats = project / "stats.py"
    stats.write_text(stats.read_text().replace("return low\n    return value", "return low +* 1\n    return value"))
    return ["--test", "test_stats.py::test_clamp_high"]


def _break_the_tests(project: Path) -> list[str]:
    """The project's only test module does not parse; no --test: fix runs the whole suite."""
    (project / "test_stats.py").write_text(BROKEN_TEST_MODULE)
    return []


def test_a_target_that_breaks_collection_is_not_refused_with_a_test_id(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    flags = _break_the_target(project)
    task = file_task(f"{project / 'stats.py'}::clamp", "fix", tests=flags[1:])
    assert task.checker is not None and task.tests_described == "pytest test_stats.py::test_clamp_high"
    assert task.checker.baseline.collect_errors  # the baseline saw the SyntaxError in clamp, and went on


def test_a_project_whose_tests_cannot_be_collected_is_refused(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    _break_the_tests(project)
    with pytest.raises(TestSelectionError, match=r"the tests of .* fail to collect .*test_stats\.py: SyntaxError"):
        file_task(f"{project / 'stats.py'}::clamp", "fix")


def test_an_id_in_a_module_that_cannot_be_collected_is_refused(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    (project / "test_broken.py").write_text(BROKEN_TEST_MODULE)
    with pytest.raises(TestSelectionError, match=r"--test test_broken\.py::test_x: tests fail to collect"):
        file_task(f"{project / 'stats.py'}::clamp", "fix", tests=["test_broken.py::test_x"])


@pytest.mark.slow
def test_the_cli_goes_on_to_the_model_when_the_target_breaks_collection(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    flags = _break_the_target(project)
    Cli(["fix", "stats.py::clamp", *flags, "--model", NO_MODEL], cwd=project).assert_passed_the_test_check(
        "pytest test_stats.py::test_clamp_high"
    )


@pytest.mark.parametrize("command", ["fix", "locate"])
def test_fix_and_locate_refuse_tests_that_cannot_be_collected_alike(tmp_path: Path, command: str) -> None:
    project = _quickfix(tmp_path)
    _break_the_tests(project)
    run = Cli([command, "stats.py::clamp", *(["--model", NO_MODEL] if command == "fix" else [])], cwd=project)
    run.assert_refused(
        f"coderemask {command}: error: the tests of {project}: tests fail to collect in the "
        "original code: test_stats.py: SyntaxError"
    )


def test_the_editor_refuses_tests_that_cannot_be_collected(tmp_path: Path) -> None:
    project = _quickfix(tmp_path)
    (project / "test_broken.py").write_text(BROKEN_TEST_MODULE)
    out: list[dict] = []
    server = Server(lambda: pytest.fail("the model was loaded"), out.append)
    server.handle_line(
        json.dumps(
            {
                "id": 1,
                "mode": "fix",
                "file": str(project / "stats.py"),
                "function": "clamp",
                "tests": ["test_broken.py::test_x"],
            }
        )
    )
    assert [(o["event"], o.get("code")) for o in out] == [("error", "bad_input")], out
    assert "test_broken.py::test_x" in out[0]["message"] and "fail to collect" in out[0]["message"]


@pytest.mark.slow
def test_repo_reports_a_module_that_cannot_be_collected_as_before(tmp_path: Path) -> None:
    project = _buggy_project(tmp_path)
    (project / "tests" / "test_broken.py").write_text(BROKEN_TEST_MODULE)
    run = Cli(["repo", str(project), "--model", NO_MODEL], cwd=tmp_path)
    assert "collection error (its tests are left out): tests/test_broken.py: SyntaxError" in run.stderr, run.stderr
    assert f"model folder '{NO_MODEL}' does not exist" in run.stderr and run.rc == 2, run.stderr


def test_a_function_no_failing_test_runs_is_not_checked_against_unrelated_tests(tmp_path: Path) -> None:
    """Issue 14: a failing test that never runs the function does not judge its candidates."""
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n")
    (tmp_path / "test_calc.py").write_text(
        "from calc import add, sub\n\n\ndef test_add():\n"
        "    assert add(2, 3) == 5\n\n\ndef test_sub():\n"
        "    assert sub(3, 2) == 1\n"
    )
    add = file_task(f"{tmp_path / 'calc.py'}::add", "fix")
    assert add.checker is None
    assert add.tests_described.startswith(
        "no failing test covers add (1 failing test(s) never run it, e.g. test_calc.py::test_sub)"
    )
    sub = file_task(f"{tmp_path / 'calc.py'}::sub", "fix")  # the guilty one is checked by its own tests
    assert sub.checker is not None and sub.tests_described == "1 test(s) that cover sub"
