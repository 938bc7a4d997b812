"""`--write` keeps its backup outside the user's repository, refuses read-only files, and
`coderemask undo` takes a write back (real CLI subprocesses; the state folder is the test's,
set by conftest through CODEREMASK_STATE_DIR)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coderemask.backups import write_atomically
from coderemask.writeback import digest


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coderemask", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_undo_restores_the_last_write(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n"))
    done = _cli("undo", "m.py", cwd=tmp_path)
    assert done.returncode == 0 and f"restored {f.resolve()}" in done.stderr, done.stderr
    assert f.read_text() == "a = 0\n" and sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]
    again = _cli("undo", cwd=tmp_path)
    assert again.returncode == 2 and "nothing to undo" in again.stderr and "Traceback" not in again.stderr


def test_undo_without_a_file_takes_back_the_latest_write(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    for f in (first, second):
        f.write_text("x = 0\n")
        write_atomically(f, "x = 1\n", expected_digest=digest("x = 0\n"))
    assert _cli("undo", cwd=tmp_path).returncode == 0
    assert (first.read_text(), second.read_text()) == ("x = 1\n", "x = 0\n")


def test_undo_refuses_a_file_changed_since_the_write(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n"))
    f.write_text("a = 1  # edited after the fix\n")
    done = _cli("undo", str(f), cwd=tmp_path)
    assert done.returncode == 2 and "changed since coderemask wrote it" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and f.read_text() == "a = 1  # edited after the fix\n"


def test_fix_write_refuses_a_read_only_file_before_the_repair(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    f = tmp_path / "calc.py"
    f.write_text("def add(a, b):\n    return a +* b\n")
    f.chmod(0o444)
    done = _cli("fix", "calc.py::add", "--write", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "read-only (mode 0444)" in done.stderr and "Traceback" not in done.stderr
    assert "round 1" not in done.stderr  # refused before the repair
    assert f.read_text() == "def add(a, b):\n    return a +* b\n" and (f.stat().st_mode & 0o777) == 0o444


def test_an_interrupt_after_a_write_names_the_file_and_exits_3(tmp_path: Path, capsys) -> None:
    from coderemask.frontends.common import EXIT_INTERRUPTED_AFTER_WRITE, interrupted

    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n"))  # this process wrote it
    assert interrupted("coderemask fix") == EXIT_INTERRUPTED_AFTER_WRITE == 3
    err = capsys.readouterr().err
    assert f"interrupted after writing {f.resolve()}" in err and f"coderemask undo {f.resolve()}" in err


def test_ctrl_c_inside_a_rewrapped_import_stays_an_interrupt() -> None:
    from coderemask.model.loading import _interrupted

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ModuleNotFoundError("Could not import module 'ModernBertForMaskedLM'") from exc
    except ModuleNotFoundError as wrapped:
        assert _interrupted(wrapped)
    assert not _interrupted(ValueError("a corrupt file"))
