"""What one poll of the change feed found: plain data, importable without the storage layer (the app's
client carries batches pushed by the server; core.store.changefeed reads them from the database)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeBatch:
    """What changed since the last poll: conversation ids, and whether anything else (alerts, presence) did."""

    conversation_ids: frozenset[int]
    kinds: frozenset[str]
    last_id: int

    def __bool__(self) -> bool:
        return bool(self.kinds)
