"""Flow: once a conversation is dealt with (reply queued, pending mail marked no action, done), the
next conversation of the same queue opens, so an agent works a queue without going back to the list.

The app remembers, when such an action starts, which queue the main list shows and the ids after the
conversation; when the action succeeds the first of them still listed is the next one. Remembering at
the start matters: by the time the action answers, the list may already have dropped the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOW_ACTIONS = frozenset({"Reply", "Reply to all", "No action needed", "Done"})
"""ActionFinished labels after which the next conversation opens (a note or a claim is not the end)."""


@dataclass(frozen=True)
class FlowMark:
    """Where a conversation stood in the list when an action on it started."""

    queue: str
    following: tuple[int, ...]


def next_conversation(mark: FlowMark, still_listed) -> int | None:
    """The first conversation after the marked one that the list still holds (None at the end)."""
    return next((i for i in mark.following if still_listed(i)), None)
