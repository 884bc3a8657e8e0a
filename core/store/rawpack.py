"""How raw mail is compressed for the raw_mail table (migration 0013), without any database import, so the
parse workers (core.mail.parse_worker) can pack mail in parallel with the syncer that stores it.

Text compresses well at zlib's fastest level (about 0.3 of its size). The bulk of a real mailbox's bytes,
though, is base64 attachments of already compressed files (PDF, JPEG, Office zips), on which zlib's
string matching finds nearly nothing: level 1 runs at about 25 MB/s there for a ratio of 0.77, while
Huffman coding alone (Z_HUFFMAN_ONLY) does 0.76 at about 100 MB/s. A sample from the part of a big mail
where attachments sit tells which case it is. Both are ordinary zlib streams: reading needs nothing new.
"""

from __future__ import annotations

import zlib

LEVEL = 1
"""zlib's fastest level: most of the gain of level 6 on mail, at a third of the time."""
SAMPLE_FROM = 32 * 1024
"""Mails up to this size are packed at LEVEL without a look (attachments are rarely that small)."""
SAMPLE = 8 * 1024
MATCHLESS = 0.65
"""A sample that level 1 leaves above this share of its size has little to match (base64 of compressed
data lands at 0.75-0.77, text at 0.3-0.5): the whole mail gets Huffman coding only."""


def pack(raw: bytes) -> bytes:
    """The bytes to store for `raw` (a zlib stream; core.store.rawmail.unpack gives `raw` back)."""
    if len(raw) > SAMPLE_FROM:
        start = len(raw) * 3 // 4 - SAMPLE // 2
        if len(zlib.compress(raw[start : start + SAMPLE], LEVEL)) > MATCHLESS * SAMPLE:
            packer = zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_HUFFMAN_ONLY)
            return packer.compress(raw) + packer.flush()
    return zlib.compress(raw, LEVEL)


def unpack(data: bytes, packed: bool) -> bytes:
    return zlib.decompress(data) if packed else bytes(data)
