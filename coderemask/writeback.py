"""Changing a user's file safely: a unified diff to show, and an atomic write with a way back.

``write_atomically`` refuses when the file changed since it was read (by content hash), keeps a
backup beside it, writes a temp file in the same folder, fsyncs it and renames it over the
original, so the file is either the old one or the new one, never half written. Nothing else
in the file is touched: the caller gives the whole new text. This module knows files only.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import CoderemaskError


class StaleFileError(CoderemaskError):
    """The file on disk is no longer the text that was read; nothing was written."""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(old: str, new: str, path: str) -> str:
    """A ``diff -u`` style patch from ``old`` to ``new`` for ``path`` ('' when equal)."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def _unchanged(path: Path, expected_digest: str) -> None:
    if hashlib.sha256(path.read_bytes()).hexdigest() != expected_digest:
        raise StaleFileError(f"{path} changed on disk while writing; not writing")


def replace_file(path: Path, text: str, *, check: Callable[[], None] | None = None) -> None:
    """Atomically replace (or create) ``path`` with ``text``: temp file in the same folder, fsync,
    keep the mode, ``check()`` (may raise to abort), rename. The old file is intact on any error."""
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            if check is not None:
                check()
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise CoderemaskError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_atomically(path: Path, new_text: str, *, expected_digest: str, backup_suffix: str = ".orig") -> Path:
    """Replace ``path`` with ``new_text`` if its content still hashes to ``expected_digest``.

    Returns the backup's path. Raises StaleFileError (the file changed) or CoderemaskError (the
    folder is not writable); in both cases the original file is untouched.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CoderemaskError(f"{path}: cannot read it back before writing: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != expected_digest:
        raise StaleFileError(f"{path} changed on disk since it was read; not writing (run again on the new text)")
    backup = path.with_name(path.name + backup_suffix)
    earlier = backup.read_bytes() if backup.is_file() else None
    try:
        try:
            backup.write_bytes(data)
        except OSError as exc:
            raise CoderemaskError(f"{path}: cannot write the backup {backup}: {exc.strerror or exc}") from None
        replace_file(path, new_text, check=lambda: _unchanged(path, expected_digest))
    except BaseException:  # not written (stale, unwritable, Ctrl-C): leave the backup as it was
        _restore(backup, earlier)
        raise
    return backup


def _restore(path: Path, earlier: bytes | None) -> None:
    """Put ``path`` back as it was: ``earlier`` bytes, or absent when None."""
    try:
        if earlier is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(earlier)
    except OSError:
        pass
