"""The app's memory of the last action, for `z`: what undoes it and until when (the server has the
final word: core.work.undo refuses when someone changed the conversation since)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

UNDO_SECONDS = 10.0
"""As core.work.undo.UNDO_SECONDS; the server allows a little more for the round trip."""

REPLY_LABELS = frozenset({"Reply", "Reply to all"})
CANNOT_UNDO = {
    "Internal note": "A note cannot be undone: its mentions have already alerted people. Add another note to correct it.",
    "Undo": "Nothing more to undo: the last action was an undo.",
}


@dataclass(frozen=True)
class LastAction:
    label: str
    conversation_id: int | None
    event_ids: tuple[int, ...]
    """Empty: it cannot be undone (`reason` says why)."""
    until: float = field(default=0.0)
    """time.monotonic() after which the app no longer offers the undo."""
    reason: str = ""

    @property
    def is_reply(self) -> bool:
        return self.label in REPLY_LABELS

    @property
    def seconds_left(self) -> float:
        return self.until - time.monotonic()


def remember(label: str, conversation_id: int | None, event_ids: tuple[int, ...], send_delay: float) -> LastAction:
    """What `z` will do for an action that just succeeded."""
    if label in REPLY_LABELS:
        if not event_ids or send_delay <= 0:
            return LastAction(
                label,
                conversation_id,
                (),
                reason="The reply went straight to the outbox (no send delay is set): it cannot be called back.",
            )
        return LastAction(label, conversation_id, event_ids, time.monotonic() + send_delay)
    if not event_ids:
        reason = CANNOT_UNDO.get(label, f"{label} cannot be undone.")
        return LastAction(label, conversation_id, (), reason=reason)
    return LastAction(label, conversation_id, event_ids, time.monotonic() + UNDO_SECONDS)
