"""What an undoable action writes into its audit event so `core.work.undo` can reverse it: the values it
replaced ("before"), the values it set that must still be there for an undo to be safe ("guard"), and
whatever else the reversal needs. JSON, since it lives in event.details; datetimes as ISO text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

DATETIME_FIELDS = frozenset({"deadline", "snoozed_until", "last_message_at", "exclusive_until", "until"})


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def undo_data(before: dict[str, Any], guard: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "before": {k: _json(v) for k, v in before.items()},
        "guard": {k: _json(v) for k, v in guard.items()},
        **extra,
    }


def values(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored values back as the columns take them."""
    return {
        k: datetime.fromisoformat(v) if k in DATETIME_FIELDS and isinstance(v, str) else v for k, v in stored.items()
    }
