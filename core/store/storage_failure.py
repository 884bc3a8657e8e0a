"""Storage failures (disk full, quota, read-only or failing disk) turned into one clear sentence.

They reach us as sqlite3 or psycopg errors, wrapped by SQLAlchemy, or as OSError from our own files;
the sentence names the path, the free space and the fix. The syncer logs it and retries by itself:
every batch is one transaction, so a failed one is fetched again and nothing is lost.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import StorageError

if TYPE_CHECKING:
    from core.workspace.folder import Workspace

_SQLITE_SIGNS = ("database or disk is full", "disk i/o error", "attempt to write a readonly database")
_OS_CODES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "the disk reports an input/output error",
}
_PG_STATES = {
    "53100": "PostgreSQL's disk is full",
    "53200": "PostgreSQL is out of memory",
    "58030": "PostgreSQL reports an input/output error",
}


def _human(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"


def free_space(path: Path) -> str:
    """'12.0 MB free of 2.0 GB' for the file system holding `path` (or its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError:
        return "free space unknown"
    return f"{_human(usage.free)} free of {_human(usage.total)}"


def _cause(error: BaseException) -> str | None:
    """What went wrong, when `error` (or what it wraps) is a storage failure; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            text = str(current).lower()
            if any(sign in text for sign in _SQLITE_SIGNS):
                return "the disk is full" if "full" in text else text
        state = getattr(current, "sqlstate", None) or getattr(getattr(current, "diag", None), "sqlstate", None)
        if state in _PG_STATES:
            return _PG_STATES[state]
        if isinstance(current, OSError) and current.errno in _OS_CODES:
            return _OS_CODES[current.errno]
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def storage_failure(error: BaseException, path: Path | str | None, what: str = "storing mail") -> StorageError | None:
    """A StorageError naming `path` (with its free space when it is a local path) for a storage failure, else None."""
    if isinstance(error, StorageError):
        return error
    cause = _cause(error)
    if cause is None:
        return None
    if isinstance(path, Path):
        where = f" at {path} ({free_space(path)})"
    else:
        where = f" at {path}" if path else ""
    return StorageError(
        f"{what} failed: {cause}{where}. Free some space (or fix the disk); "
        "the syncer retries by itself and loses nothing."
    )


def workspace_storage(ws: Workspace) -> Path | str:
    """Where a workspace writes: its folder (SQLite), else the PostgreSQL server named by its safe URL."""
    return ws.db.path.parent if ws.db.path is not None else str(ws.db.safe_url)
