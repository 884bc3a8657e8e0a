"""One service interface, three implementations: the in-process service, the socket client and the
TUI tests' fake all declare every request with the same parameters, and the in-process service and
the socket client give the same answers on the same workspace."""

from __future__ import annotations

import inspect
from dataclasses import asdict

import pytest

from core.server.api import REMOTE_METHODS, ComptoirService
from core.server.client import RemoteComptoir
from core.work.service import Comptoir
from tests.conftest import NOW
from tests.core.helpers import deliver
from tests.tui.fake_service import FakeComptoir, populated_service

IMPLEMENTATIONS = [Comptoir, RemoteComptoir, FakeComptoir]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_implementation_declares_every_request_with_its_parameters(implementation) -> None:
    missing, different = [], []
    for name, method in REMOTE_METHODS.items():
        member = getattr(implementation, name, None)
        if member is None:
            missing.append(name)
            continue
        if implementation is RemoteComptoir:
            continue  # generated from the interface itself
        declared = list(method.parameters)
        actual = [p for p in inspect.signature(member).parameters if p != "self"]
        if actual != declared:
            different.append(f"{name}: {actual} != {declared}")
    assert missing == [] and different == []


def test_the_fake_is_a_service_by_the_interface() -> None:
    assert isinstance(populated_service(), ComptoirService)


def _answers(service) -> dict:
    ids = service.queue_ids("team:hifi")
    answers = {
        "queues": service.queues(),
        "titles": service.queue_titles(),
        "everyone": ids,
        "rows": service.rows(ids),
        "first_page": service.first_page("team:hifi", 10),
        "page": service.page("team:hifi", None, ids[1] if len(ids) > 1 else None, 0, 3, ids[:1]),
        "search": service.queue_ids("search", "amplifier"),
        "alerts": service.alerts(True),
        "alert_count": service.alert_count(),
        "teams": service.teams(),
        "me": service.me(),
    }
    for cid in ids:
        answers[f"detail {cid}"] = service.detail(cid)
        answers[f"why {cid}"] = service.why(cid)
        answers[f"replies {cid}"] = service.saved_replies(cid)
    return answers


def test_the_socket_client_answers_as_the_in_process_service(ws, serve_ws) -> None:
    for n in range(4):
        deliver(ws, NOW, "hifi@shop.test", sender=f"c{n}@client.test", subject=f"amplifier {n}")
    serve_ws(ws.path)
    remote = RemoteComptoir(ws.path, "marie", autostart=False)
    try:
        local = Comptoir(ws, "marie")
        mine, theirs = _answers(local), _answers(remote)
        assert mine.keys() == theirs.keys()
        for key in mine:
            left, right = mine[key], theirs[key]

            def normalise(v):
                return (
                    [asdict(x) if hasattr(x, "__dataclass_fields__") else x for x in v]
                    if isinstance(v, (list, tuple))
                    else (asdict(v) if hasattr(v, "__dataclass_fields__") else v)
                )

            assert normalise(left) == normalise(right), key
        # The first screen's settings come in the server's welcome: the client has not parsed the config.
        assert remote.settings == local.settings
        assert "config" not in remote.__dict__
        claimed = remote.claim(local.queue_ids("team:hifi")[0])
        assert claimed.ok and claimed.winner == "marie"
        assert local.detail(claimed.conversation_id).row.owner == "marie"
    finally:
        remote.close()
