"""Pure helpers that tell which conversation a message belongs to.

Threading first follows ids (In-Reply-To, then References newest first); when no id
matches, it may fall back to the subject, but only within one customer's mail: two
customers who both write "Invoice" or quote the same "[Ticket #123]" tag never share a
conversation.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Protocol

__all__ = ["normalize_subject", "subject_fallback_key", "thread_lookup_ids"]


class _HasThreadIds(Protocol):
    # Read-only members, so frozen dataclasses (ParsedMail) match.
    @property
    def message_id(self) -> str | None: ...
    @property
    def in_reply_to(self) -> str | None: ...
    @property
    def references(self) -> tuple[str, ...]: ...


def thread_lookup_ids(parsed: _HasThreadIds) -> tuple[str, ...]:
    """Message-IDs to look up, best first: In-Reply-To, then References from newest to oldest.

    The message's own id is left out, and each id appears once.
    """
    ordered: list[str] = []
    if parsed.in_reply_to:
        ordered.append(parsed.in_reply_to)
    ordered.extend(reversed(parsed.references or ()))
    own = parsed.message_id
    return tuple(i for i in dict.fromkeys(ordered) if i and i != own)


# Reply and forward markers across mail clients and languages: Re, Fwd, Fw (English), AW, WG
# (German), SV, VS, VL (Nordic), TR (French), RIF, I (Italian), RES, ENC (Portuguese), ODP, PD
# (Polish), YNT, ILT (Turkish), Antw, Doorst (Dutch), RV (Spanish), 回复/转发/答复 (Chinese); counters like "Re[2]:" or "Re(3):".
_PREFIX = re.compile(
    r"""^\s*(?:
        (?:re|fwd?|aw|wg|sv|vs|vl|tr|rif|res|enc|odp|pd|ynt|ilt|antw|doorst|rv)
        \s*(?:\[\d+\]|\(\d+\))?\s*[:：]
      | (?:回复|回覆|转发|轉寄|答复)\s*[:：]
    )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
# A leading [tag]: list names, "[Ticket #123]", "[EXT]", "[SPAM]".
_TAG = re.compile(r"^\s*\[[^\[\]]{0,80}\]\s*")
# Trailing "(fwd)" as old clients wrote it.
_TRAILER = re.compile(r"\s*\((?:fwd?|fw)\)\s*$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_MAX_SUBJECT = 500


def normalize_subject(subject: str | None) -> str:
    """The subject without reply/forward prefixes and leading [tags], whitespace collapsed.

    Case is kept so the result can be displayed; `subject_fallback_key` folds case.
    """
    if not subject:
        return ""
    text = _SPACES.sub(" ", subject[: _MAX_SUBJECT * 2]).strip()
    while True:
        stripped = _TAG.sub("", _PREFIX.sub("", text), count=1)
        if stripped == text:
            break
        text = stripped
    text = _TRAILER.sub("", text)
    return text.strip()[:_MAX_SUBJECT]


def subject_fallback_key(subject: str | None, customer_addr: str | None) -> str | None:
    """A key that matches the same normalized subject from the same customer, never across
    customers; None when the subject or the customer is empty (no fallback then)."""
    normalized = normalize_subject(subject)
    customer = (customer_addr or "").strip().lower()
    if not normalized or not customer:
        return None
    folded = unicodedata.normalize("NFKC", normalized).casefold()
    digest = hashlib.sha256(f"{customer}\x1f{folded}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"subj:{digest[:32]}"
