"""Changing a file safely: a unified diff to show, an atomic replace, the read-only check.

``replace_file`` writes a temp file in the same folder, fsyncs it and renames it over the
original, so the file is either the old one or the new one, never half written. Nothing else
in the file is touched: the caller gives the whole new text. A write with a backup and undo is
``backups.write_atomically``. This module knows files only.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from coderemask.errors import CoderemaskError


class StaleFileError(CoderemaskError):
    """The file on disk is no longer the text that was read; nothing was written."""


def digest_bytes(data: bytes) -> str:
    """The sha256 hex digest by which a file's content is compared with what was read."""
    return hashlib.sha256(data).hexdigest()


def digest(text: str) -> str:
    return digest_bytes(text.encode("utf-8"))


def unified_diff(old: str, new: str, path: str) -> str:
    """A ``diff -u`` style patch from ``old`` to ``new`` for ``path`` ('' when equal)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
        )
    )


def check_writable(path: Path) -> None:
    """Refuse (CoderemaskError) a file marked read-only: no write bit in its mode (``chmod 444``;
    checked on the mode, so root is refused too), or not writable by this user. An atomic
    replace renames over the file, which its own permissions would not stop."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CoderemaskError(f"{path}: cannot read its permissions: {exc.strerror or exc}") from None
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise CoderemaskError(
            f"{path} is read-only (mode {stat.S_IMODE(mode):04o}); not writing it "
            "(make it writable first, e.g. chmod u+w, if it should change)"
        )


def replace_file(path: Path, content: str | bytes, *, check: Callable[[], None] | None = None) -> None:
    """Atomically replace (or create) ``path`` with ``content`` (text is written as UTF-8, line
    endings as given): temp file in the same folder, fsync, keep the mode, ``check()`` (may raise
    to abort), rename. The old file is intact on any error."""
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
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
