"""Where a project is, which of its tests a command names, and whether a test run can serve.

``find_rootdir`` is pytest's own rootdir rule (config files, then ``setup.py``, then the common
ancestor of the arguments and the invocation folder); ``select_project`` applies it to a target
file and ``--test`` ids for every command (fix, complete, locate, repo, the editor), and reads
ids given on a command line as pytest does: relative to the folder the command runs in.
``check_test_run`` refuses (TestSelectionError, exit 2) a baseline run that cannot serve: ids
pytest cannot find, nothing collected, tests that fail to collect in the original code.

Torch-free and model-free: it knows paths, pytest's config files and ``TestRun`` values.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coderemask import tomlcompat
from coderemask.errors import CoderemaskError
from coderemask.signals.tests import CollectError, TestRun

#: pytest's config files, in the order it looks for them in each folder.
CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


class TestSelectionError(CoderemaskError):
    """Tests pytest cannot find, collect or run (exit code 2, before any model work)."""

    __test__ = False


class ProjectError(CoderemaskError):
    """A ``--project`` folder that does not exist or does not hold the target file."""


def _holds_pytest_config(path: Path) -> bool:
    """Whether pytest takes ``path`` as its config file (an unreadable file: no)."""
    try:
        if path.suffix == ".toml":
            data = tomlcompat.loads(path.read_text(encoding="utf-8"))
            if path.name != "pyproject.toml":
                return True  # pytest.toml: always the config, even if empty
            return isinstance(data.get("tool", {}).get("pytest"), dict)
        parser = configparser.RawConfigParser(strict=False, interpolation=None)
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, configparser.Error):
        return False
    if path.name in ("pytest.ini", ".pytest.ini"):
        return True
    return parser.has_section("tool:pytest" if path.suffix == ".cfg" else "pytest")


def _config_folder(starts: Iterable[Path]) -> Path | None:
    """The folder of the first pytest config file above any of ``starts`` (pytest's
    ``locate_config``: a pyproject.toml without a pytest table is the fallback)."""
    fallback = None
    for start in starts:
        for folder in (start, *start.parents):
            for name in CONFIG_FILES:
                path = folder / name
                if path.is_file():
                    if _holds_pytest_config(path):
                        return folder
                    if name == "pyproject.toml" and fallback is None:
                        fallback = folder
    return fallback


def _common_ancestor(paths: Sequence[Path], default: Path) -> Path:
    existing = [p for p in paths if p.exists()]
    if not existing:
        return default
    common = Path(os.path.commonpath([str(p) for p in existing]))
    return common.parent if common.is_file() else common


def find_rootdir(args: Iterable[str | os.PathLike[str]], invocation_dir: str | os.PathLike[str]) -> Path:
    """pytest's rootdir for ``pytest ARGS`` run in ``invocation_dir`` (no ``--rootdir``/``-c``).

    The common ancestor of the arguments that exist (node ids count by their file part; none:
    the invocation folder); the first folder from there up holding a pytest config file
    (pytest.ini, pyproject.toml with ``[tool.pytest.ini_options]``, tox.ini with ``[pytest]``,
    setup.cfg with ``[tool:pytest]``...); else the first holding ``setup.py``; else a config
    file above any one argument; else, when the arguments lie inside the invocation folder, that
    folder (pytest's common ancestor of the two), and otherwise (or when that folder is the
    filesystem root or the home folder) the arguments' ancestor itself.

    The last rule departs from pytest on purpose: pytest takes the common ancestor of the
    invocation folder and the arguments even when the arguments lie elsewhere (``/tmp``, ``$HOME``),
    which costs pytest nothing, but coderemask copies the root into its sandbox.
    """
    here = Path(invocation_dir).resolve()
    paths = [(here / str(arg).split("::")[0]).resolve() for arg in args if not str(arg).startswith("-")]
    dirs = [p if p.is_dir() else p.parent for p in paths if p.exists()]
    ancestor = _common_ancestor(dirs, here)
    found = _config_folder([ancestor])
    if found is not None:
        return found
    for folder in (ancestor, *ancestor.parents):
        if (folder / "setup.py").is_file():
            return folder
    if dirs != [ancestor]:
        found = _config_folder(dirs)
        if found is not None:
            return found
    if ancestor.is_relative_to(here) and here != Path(here.anchor) and here != Path.home():
        return here
    return ancestor


@dataclass(frozen=True)
class Selection:
    """The project root and the test ids as pytest run there names them."""

    root: Path
    tests: list[str]


def select_project(
    file: str | os.PathLike[str],
    tests: Sequence[str] = (),
    *,
    project: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    invocation_dir: str | os.PathLike[str] | None = None,
) -> Selection:
    """The root for a target ``file`` (or folder) and ``tests`` (``--project`` when given, else
    ``find_rootdir`` of the file and the tests), and the ids relative to it.

    ``cwd``: the folder a command line was typed in. Its ids are read as pytest reads them,
    relative to it (an id whose file exists from there is rewritten relative to the root); an
    id whose file does not exist from there is taken as relative to the root. Without ``cwd``
    ids are relative to the root (absolute ones too are fine). ``invocation_dir``: where pytest
    is taken to run (default: ``cwd``, else the process's folder). Raises ProjectError for a bad
    ``project``.
    """
    file = Path(file).resolve()
    here = Path(cwd).resolve() if cwd is not None else Path.cwd()
    found: list[Path] = []  # the tests' paths that exist as given
    for test in tests:
        path = test.split("::")[0]
        if path and (cwd is not None or Path(path).is_absolute()) and (here / path).exists():
            found.append((here / path).resolve())
    if project is not None:
        root = Path(project).resolve()
        if not root.is_dir():
            raise ProjectError(f"--project {str(project)!r}: no such folder")
        if not file.is_relative_to(root):
            raise ProjectError(f"{file} is not inside the project folder {root} (--project)")
    else:
        anchor = file if file.exists() else file.parent  # an editor's unsaved buffer: its folder counts
        root = find_rootdir([anchor, *found], invocation_dir if invocation_dir is not None else here)
    return Selection(root, [_relative_id(t, here, root) if cwd is not None else t for t in tests])


def _relative_id(test: str, here: Path, root: Path) -> str:
    """``test`` (typed in ``here``) relative to ``root`` when its file exists from ``here``."""
    path, sep, rest = test.partition("::")
    resolved = (here / path).resolve()
    if not path or not resolved.exists() or resolved == (root / path).resolve():
        return test
    if not resolved.is_relative_to(root):
        return str(resolved) + sep + rest  # refused later as outside the project
    return resolved.relative_to(root).as_posix() + sep + rest


# ----------------------------------------------------------------------------- refusing a run


def check_test_run(run: TestRun, tests: Sequence[str] | None, project: Path, *, collect_errors: bool = True) -> None:
    """Refuse (TestSelectionError) a baseline ``run`` of the original code that cannot serve.

    ``tests``: the ids it ran (None or empty: the project's default discovery); ``project``: the
    folder they are relative to. Refused: pytest stopped before running anything (``not
    found``, no such file, an id outside the project, a bad config); named ids that collected
    no test, or that pytest dropped without a word (``FILE::NAME`` when FILE is named too and
    holds no NAME); tests that fail to collect, unless the traceback runs through the target
    function (then the bug may be what breaks the import, and the repair is the cure), and
    with ``collect_errors=False`` (repo mode leaves such modules out). Not refused: a crash or a
    timeout (the test that did it is a failing test).
    """
    named = " ".join(tests or ())
    where = f"--test {named}" if named else f"the tests of {project}"
    broken = [e for e in run.collect_errors if collect_errors and not _blames_target(e)]
    if broken:
        details = "; ".join(f"{e.nodeid}: {e.exc_type or 'error'}: {_last_line(e.message)}" for e in broken[:3])
        more = f" (and {len(broken) - 3} more)" if len(broken) > 3 else ""
        hint = "fix them, or name tests that do collect with --test" if not named else "fix them first"
        raise TestSelectionError(f"{where}: tests fail to collect in the original code: {details}{more}; {hint}")
    if run.collect_errors or run.status in ("collection_error", "timeout", "crashed"):
        return
    if run.status == "error":  # name the ids pytest's reason names, when it names some
        named = " ".join(t for t in tests or () if t in run.message) or named
        where = f"--test {named}" if named else f"the tests of {project}"
        raise TestSelectionError(
            f"{where}: pytest cannot run it: {run.message} (test ids are paths relative to "
            f"the folder the command runs in, or to the project {project})"
        )
    if run.status == "no_tests" and named:
        raise TestSelectionError(
            f"--test {named}: pytest collected no tests (a module without tests, a folder "
            "without test modules, or every test deselected)"
        )
    missing = [t for t in tests or () if _dropped(t, run, project)]
    if missing:
        raise TestSelectionError(
            f"--test {' '.join(missing)}: not found: pytest collected "
            f"{'its file' if len(missing) == 1 else 'their files'} but no test by that name"
        )


def _blames_target(error: CollectError) -> bool:
    """Whether a collection error's traceback runs through the target function."""
    return any(f.in_target for f in error.frames)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _dropped(test: str, run: TestRun, project: Path) -> bool:
    """Whether ``FILE::NAME`` matches no test of the run although FILE's tests ran (False when the
    run says nothing about FILE: a path pytest names otherwise, a module it skipped)."""
    path, sep, name = test.partition("::")
    if not sep:
        return False
    resolved = (Path(path) if Path(path).is_absolute() else Path(project) / path).resolve()
    if not resolved.is_relative_to(Path(project).resolve()):
        return False
    node = f"{resolved.relative_to(Path(project).resolve()).as_posix()}::{name}"
    same_file = [t.nodeid for t in run.tests if t.nodeid.partition("::")[0] == node.partition("::")[0]]
    return bool(same_file) and not any(n == node or n.startswith((node + "::", node + "[")) for n in same_file)
