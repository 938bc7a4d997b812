"""[tool.coderemask] in a project's pyproject.toml sets the defaults of the flags people repeat;
the command line wins; a bad value is refused like the flag's, naming the file and key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from probes import ProbedCli

from coderemask.frontends.cli import COMMANDS, _subcommand_parsers, build_parser
from coderemask.frontends.common import UsageError
from coderemask.frontends.project_defaults import apply_defaults, load_defaults


def _parse(tmp_path: Path, toml: str, argv: list[str], start: Path | None = None):
    (tmp_path / "pyproject.toml").write_text(toml)
    parser = build_parser(COMMANDS)
    source, values = load_defaults(start or tmp_path)
    if source is not None:
        apply_defaults(_subcommand_parsers(parser), source, values)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "toml, argv, expected",
    [
        (
            '[tool.coderemask]\ntimeout = 60\ntest-timeout = 2.5\nmax_nfe = 99\npolicy = "tests"\n',
            ["fix", "m.py::f"],
            {"timeout": 60.0, "test_timeout": 2.5, "max_nfe": 99, "policy": "tests"},
        ),
        ("[tool.coderemask]\ntimeout = 60\n", ["fix", "m.py::f", "--timeout", "5"], {"timeout": 5.0}),  # the flag wins
        ('[tool.coderemask]\nmodel = "my-model"\n', ["editor"], {"model": "my-model"}),
        ("[tool.coderemask]\nmax-rounds = 7\n", ["repo"], {"max_rounds": 7}),
        ('[project]\nname = "x"\n', ["fix", "m.py::f"], {"timeout": 300.0}),  # no table: the built-in defaults
    ],
    ids=["fix", "flag-wins", "editor-model", "repo", "no-table"],
)
def test_defaults_apply_to_every_command_with_the_flag(
    tmp_path: Path, toml: str, argv: list[str], expected: dict
) -> None:
    args = _parse(tmp_path, toml, argv)
    assert {k: getattr(args, k) for k in expected} == expected


def test_the_nearest_pyproject_above_the_working_folder_counts_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "src" / "deep").mkdir(parents=True)
    args = _parse(
        tmp_path,
        '[tool.coderemask]\npython = ".venv/bin/python"\n',
        ["locate", "m.py::f"],
        start=tmp_path / "src" / "deep",
    )
    assert args.python == str(tmp_path / ".venv" / "bin" / "python")


@pytest.mark.parametrize(
    "toml, words",
    [
        ('[tool.coderemask]\ntimeout = "nan"\n', ["timeout = 'nan'", "finite"]),
        ("[tool.coderemask]\nmax-nfe = 0\n", ["max-nfe = '0'"]),
        ("[tool.coderemask]\nbogus = 1\n", ["'bogus' is not a setting"]),
        ("[tool.coderemask]\ntimeout = [1]\n", ["must be a string or a number"]),
        ("[tool.coderemask\n", ["not valid TOML"]),
    ],
    ids=["nan", "zero", "unknown-key", "list", "bad-toml"],
)
def test_bad_values_are_refused_naming_the_file_and_key(tmp_path: Path, toml: str, words: list[str]) -> None:
    with pytest.raises(UsageError) as info:
        _parse(tmp_path, toml, ["fix", "m.py::f"])
    for word in words:
        assert word in str(info.value)
    if "TOML" not in words[0]:
        assert str(tmp_path / "pyproject.toml") in str(info.value)


def test_the_real_cli_refuses_a_bad_default_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.coderemask]\ntest-timeout = "inf"\n')
    run = ProbedCli(["locate", "m.py::f"], cwd=tmp_path)
    assert run.rc == 2 and "Traceback" not in run.stderr
    assert f"{tmp_path / 'pyproject.toml'}: [tool.coderemask] test-timeout = 'inf'" in run.stderr
