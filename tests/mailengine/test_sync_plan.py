"""Truth table of the pure sync planner: every combination of stored state and server answer."""

from __future__ import annotations

import itertools

import pytest

from core.mail.sync_plan import ServerState, StoredState, plan_sync

# Stored state after an earlier complete pass: UIDs 1..10 stored, UIDNEXT 11, HIGHESTMODSEQ 50.
STORED = StoredState(uidvalidity=7, uidnext=11, last_uid=10, highestmodseq=50)
FIRST = StoredState()


def server(validity: int, new_mail: bool, modseq_moved: bool, condstore: bool) -> ServerState:
    return ServerState(
        uidvalidity=validity,
        uidnext=13 if new_mail else 11,
        highestmodseq=(60 if modseq_moved else 50) if condstore else None,
        exists=12 if new_mail else 10,
        condstore=condstore,
    )


CASES = list(itertools.product(("first", "same", "changed"), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize(("history", "condstore", "new_mail", "modseq_moved"), CASES)
def test_every_combination(history: str, condstore: bool, new_mail: bool, modseq_moved: bool) -> None:
    stored = FIRST if history == "first" else STORED
    validity = 8 if history == "changed" else 7
    plan = plan_sync(stored, server(validity, new_mail, modseq_moved, condstore))
    if history in ("first", "changed"):
        # No stored UID can be trusted: fetch everything from UID 1; ingestion reconciles by content.
        assert plan.reset and plan.fetch_from == 1 and plan.last_uid == 0
        assert plan.changed_since is None
        return
    assert not plan.reset and plan.last_uid == 10
    assert plan.fetch_from == (11 if new_mail else None)
    moved = condstore and modseq_moved
    assert plan.changed_since == (50 if moved else None)
    assert (plan.fetch_from is None and plan.changed_since is None) == (not new_mail and not moved)
    assert plan.reasons


def test_changed_uidvalidity_says_why() -> None:
    plan = plan_sync(STORED, server(8, False, False, True))
    assert "UIDVALIDITY changed from 7 to 8" in plan.reasons[0]


def test_first_sync_of_an_empty_mailbox_fetches_nothing() -> None:
    plan = plan_sync(FIRST, ServerState(uidvalidity=1, uidnext=1, highestmodseq=1, exists=0, condstore=True))
    assert plan.reset and plan.fetch_from is None and plan.changed_since is None


def test_interrupted_pass_resumes_after_the_last_stored_uid() -> None:
    # A crash after storing UIDs up to 6 of a pass whose UIDNEXT was never saved.
    stored = StoredState(uidvalidity=7, uidnext=None, last_uid=6, highestmodseq=None)
    plan = plan_sync(stored, ServerState(7, 11, 50, 10, condstore=True))
    assert plan.fetch_from == 7 and not plan.reset and plan.changed_since is None


def test_uids_expunged_before_they_were_fetched_are_not_asked_again() -> None:
    # Last pass saw UIDNEXT 20 but the highest stored UID is 10 (11..19 were expunged in between).
    stored = StoredState(uidvalidity=7, uidnext=20, last_uid=10, highestmodseq=50)
    assert plan_sync(stored, ServerState(7, 20, 50, 10)).fetch_from is None
    assert plan_sync(stored, ServerState(7, 22, 51, 12)).fetch_from == 20


def test_server_without_uidnext_is_asked_above_the_last_uid() -> None:
    plan = plan_sync(STORED, ServerState(7, None, None, 10))
    assert plan.fetch_from == 11


def test_uidnext_below_stored_uids_is_treated_as_a_new_uidvalidity() -> None:
    plan = plan_sync(STORED, ServerState(7, 5, None, 4))
    assert plan.reset and plan.fetch_from == 1
