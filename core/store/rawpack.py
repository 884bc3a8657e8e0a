"""How raw mail is compressed for the raw_mail table (migration 0013), without any database import, so the
parse workers (core.mail.parse_worker) can pack mail in parallel with the syncer that stores it.

Every stored value is a plain zlib stream: reading needs only the standard library, whoever wrote it.
Writing uses ISA-L (the `isal` package) when it is installed, which makes the same kind of stream at about
five times the speed of zlib's fastest level with the same ratio (on a first sync, zlib was the largest
single CPU cost: 779 MB of mail). Without it, zlib: level 1 for text (about 0.3 of its size), and for a big
mail that is mostly base64 of already compressed files (PDF, JPEG, Office zips), where string matching finds
nearly nothing (level 1: 25 MB/s for a ratio of 0.77), Huffman coding only (0.76 at about 100 MB/s); a
sample from where attachments sit tells which.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

LEVEL = 1
"""The fastest level: most of the gain of level 6 on mail, at a third of the time."""
SAMPLE_FROM = 32 * 1024
"""zlib only: mails up to this size are packed at LEVEL without a look (attachments are rarely that small)."""
SAMPLE = 8 * 1024
MATCHLESS = 0.65
"""zlib only: a sample that level 1 leaves above this share of its size has little to match (base64 of
compressed data lands at 0.75-0.77, text at 0.3-0.5): the whole mail gets Huffman coding only."""


def _isal_compress() -> Callable[[bytes, int], bytes] | None:
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    compress: Callable[[bytes, int], bytes] = isal_zlib.compress
    return compress


_FAST = _isal_compress()


def pack(raw: bytes) -> bytes:
    """The bytes to store for `raw` (a zlib stream; unpack gives `raw` back)."""
    if _FAST is not None:
        return _FAST(raw, LEVEL)
    return pack_with_zlib(raw)


def pack_with_zlib(raw: bytes) -> bytes:
    """pack without ISA-L (the standard library's zlib only)."""
    if len(raw) > SAMPLE_FROM:
        start = len(raw) * 3 // 4 - SAMPLE // 2
        if len(zlib.compress(raw[start : start + SAMPLE], LEVEL)) > MATCHLESS * SAMPLE:
            packer = zlib.compressobj(LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, zlib.Z_HUFFMAN_ONLY)
            return packer.compress(raw) + packer.flush()
    return zlib.compress(raw, LEVEL)


def unpack(data: bytes, packed: bool) -> bytes:
    return zlib.decompress(data) if packed else bytes(data)
