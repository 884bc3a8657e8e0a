"""Parsed mail as Comptoir keeps it (ParsedMail, AttachmentInfo) and the limits parsing keeps to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Headers copied into `ParsedMail.headers` for routing and auto-reply detection.
ROUTING_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "x-auto-response-suppress",
    "x-autoreply",
    "x-autorespond",
    "x-failed-recipients",
    "x-loop",
    "return-path",
    "delivered-to",
    "x-original-to",
    "sender",
)

MAX_DEPTH = 256  # multipart nesting followed before the rest is treated as one opaque part
MAX_PARTS = 1000  # MIME entities examined per mail
MAX_ADDRESS_HEADER = 64 * 1024  # characters of an address header handed to the address parser
MAX_ADDRESSES = 500  # addresses kept per header
MAX_REFERENCES = 100  # References ids kept: the root plus the newest ones
MAX_SUBJECT = 8192  # characters kept of a decoded subject
MAX_HEADER_VALUE = 4096  # characters kept for routing header values
MAX_FORWARD_NESTING = 3  # attached messages followed to find text when a mail has none
MAX_HTML_TO_TEXT = 1024 * 1024
MAX_HTML_TAGS = 20_000  # more tags than this and HTML is converted by the simple converter
MAX_HTML_NESTING_TAGS = (
    200  # lists and quotes, whose nesting html2text handles in quadratic time  # characters of HTML converted to text
)
MAX_DEFECTS = 50
MAX_FILENAME_BYTES = 200


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One attachment found at ingest; its body is decoded only by `extract_attachment`."""

    part_path: str
    """IMAP-style section number ("2", "1.3"); pass it to `extract_attachment`."""
    filename: str
    """Declared name, decoded but not sanitized (use `safe_filename` to save); synthesized when absent."""
    content_type: str
    """Lower-case "type/subtype"."""
    size: int
    """Decoded size estimated from the encoded length, in bytes."""
    content_id: str | None
    """Content-ID without angle brackets, for inline images referenced by HTML."""
    inline: bool
    """True when the part asks to be shown inline rather than offered as a file."""


@dataclass(frozen=True, slots=True)
class ParsedMail:
    """What Comptoir keeps from one message; the raw bytes are stored separately."""

    message_id: str | None
    """Message-ID as "<id>", or None when absent or unusable."""
    in_reply_to: str | None
    """The first id of In-Reply-To, as "<id>"."""
    references: tuple[str, ...]
    """References ids oldest first, deduplicated; the root and the newest 99 when longer."""
    subject: str
    """Decoded and unfolded; "" when absent. Control characters are kept for the UI to escape."""
    from_name: str
    """Display name of the first From address; "" when none."""
    from_addr: str
    """Lower-cased address of the first From address; "" when none."""
    to: tuple[tuple[str, str], ...]
    """(display name, lower-cased address) pairs."""
    cc: tuple[tuple[str, str], ...]
    reply_to: tuple[tuple[str, str], ...]
    date: datetime | None
    """The Date header as an aware datetime (UTC when it gave no zone); None when missing or garbage."""
    headers: dict[str, str] = field(hash=False)
    """The ROUTING_HEADERS present, lower-case names, first occurrence, decoded and unfolded."""
    text: str
    """Best text body: text/plain parts, else HTML converted to text; line ends are "\\n"."""
    html: str | None
    """The HTML body parts as sent, or None."""
    attachments: tuple[AttachmentInfo, ...]
    defects: tuple[str, ...]
    """Short codes for what was broken ("bad-date", "invalid-utf8", "missing-closing-boundary")."""
    content_hash: str
    """sha256 hex digest of the raw bytes."""
    size: int
    """Length of the raw bytes."""
