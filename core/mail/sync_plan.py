"""The sync planner: a pure function from stored mailbox state and the server's SELECT answer to what to do.

RFC 4549 §6.1: compare UIDVALIDITY (changed: the old UIDs mean nothing, fetch everything again and let
ingestion reconcile by content), fetch what lies above the last stored UID, and with CONDSTORE ask
only for changes since the stored HIGHESTMODSEQ. Comptoir keeps mail deleted on the server and never
depends on flags, so flag changes are only counted, never applied.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the database remembers of one mailbox (all None/0 before the first sync)."""

    uidvalidity: int | None = None
    uidnext: int | None = None
    last_uid: int = 0
    highestmodseq: int | None = None


@dataclass(frozen=True, slots=True)
class ServerState:
    """What SELECT told us, plus whether the server offers CONDSTORE."""

    uidvalidity: int
    uidnext: int | None
    highestmodseq: int | None
    exists: int
    condstore: bool = False
    still_selected: bool = False
    """No SELECT this pass: the mailbox stayed selected since the last one (uidnext and highestmodseq are None)."""


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """What one sync pass does; `reasons` say why, for the log."""

    reset: bool
    """UIDVALIDITY is new (or first sync): stored UIDs are void, fetch from UID 1, reconcile by content."""
    fetch_from: int | None
    """Fetch every UID >= this; None: nothing new on the server."""
    changed_since: int | None
    """Ask for flag changes since this MODSEQ (CONDSTORE); None: not needed."""
    last_uid: int
    """The last stored UID the fetch starts after (0 on reset)."""
    reasons: tuple[str, ...]


def plan_sync(stored: StoredState, server: ServerState) -> SyncPlan:
    """Decide the sync pass for one mailbox; never touches the network or the database."""
    reasons: list[str] = []
    reset = False
    if stored.uidvalidity is None:
        reset = True
        reasons.append("first sync of this mailbox")
    elif stored.uidvalidity != server.uidvalidity:
        reset = True
        reasons.append(
            f"UIDVALIDITY changed from {stored.uidvalidity} to {server.uidvalidity}: "
            "refetch everything, reconcile by content"
        )
    elif server.uidnext is not None and server.uidnext <= stored.last_uid:
        # A broken server reused UIDs without changing UIDVALIDITY; treat it as a new UIDVALIDITY.
        reset = True
        reasons.append(
            f"UIDNEXT {server.uidnext} is not above the last stored UID {stored.last_uid}: "
            "the server reused UIDs, refetch everything"
        )
    last_uid = 0 if reset else stored.last_uid
    if reset:
        fetch_from = 1 if server.exists > 0 or server.uidnext is None or server.uidnext > 1 else None
        if fetch_from is None:
            reasons.append("the mailbox is empty")
        return SyncPlan(True, fetch_from, None, 0, tuple(reasons))
    if server.uidnext is None:
        # Some servers omit UIDNEXT in SELECT; "last+1:*" is always correct, just not free.
        fetch_from = last_uid + 1
        reasons.append(
            "still selected since the last pass: look above the last stored UID"
            if server.still_selected
            else "the server gave no UIDNEXT: look above the last stored UID"
        )
    elif server.uidnext > (start := max(last_uid + 1, stored.uidnext or 1)) and server.exists > 0:
        # Everything below the stored UIDNEXT was fetched in an earlier complete pass (or expunged before).
        fetch_from = start
        reasons.append(f"new mail: UIDs {start} to {server.uidnext - 1} may exist")
    else:
        fetch_from = None
        reasons.append("no new mail")
    changed_since = None
    if server.condstore and stored.highestmodseq is not None and server.highestmodseq is not None:
        if server.highestmodseq != stored.highestmodseq:
            changed_since = stored.highestmodseq
            reasons.append(
                f"HIGHESTMODSEQ moved from {stored.highestmodseq} to {server.highestmodseq}: "
                "count flag changes and expunges"
            )
        else:
            reasons.append("HIGHESTMODSEQ unchanged")
    return SyncPlan(False, fetch_from, changed_since, last_uid, tuple(reasons))
