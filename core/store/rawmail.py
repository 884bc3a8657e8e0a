"""Raw mail as stored: zlib-compressed since migration 0013 (`packed`), as received before it.

Mail is mostly text and base64, which zlib's fastest level shrinks to about half at a few hundred MB a
second; the bytes a user reads come back exactly as they were received (the SHA-256 key is of those)."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlmodel import Session

LEVEL = 1
"""zlib's fastest level: most of the gain of level 6 on mail, at a third of the time."""


def pack(raw: bytes) -> bytes:
    return zlib.compress(raw, LEVEL)


def unpack(data: bytes, packed: bool) -> bytes:
    return zlib.decompress(data) if packed else bytes(data)


def read_raw(session: Session, sha256: str | None) -> bytes | None:
    """A stored mail's bytes as received, or None when none is stored under that key."""
    if not sha256:
        return None
    row = session.execute(text("SELECT data, packed FROM raw_mail WHERE sha256 = :h"), {"h": sha256}).first()
    return None if row is None else unpack(row[0], bool(row[1]))
