"""Parse raw mail into a `ParsedMail` that never fails, and decode attachments on demand.

Broken mail is the normal case for a shared inbox, so `parse_mail` never raises:
whatever it cannot understand becomes a short string in `ParsedMail.defects`.
The MIME structure is found by scanning the raw bytes for boundaries (attachment
bodies are never split into lines or decoded at ingest); headers are decoded
explicitly with charset fallbacks. Control characters other than NUL are kept:
escaping is the UI's job.

The modules, by concern: `model` (ParsedMail, AttachmentInfo, limits), `decoding` (charsets, transfer
encodings), `headers`, `structure` (MIME parts), `body_text` (HTML to text, format=flowed),
`attachments` (body or file, names, extraction) and `parse` (parse_mail). Import from this package.
"""

from core.mail.mime.attachments import extract_attachment, safe_filename
from core.mail.mime.body_text import html_to_text
from core.mail.mime.decoding import decode_bytes
from core.mail.mime.headers import decode_header_value
from core.mail.mime.model import ROUTING_HEADERS, AttachmentInfo, ParsedMail
from core.mail.mime.parse import parse_mail

__all__ = [
    "AttachmentInfo",
    "ParsedMail",
    "ROUTING_HEADERS",
    "decode_bytes",
    "decode_header_value",
    "extract_attachment",
    "html_to_text",
    "parse_mail",
    "safe_filename",
]
