"""Safe writes: diff, atomic replace with a backup in the state folder, refusal of a file that
changed or is read-only, and undo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coderemask.backups import backups_dir, last_write, undo, write_atomically, written
from coderemask.errors import CoderemaskError
from coderemask.writeback import StaleFileError, digest, unified_diff


def test_unified_diff_names_the_file_and_is_empty_when_equal() -> None:
    diff = unified_diff("a = 1\nb = 2\n", "a = 1\nb = 3\n", "m.py")
    assert diff.startswith("--- a/m.py\n+++ b/m.py\n") and "-b = 2\n+b = 3\n" in diff
    assert unified_diff("x\n", "x\n", "m.py") == ""


def test_write_is_atomic_keeps_a_backup_outside_the_folder_and_the_mode(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\r\n", newline="")
    f.chmod(0o640)
    backup = write_atomically(f, "a = 2\r\n", expected_digest=digest("a = 1\r\n"))
    assert f.read_bytes() == b"a = 2\r\n"  # line endings kept exactly as given
    assert Path(backup.copy).read_bytes() == b"a = 1\r\n" and Path(backup.copy).is_relative_to(backups_dir())
    assert (f.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]  # no FILE.orig, no temp file left
    assert written()[-1] == backup and last_write(f) == backup


def test_a_file_changed_since_read_is_refused_and_untouched(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\n")
    read_digest = digest("a = 1\n")
    f.write_text("a = 1  # edited meanwhile\n")
    with pytest.raises(StaleFileError, match="changed on disk"):
        write_atomically(f, "a = 2\n", expected_digest=read_digest)
    assert f.read_text() == "a = 1  # edited meanwhile\n"
    assert not backups_dir().exists() or not any(backups_dir().rglob("*.orig"))


def test_a_read_only_file_is_refused_and_untouched(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\n")
    f.chmod(0o444)  # refused on the mode bits, so for root too
    with pytest.raises(CoderemaskError, match="read-only \\(mode 0444\\)"):
        write_atomically(f, "a = 2\n", expected_digest=digest("a = 1\n"))
    assert f.read_text() == "a = 1\n" and (f.stat().st_mode & 0o777) == 0o444


@pytest.mark.parametrize("earlier", [False, True])
def test_an_interrupted_write_leaves_the_file_and_the_store_as_they_were(
    tmp_path: Path, monkeypatch, earlier: bool
) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    first = write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n")) if earlier else None
    real_replace = os.replace

    def interrupted(src, dst):
        if Path(dst) == f.resolve():
            raise KeyboardInterrupt  # Ctrl-C just before the rename of the user's file
        real_replace(src, dst)

    monkeypatch.setattr("coderemask.writeback.os.replace", interrupted)
    before = f.read_text()
    with pytest.raises(KeyboardInterrupt):
        write_atomically(f, "a = 2\n", expected_digest=digest(before))
    assert f.read_text() == before
    if first is None:
        with pytest.raises(CoderemaskError, match="nothing to undo"):
            last_write(f)
    else:
        assert last_write(f) == first and Path(first.copy).read_text() == "a = 0\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_undo_restores_the_last_write_and_only_once(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n"))
    write_atomically(f, "a = 2\n", expected_digest=digest("a = 1\n"))
    undo(f)
    assert f.read_text() == "a = 1\n"  # the last write is taken back
    with pytest.raises(CoderemaskError, match="nothing to undo"):
        undo(f)


def test_undo_refuses_a_file_changed_since_the_write(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 0\n")
    backup = write_atomically(f, "a = 1\n", expected_digest=digest("a = 0\n"))
    f.write_text("a = 1  # the user's edit\n")
    with pytest.raises(StaleFileError, match="changed since coderemask wrote it"):
        undo(f)
    assert f.read_text() == "a = 1  # the user's edit\n" and Path(backup.copy).read_text() == "a = 0\n"
