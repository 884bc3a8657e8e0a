"""What parse workers run: parse, key and pack mail. Kept light (core.mail.mime and core.store.rawpack, no
database) so a worker starts in milliseconds."""

from __future__ import annotations

import hashlib

from core.mail.mime import ParsedMail, parse_mail
from core.store.rawpack import pack


def content_key(raw: bytes, parsed: ParsedMail) -> str:
    """Identity of a mail's content, ignoring the trace headers each delivery adds."""
    split = raw.find(b"\r\n\r\n")
    split = raw.find(b"\n\n") if split < 0 else split
    h = hashlib.sha256()
    for part in (parsed.message_id or "", parsed.from_addr, str(parsed.date or ""), parsed.subject):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    h.update(memoryview(raw)[split:] if split >= 0 else b"")
    return h.hexdigest()


def prepare_chunk(raws: list[bytes]) -> list[tuple[ParsedMail, str, bytes]]:
    """Parse, key and pack (for raw_mail) each mail; the raw bytes stay with the caller.

    Packing here rather than in the store thread takes the largest CPU cost of a first sync (zlib over
    every byte of the mailbox) out of the syncer's process, whose one core also fetches and stores."""
    out = []
    for raw in raws:
        parsed = parse_mail(raw)
        out.append((parsed, content_key(raw, parsed), pack(raw)))
    return out


def watch_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the syncer is gone (after a SIGKILL nobody tells the workers)."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()
