"""Files attached to outgoing mail: read on the client's side, checked and stored on the server's, written
into the sent MIME by the outbox.

The client process reads the files (so the agent's own Unix permissions decide what may be attached, never
the server's) and sends their bytes in the request. The server keeps them as one small multipart "carrier"
in raw_mail, so the conversation view lists and saves them like any received attachment, and the outbox
copies them into the mail it builds: names encoded per RFC 2231 by the email package, content types guessed
from the name with `mimetypes` (a client's word for a type is not trusted).
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from core.errors import ActionRefused
from core.mail.mime import extract_attachment, parse_mail, safe_filename
from core.work.views import OutgoingFile
from core.workspace.files import MB, read_files  # noqa: F401 - the client's half, re-exported for core users


def content_type_for(name: str) -> tuple[str, str]:
    """(maintype, subtype) guessed from the file name; application/octet-stream when unknown."""
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if guessed is None or encoding is not None:
        # A .gz or .bz2 is sent as the compressed bytes it is, not as the type of what it contains.
        guessed = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}.get(
            encoding or "", "application/octet-stream"
        )
    maintype, _, subtype = guessed.partition("/")
    return maintype, subtype


def check_files(files: Sequence[OutgoingFile], limit_mb: int) -> list[OutgoingFile]:
    """The server's own check of what a client sent: the size limit again, and names made safe."""
    total = sum(len(f.data) for f in files)
    if total > limit_mb * MB:
        raise ActionRefused(
            f"the attachments come to {total / MB:.1f} MB, over the workspace's limit of "
            f"{limit_mb} MB ([workspace] attachment_limit_mb)"
        )
    return [OutgoingFile(safe_filename(f.name, "attachment"), bytes(f.data)) for f in files]


def carrier(files: Sequence[OutgoingFile]) -> bytes:
    """One multipart/mixed mail holding only these files: how an outgoing message's attachments are stored."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = "attachments of an outgoing message"
    msg.set_content("")
    for f in files:
        maintype, subtype = content_type_for(f.name)
        msg.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=f.name)
    return msg.as_bytes()


def carrier_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment_rows(data: bytes, message_id: int) -> list[dict[str, Any]]:
    """The attachment table's rows for a carrier, as ingest would list them."""
    return [
        {
            "message_id": message_id,
            "part_path": a.part_path,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "content_id": a.content_id,
            "inline": a.inline,
        }
        for a in parse_mail(data).attachments
    ]


def files_of(raw: bytes, part_paths: Sequence[str]) -> list[OutgoingFile]:
    """The attachments at these parts of a stored mail, decoded (to forward them, or to send a carrier's)."""
    files = []
    for path in part_paths:
        name, _ctype, data = extract_attachment(raw, path)
        files.append(OutgoingFile(safe_filename(name, "attachment"), data))
    return files


def attach(msg: EmailMessage, files: Sequence[OutgoingFile]) -> None:
    """Add the files to a mail being built; it becomes multipart/mixed."""
    for f in files:
        maintype, subtype = content_type_for(f.name)
        msg.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=f.name)
