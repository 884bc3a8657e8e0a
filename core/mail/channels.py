"""Other channels (seed 002's website questions and comments): one message handed over by a web form handler,
as JSON or as an .eml, stored and routed like mail; replies go out by mail to the address it gave.

JSON: {"name": "Ada", "address": "ada@example.com", "subject": "...", "text": "...", "url": "https://..."}
(name, subject and url optional). The message is built as a mail to the channel's team address, so routing
treats it as mail written there; the conversation records its channel and the page it came from.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from core.errors import BadInput
from core.textsafe import printable

CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
MAX_BYTES = 1_000_000
"""A form message larger than this is refused (an .eml with attachments included)."""
FIELDS = {"name", "address", "subject", "text", "url"}
ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def check_channel(channel: str) -> str:
    if channel == "mail" or not CHANNEL_NAME.match(channel or ""):
        raise BadInput(f"--channel {channel!r}: name another channel than mail, in lower case (web, shop, form)")
    return channel


def message_from_input(data: bytes, channel: str, to_address: str, now: datetime) -> tuple[bytes, str | None]:
    """The raw mail for one channel message and the page it came from: JSON is turned into a mail; an .eml is
    checked and kept."""
    check_channel(channel)
    if not data.strip():
        raise BadInput("nothing on standard input: give one message as JSON or as an .eml")
    if len(data) > MAX_BYTES:
        raise BadInput(f"the message is {len(data):,} bytes; at most {MAX_BYTES:,} are taken from a channel")
    if data.lstrip()[:1] in (b"{", b"["):
        return _from_json(data, channel, to_address, now)
    return _from_eml(data), None


def _from_json(data: bytes, channel: str, to_address: str, now: datetime) -> tuple[bytes, str | None]:
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise BadInput(f"the JSON is not UTF-8 (byte {error.start} cannot be decoded)") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"the JSON is not valid: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(value, dict):
        raise BadInput('the JSON must be one object: {"address": ..., "text": ..., "name"?, "subject"?, "url"?}')
    unknown = sorted(set(value) - FIELDS)
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r} in the JSON; the fields are {', '.join(sorted(FIELDS))}")
    for key in FIELDS:
        if key in value and not isinstance(value[key], str):
            raise BadInput(f"field {key!r} must be a string")
    address = value.get("address", "").strip()
    if not address:
        raise BadInput("field 'address' is missing: replies go out by mail to it")
    if not ADDRESS.match(address):
        raise BadInput(f"field 'address' is not a mail address: {printable(address)[:80]!r}")
    text = value.get("text", "")
    if not text.strip():
        raise BadInput("field 'text' is missing or empty: what did the customer write?")
    name = " ".join(value.get("name", "").split())[:200]
    subject = " ".join(value.get("subject", "").split())[:300] or f"Message from the {channel} form"
    url = value.get("url", "").strip()
    if url and (not re.match(r"^https?://[^\s]+$", url) or len(url) > 2000):
        raise BadInput("field 'url' must be one http:// or https:// address without spaces")
    msg = EmailMessage()
    try:
        msg["From"] = Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):
        raise BadInput(f"field 'address' is not a mail address: {printable(address)[:80]!r}") from None
    msg["To"] = to_address
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=to_address.rpartition("@")[2] or "comptoir.invalid")
    msg.set_content(text)
    return msg.as_bytes(), url or None


def _from_eml(data: bytes) -> bytes:
    from email import message_from_bytes
    from email.policy import default

    try:
        parsed = message_from_bytes(data, policy=default)
        sender = parseaddr(str(parsed.get("From", "")))[1]
    except Exception:
        raise BadInput("standard input is neither a JSON object nor a mail (.eml) with a From header") from None
    if not sender or not ADDRESS.match(sender):
        raise BadInput(
            "standard input is neither a JSON object nor a mail (.eml) with a From address: "
            "replies go out by mail to it"
        )
    return data
