"""A draft survives the app dying mid-sentence and the workspace server restarting: the real app (Pilot) on
the real server over its socket, no quit and no flush, only the debounced save as the agent types."""

from __future__ import annotations

from textual.widgets import TextArea

from core.server.client import RemoteComptoir
from tests.conftest import NOW, make_workspace
from tests.core.helpers import deliver
from tests.tui.conftest import SIZE, make_app, settle
from tui.screens.composer import DRAFT_SAVE_SECONDS, ComposerScreen


async def test_a_draft_survives_a_dead_app_and_a_restarted_server(tmp_path, serve_ws) -> None:
    ws = make_workspace(tmp_path / "ws", "sqlite")
    cid = deliver(ws, NOW, "hifi@shop.test", sender="c1@client.test", subject="amplifier hums")[0]
    first_server = serve_ws(ws.path)
    marie = RemoteComptoir(ws.path, "marie", autostart=False)
    assert marie.claim(cid).ok
    app = make_app(marie)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press(*"The new fuse is in the post")
        await pilot.pause(DRAFT_SAVE_SECONDS + 0.5)
        await settle(pilot)
        # The terminal goes away here: nothing is sent, nothing is flushed on the way out.
    marie.close()
    first_server.stop()
    serve_ws(ws.path)
    marie = RemoteComptoir(ws.path, "marie", autostart=False)
    try:
        app = make_app(marie)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            assert isinstance(app.screen, ComposerScreen)
            assert app.screen.query_one(TextArea).text.startswith("The new fuse is in the post")
    finally:
        marie.close()
