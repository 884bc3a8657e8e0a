"""The page read while the app starts: used once, for its own queue, while fresh; otherwise read anew."""

from __future__ import annotations

from core.work import actions
from core.work.service import Comptoir
from core.workspace.folder import Workspace
from tests.conftest import NOW
from tests.core.racer import seed_conversations


def test_the_early_page_is_used_once_and_only_for_its_queue(sqlite_ws: Workspace) -> None:
    ids = seed_conversations(sqlite_ws, 3, NOW)
    actions.claim(sqlite_ws, "paul", ids[0], NOW)
    service = Comptoir(sqlite_ws, "paul")
    service.start_first_page("mine", 10)
    early_ids, early_rows = service.first_page("mine", 10)
    assert early_ids == [ids[0]] and [r.id for r in early_rows] == [ids[0]]

    service.start_first_page("mine", 10)
    service._early[3].result()  # the early read is done before the next claim
    actions.claim(sqlite_ws, "paul", ids[1], NOW)
    assert sorted(service.first_page("mine", 10)[0]) == [ids[0]]  # what was read at start-up
    assert sorted(service.first_page("mine", 10)[0]) == sorted(ids[:2])  # used once: read anew

    service.start_first_page("mine", 10)
    assert service.first_page("everyone", 10)[0] == []  # another queue never takes it
    assert service._early is None


def test_a_stale_early_page_is_read_again(sqlite_ws: Workspace, monkeypatch) -> None:
    ids = seed_conversations(sqlite_ws, 2, NOW)
    service = Comptoir(sqlite_ws, "paul")
    service.start_first_page("mine", 10)
    service._early[3].result()
    actions.claim(sqlite_ws, "paul", ids[0], NOW)
    monkeypatch.setattr("core.work.service.EARLY_READ_TTL", 0.0)
    assert service.first_page("mine", 10)[0] == [ids[0]]
