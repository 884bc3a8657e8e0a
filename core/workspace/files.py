"""Writing a user's file: never over an existing one, private to its owner."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import ActionRefused


def save_new_file(name: str, data: bytes, path: Path | str) -> Path:
    """Write `data` to `path`, or to `path/name` when `path` is a folder; refuses an empty path
    and never overwrites."""
    if not str(path).strip():
        raise ActionRefused("say where to save it: a folder or a file name")
    target = Path(path).expanduser()
    if target.is_dir():
        target = target / name
    if target.exists():
        raise ActionRefused(f"{target} already exists; choose another name")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as out:
        out.write(data)
    return target
