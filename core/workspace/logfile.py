"""The workspace's log file: created private to the account that runs the server or the syncer,
whatever the umask (agents read what the server says through `doctor` and the app, not the log)."""

from __future__ import annotations

import logging
import os
from pathlib import Path


def log_to_file(path: Path) -> logging.Handler:
    """Send the 'comptoir' loggers (INFO and up) to `path`, mode 0600; returns the handler."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8", buffering=1))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("comptoir")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
