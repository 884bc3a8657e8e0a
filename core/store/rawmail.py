"""Raw mail as stored: zlib-compressed since migration 0013 (`packed`), as received before it.

How mail is packed (zlib, level 1 for text, Huffman coding only for base64 of compressed files) is
core.store.rawpack's; the bytes a user reads come back exactly as they were received (the SHA-256 key
is of those)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from core.store.rawpack import pack, unpack

__all__ = ["pack", "read_raw", "unpack"]


def read_raw(session: Session, sha256: str | None) -> bytes | None:
    """A stored mail's bytes as received, or None when none is stored under that key."""
    if not sha256:
        return None
    row = session.execute(text("SELECT data, packed FROM raw_mail WHERE sha256 = :h"), {"h": sha256}).first()
    return None if row is None else unpack(row[0], bool(row[1]))
