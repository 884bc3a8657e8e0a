"""The TUI's fake service withholds what the real one withholds (core.work.access): row 2 is ann's
personal, confidential mail inside her exclusive window, so bob sees only that it exists."""

from __future__ import annotations

from tests.tui.fake_service import populated_service


def test_fake_hides_what_the_real_service_hides() -> None:
    bob, ann = populated_service("bob"), populated_service("ann")
    hidden = bob.rows([2])[0]
    assert hidden.hidden and hidden.subject == "(confidential)" and hidden.customer_address == ""
    assert bob.detail(2).hidden and bob.detail(2).messages == () and bob.why(2).reasons == ()
    assert bob.queue_ids("search", "log in") == [] and ann.queue_ids("search", "log in") == [2]
    assert not bob.claim(2).ok and bob.conversations[2].owner is None
    assert not ann.rows([2])[0].hidden and not ann.detail(2).hidden and ann.claim(2).ok
