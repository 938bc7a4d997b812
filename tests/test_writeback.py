"""Safe writes: diff, atomic replace with backup, refusal of a file that changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderemask.writeback import StaleFileError, digest, unified_diff, write_atomically


def test_unified_diff_names_the_file_and_is_empty_when_equal() -> None:
    diff = unified_diff("a = 1\nb = 2\n", "a = 1\nb = 3\n", "m.py")
    assert diff.startswith("--- a/m.py\n+++ b/m.py\n") and "-b = 2\n+b = 3\n" in diff
    assert unified_diff("x\n", "x\n", "m.py") == ""


def test_write_is_atomic_keeps_a_backup_and_the_mode(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\r\n", newline="")
    f.chmod(0o640)
    backup = write_atomically(f, "a = 2\r\n", expected_digest=digest("a = 1\r\n"))
    assert f.read_bytes() == b"a = 2\r\n"  # line endings kept exactly as given
    assert backup.read_bytes() == b"a = 1\r\n"
    assert (f.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "m.py.orig"]  # no temp file left


def test_a_file_changed_since_read_is_refused_and_untouched(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\n")
    read_digest = digest("a = 1\n")
    f.write_text("a = 1  # edited meanwhile\n")
    with pytest.raises(StaleFileError, match="changed on disk"):
        write_atomically(f, "a = 2\n", expected_digest=read_digest)
    assert f.read_text() == "a = 1  # edited meanwhile\n"
    assert not (tmp_path / "m.py.orig").exists()


@pytest.mark.parametrize("earlier_backup", [None, b"a = 0\n"])
def test_an_interrupted_write_leaves_the_file_and_the_backup_as_they_were(tmp_path: Path, monkeypatch,
                                                                         earlier_backup: bytes | None) -> None:
    f = tmp_path / "m.py"
    f.write_text("a = 1\n")
    if earlier_backup is not None:
        (tmp_path / "m.py.orig").write_bytes(earlier_backup)

    def interrupted(src, dst):
        raise KeyboardInterrupt  # Ctrl-C just before the rename

    monkeypatch.setattr("coderemask.writeback.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(f, "a = 2\n", expected_digest=digest("a = 1\n"))
    assert f.read_text() == "a = 1\n"
    names = sorted(p.name for p in tmp_path.iterdir())
    if earlier_backup is None:
        assert names == ["m.py"]
    else:
        assert names == ["m.py", "m.py.orig"] and (tmp_path / "m.py.orig").read_bytes() == earlier_backup
