"""Recognise mail sent by robots (auto-replies, bounces, lists) so it never gets an auto-ack."""

from __future__ import annotations

from collections.abc import Mapping

from routing.facts import MessageFacts, base_address, local_part
from routing.outcome import Reason

ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
NO_REPLY_PREFIXES = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply")
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


def automation_signs(message: MessageFacts) -> tuple[Reason, ...]:
    """Every sign that `message` was sent automatically; empty for mail written by a person."""
    signs: list[Reason] = []
    headers = message.headers
    if headers:
        _header_signs(headers, signs)
    local = local_part(base_address(message.sender)[0])
    if local in ROBOT_LOCAL_PARTS or local.startswith(NO_REPLY_PREFIXES):
        signs.append(
            Reason(
                "robot_sender",
                f"The sender {message.sender} is a robot address that nobody reads.",
                {"sender": message.sender},
            )
        )
    return tuple(signs)


def _header_signs(headers: Mapping[str, str], signs: list[Reason]) -> None:
    """Auto-Submitted, Precedence and List-Id signs, in that order."""
    auto_submitted = headers.get("auto-submitted", "").strip()
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        signs.append(
            Reason(
                "automated_header",
                f"Header Auto-Submitted is \u201c{auto_submitted}\u201d: a program sent this mail.",
                {"auto-submitted": auto_submitted},
            )
        )
    precedence = headers.get("precedence", "").strip()
    if precedence.lower() in BULK_PRECEDENCE:
        signs.append(
            Reason(
                "bulk_precedence",
                f"Header Precedence is \u201c{precedence}\u201d: bulk or list mail.",
                {"precedence": precedence},
            )
        )
    list_id = headers.get("list-id", "").strip()
    if list_id:
        signs.append(
            Reason(
                "mailing_list",
                f"Header List-Id is \u201c{list_id}\u201d: it came through a mailing list.",
                {"list-id": list_id},
            )
        )
