"""The action registry: unique ids, every action implemented, the keymap honoured, the palette complete."""

from __future__ import annotations

from collections import Counter

from tests.tui.conftest import SIZE, make_app, settle
from tests.tui.fake_service import populated_service
from tui import keys
from tui.app import ComptoirApp
from tui.screens.alerts import AlertsScreen
from tui.screens.assign import AssignScreen
from tui.screens.composer import ComposerScreen
from tui.screens.composer_dialogs import ConflictDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.conversation import ConversationScreen
from tui.screens.dialogs import Dialog, DisposeDialog, PresenceDialog, SnoozeDialog
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.reports import ReportsScreen
from tui.screens.why import WhyScreen
from tui.widgets.conversation_list import ConversationList

SCOPE_OWNERS = {
    "app": [ComptoirApp],
    "list": [ConversationList],
    "queues": [MainScreen],
    "conversation": [MainScreen, ConversationScreen],
    "reader": [ConversationScreen],
    "composer": [ComposerScreen],
    "dialog": [Dialog],
    "reports": [ReportsScreen],
    "confirm": [ConfirmDialog],
    "snooze": [SnoozeDialog],
    "dispose": [DisposeDialog],
    "presence": [PresenceDialog],
    "assign": [AssignScreen],
    "alerts": [AlertsScreen],
    "conflict": [ConflictDialog],
    "why": [WhyScreen],
    "help": [HelpScreen],
}


def test_binding_ids_are_unique() -> None:
    duplicates = [name for name, count in Counter(spec.id for spec in keys.ACTIONS).items() if count > 1]
    assert duplicates == []


def test_every_action_is_implemented_where_it_is_bound() -> None:
    missing = [
        (spec.id, owner.__name__)
        for spec in keys.ACTIONS
        for owner in SCOPE_OWNERS[spec.scope]
        if spec.action != "command_palette" and not hasattr(owner, f"action_{spec.action.partition('(')[0]}")
    ]
    assert missing == []


def test_bindings_carry_their_ids() -> None:
    ids = {binding.id for binding in MainScreen.BINDINGS}
    assert {"claim", "reply", "assign", "why", "search"} <= ids


def test_help_covers_every_action() -> None:
    listed = [description for _, entries in keys.specs_for_help({}) for _, description in entries]
    assert len(listed) == len(keys.ACTIONS)


def test_dialog_keys_come_from_the_registry() -> None:
    """No dialog writes its own bindings: each binding has a registry id, so keymaps, ? and the palette see it."""
    ids = {spec.id for spec in keys.ACTIONS}
    for dialog in (
        ConfirmDialog,
        SnoozeDialog,
        DisposeDialog,
        PresenceDialog,
        AssignScreen,
        AlertsScreen,
        ConflictDialog,
        WhyScreen,
        HelpScreen,
    ):
        own = [b for b in dialog.BINDINGS if not isinstance(b, tuple)]
        assert own and all(b.id in ids for b in own), dialog.__name__
    help_text = " ".join(d for _, entries in keys.specs_for_help({}) for _, d in entries)
    assert "Assign: claim" in help_text and "Alerts: acknowledge all" in help_text


async def test_the_palette_lists_the_keys_of_the_dialog_it_opens_over() -> None:
    from tui.commands import ActionsProvider

    app = make_app(populated_service())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        offered = {spec.id for spec, _ in ActionsProvider(app.screen)._available()}
        assert {"alert-ack", "alert-ack-all"} <= offered


def test_key_labels_read_like_keys() -> None:
    assert keys.key_label("question_mark,ctrl+q") == "?, ctrl+q"
    assert keys.key_label("slash") == "/"


async def test_the_workspace_keymap_remaps_claim() -> None:
    service = populated_service()
    service.config = service.config.model_copy(update={"keymap": {"claim": "ctrl+k"}})
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert not [c for c in service.calls if c[0] == "claim"]
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert [c for c in service.calls if c[0] == "claim"] == [("claim", 2)]


async def test_the_command_palette_lists_and_runs_actions() -> None:
    from textual.command import CommandPalette

    service = populated_service()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"claim")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert [c for c in service.calls if c[0] == "claim"] == [("claim", 2)]


async def test_the_palette_provider_offers_every_screen_action() -> None:
    from tui.commands import ActionsProvider

    app = make_app(populated_service())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = ActionsProvider(app.screen)
        offered = {spec.id for spec, _ in provider._available()}
        expected = {s.id for s in keys.ACTIONS if s.palette and s.scope in {"app", "list", "queues", "conversation"}}
        assert expected <= offered


async def test_ctrl_g_closes_the_command_palette() -> None:
    from textual.command import CommandPalette

    app = make_app(populated_service())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
