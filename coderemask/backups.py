"""A write to a user's file with a way back: ``write_atomically`` keeps a backup, ``undo`` restores it.

``write_atomically`` refuses a read-only file and one that changed since it was read, saves the
bytes it replaces in the per-user backup store (never beside the file, so the user's repository
stays clean), then replaces the file atomically (``writeback.replace_file``). ``undo`` puts the
last written file back as it was, atomically, and refuses when the file changed since that write.

The store is ``$CODEREMASK_STATE_DIR``, else ``$XDG_STATE_HOME/coderemask``, else
``~/.local/state/coderemask``; under its ``backups/``, one folder per file (a hash of its absolute
path) holds the replaced bytes and ``record.json`` (the file, digests before and after, when).
Only a file's last write is kept. This module knows files only: not repairs, models or the CLI.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from coderemask.errors import CoderemaskError
from coderemask.safejson import loads
from coderemask.writeback import StaleFileError, check_writable, digest_bytes, replace_file

STATE_ENV = "CODEREMASK_STATE_DIR"
RECORD = "record.json"
_written: list[Backup] = []  # this process's writes, for an interrupt to report


@dataclass(frozen=True)
class Backup:
    """One write: the user's ``file``, the saved ``copy`` of what it replaced, both digests, when."""

    file: str
    copy: str
    before: str
    after: str
    written_at: float

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.written_at))


def state_dir() -> Path:
    """Where coderemask keeps per-user state (see the module docstring)."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "coderemask"


def backups_dir() -> Path:
    return state_dir() / "backups"


def written() -> list[Backup]:
    """The files this process has written so far (an interrupt after a write reports them)."""
    return list(_written)


def _slot(file: Path) -> Path:
    return backups_dir() / digest_bytes(str(file).encode("utf-8", "surrogateescape"))[:20]


def _read_record(slot: Path) -> Backup | None:
    try:
        return Backup(**loads((slot / RECORD).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def write_atomically(path: Path, new_text: str, *, expected_digest: str) -> Backup:
    """Replace ``path`` with ``new_text`` if its content still hashes to ``expected_digest``.

    Returns the Backup (``undo`` restores it). Raises CoderemaskError (read-only, unreadable,
    the store or the folder not writable) or StaleFileError (the file changed since it was
    read); the file is then untouched and the store as it was.
    """
    file = Path(path).resolve()
    check_writable(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CoderemaskError(f"{path}: cannot read it back before writing: {exc.strerror or exc}") from None
    if digest_bytes(data) != expected_digest:
        raise StaleFileError(f"{path} changed on disk since it was read; not writing (run again on the new text)")
    slot = _slot(file)
    earlier = _read_record(slot)
    backup = Backup(
        file=str(file),
        copy=str(slot / f"{digest_bytes(data)[:20]}.orig"),
        before=digest_bytes(data),
        after=digest_bytes(new_text.encode("utf-8")),
        written_at=time.time(),
    )

    def still_as_read() -> None:  # checked just before the rename
        check_writable(file)
        if digest_bytes(file.read_bytes()) != expected_digest:
            raise StaleFileError(f"{path} changed on disk while writing; not writing")

    try:
        try:
            slot.mkdir(parents=True, exist_ok=True)
            replace_file(Path(backup.copy), data)
            replace_file(slot / RECORD, json.dumps(asdict(backup), indent=2) + "\n")
        except CoderemaskError as exc:
            raise CoderemaskError(
                f"{path}: not written: cannot keep its backup in {backups_dir()} ({exc}); "
                f"set {STATE_ENV} to a writable folder"
            ) from None
        replace_file(file, new_text, check=still_as_read)
    except BaseException:
        if _digest_of(file) == backup.after != backup.before:
            _written.append(backup)  # interrupted after the rename: written, and the backup stays
            raise
        _forget(slot, backup, earlier)  # not written (stale, read-only, Ctrl-C): the store as it was
        raise
    _written.append(backup)
    if earlier is not None and earlier.copy != backup.copy:
        Path(earlier.copy).unlink(missing_ok=True)  # only the last write is kept
    return backup


def _digest_of(file: Path) -> str | None:
    try:
        return digest_bytes(file.read_bytes())
    except OSError:
        return None


def _forget(slot: Path, backup: Backup, earlier: Backup | None) -> None:
    """Undo the store's side of a write that did not happen: ``earlier``'s record back, or none."""
    try:
        if earlier is None:
            (slot / RECORD).unlink(missing_ok=True)
        else:
            replace_file(slot / RECORD, json.dumps(asdict(earlier), indent=2) + "\n")
        if earlier is None or earlier.copy != backup.copy:
            Path(backup.copy).unlink(missing_ok=True)
    except (OSError, CoderemaskError):
        pass


def last_write(path: Path | None = None) -> Backup:
    """The last recorded write of ``path``, or of any file when None; CoderemaskError if none."""
    if path is not None:
        found = _read_record(_slot(Path(path).resolve()))
        if found is None:
            raise CoderemaskError(f"{path}: nothing to undo (no write by coderemask is recorded in {backups_dir()})")
        return found
    records = [
        r
        for slot in (backups_dir().iterdir() if backups_dir().is_dir() else ())
        if (r := _read_record(slot)) is not None
    ]
    if not records:
        raise CoderemaskError(f"nothing to undo (no write by coderemask is recorded in {backups_dir()})")
    return max(records, key=lambda r: r.written_at)


def undo(path: Path | None = None) -> Backup:
    """Restore the file of ``last_write(path)`` as it was before that write, atomically.

    Refuses (StaleFileError) when the file changed since the write, and (CoderemaskError) when it
    is read-only or the backup is gone; the file is then untouched. The record is dropped after.
    """
    backup = last_write(path)
    file = Path(backup.file)
    try:
        current = digest_bytes(file.read_bytes())
        data = Path(backup.copy).read_bytes()
    except OSError as exc:
        raise CoderemaskError(f"{exc.filename}: cannot read it: {exc.strerror or exc}; nothing undone") from None
    if digest_bytes(data) != backup.before:
        raise CoderemaskError(f"{backup.copy}: the backup of {file} is damaged; nothing undone")
    if current != backup.after:
        raise StaleFileError(
            f"{file} changed since coderemask wrote it ({backup.when()}); not undoing, so that those changes "
            f"are not lost (the version before that write is in {backup.copy})"
        )
    check_writable(file)

    def unchanged() -> None:
        if digest_bytes(file.read_bytes()) != backup.after:
            raise StaleFileError(f"{file} changed on disk while undoing; nothing undone")

    replace_file(file, data, check=unchanged)
    slot = _slot(file)
    (slot / RECORD).unlink(missing_ok=True)
    Path(backup.copy).unlink(missing_ok=True)
    return backup
