"""A user's files, on the client's side: writing one (never over an existing one, private to its owner), and
reading the files to attach to outgoing mail (with the user's own permissions, never the server's)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ActionRefused

if TYPE_CHECKING:
    from core.work.views import OutgoingFile

MB = 1024 * 1024


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


def read_files(paths: Iterable[str | Path], limit_mb: int) -> list[OutgoingFile]:
    """Read files to attach, as the user running this process; refuses (naming the file and the fix) a
    missing or unreadable file, a folder, or a total over the workspace's limit, before reading any."""
    from core.work.views import OutgoingFile

    limit = limit_mb * MB
    found: list[tuple[Path, int]] = []
    total = 0
    for given in paths:
        path = Path(os.path.expanduser(str(given)))
        try:
            info = path.stat()
        except FileNotFoundError:
            raise ActionRefused(f"cannot attach {given}: there is no such file") from None
        except PermissionError:
            raise ActionRefused(f"cannot attach {given}: you may not read it") from None
        if not path.is_file():
            raise ActionRefused(f"cannot attach {given}: it is not a file (attach the files inside one by one)")
        total += info.st_size
        if total > limit:
            raise ActionRefused(
                f"cannot attach {given}: the attachments come to {total / MB:.1f} MB, over the "
                f"workspace's limit of {limit_mb} MB ([workspace] attachment_limit_mb)"
            )
        found.append((path, info.st_size))
    files = []
    for path, _size in found:
        try:
            files.append(OutgoingFile(path.name, path.read_bytes()))
        except PermissionError:
            raise ActionRefused(f"cannot attach {path}: you may not read it") from None
        except OSError as error:
            raise ActionRefused(f"cannot attach {path}: {error.strerror or error}") from None
    return files
