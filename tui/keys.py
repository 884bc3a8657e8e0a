"""The one registry of user actions: it feeds every BINDINGS list, the `?` cheat sheet and the command palette.

Each action has a stable binding id, so `app.set_keymap(config.keymap)` remaps it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class ActionSpec:
    """One user action: its binding id, default key(s), Textual action name, help text and where it lives."""

    id: str
    key: str
    action: str
    description: str
    group: str
    scope: str
    """app (everywhere), list (the conversation list), queues (main screen), conversation (a row or the open one),
    reader (the conversation screen), dialog (every dialog), reports (the reports screen)."""
    show: bool = False
    """Shown in the footer."""
    priority: bool = False
    palette: bool = True
    """Listed in the command palette."""


ACTIONS: tuple[ActionSpec, ...] = (
    # Moving around the list.
    ActionSpec("cursor-down", "j,down", "cursor_down", "Next conversation", "Move", "list", palette=False),
    ActionSpec("cursor-up", "k,up", "cursor_up", "Previous conversation", "Move", "list", palette=False),
    ActionSpec("cursor-first", "g,home", "cursor_first", "First conversation", "Move", "list"),
    ActionSpec("cursor-last", "G,end", "cursor_last", "Last conversation", "Move", "list"),
    ActionSpec("page-down", "ctrl+d,pagedown", "page_down", "Page down", "Move", "list", palette=False),
    ActionSpec("page-up", "ctrl+u,pageup", "page_up", "Page up", "Move", "list", palette=False),
    ActionSpec("open", "enter,l", "open", "Open the conversation", "Move", "list", show=True),
    # Queues.
    ActionSpec("search", "slash", "search", "Search conversations", "Queues", "queues", show=True),
    ActionSpec("next-queue", "right_square_bracket", "next_queue", "Next queue", "Queues", "queues"),
    ActionSpec("previous-queue", "left_square_bracket", "previous_queue", "Previous queue", "Queues", "queues"),
    ActionSpec("focus-queues", "tab", "focus_next_pane", "Switch between queues and list", "Queues", "queues", palette=False),
    ActionSpec("refresh", "ctrl+l", "refresh_all", "Refresh now", "Queues", "app"),
    # Working a conversation.
    ActionSpec("reply", "r", "reply", "Reply to the customer", "Conversation", "conversation", show=True),
    ActionSpec("reply-all", "R", "reply_all", "Reply to all (customer and CC)", "Conversation", "conversation"),
    ActionSpec("note", "N", "note", "Internal note (@login mentions)", "Conversation", "conversation"),
    ActionSpec("claim", "c", "claim", "Claim", "Conversation", "conversation", show=True),
    ActionSpec("assign", "a", "assign", "Assign / transfer to an agent or team", "Conversation", "conversation", show=True),
    ActionSpec("take-back", "t", "take_back", "Take back from its owner", "Conversation", "conversation"),
    ActionSpec("release", "u", "release", "Release (give back to the team)", "Conversation", "conversation"),
    ActionSpec("no-action", "n", "no_action", "No action needed (dispose pending mail)", "Conversation", "conversation", show=True),
    ActionSpec("snooze", "s", "snooze", "Snooze", "Conversation", "conversation"),
    ActionSpec("why", "w", "why", "Why is it here? (reasons and escalation ladder)", "Conversation", "conversation", show=True),
    ActionSpec("done", "d", "done", "Done", "Conversation", "conversation"),
    ActionSpec("reopen", "o", "reopen", "Reopen", "Conversation", "conversation"),
    ActionSpec("confidential", "x", "toggle_confidential", "Toggle confidential", "Conversation", "conversation"),
    ActionSpec("customer", "C", "customer", "The customer: client, past conversations, ratings (Enter opens one)",
               "Conversation", "conversation"),
    ActionSpec("request", "Q", "request", "Ask another team (a request) / on a request: answer, decline, ask",
               "Conversation", "conversation"),
    # Reading a conversation.
    ActionSpec("scroll-down", "j,down", "scroll_body_down", "Scroll down", "Reading", "reader", palette=False),
    ActionSpec("scroll-up", "k,up", "scroll_body_up", "Scroll up", "Reading", "reader", palette=False),
    ActionSpec("scroll-top", "g,home", "scroll_body_top", "Oldest message", "Reading", "reader", palette=False),
    ActionSpec("scroll-bottom", "G,end", "scroll_body_bottom", "Newest message", "Reading", "reader", palette=False),
    ActionSpec("save-attachment", "S", "save_attachment", "Save an attachment", "Reading", "reader", show=True),
    ActionSpec("back", "q,ctrl+g,escape", "back", "Back to the list", "Reading", "reader", show=True),
    # Composing: not priority bindings, so a key typed before ctrl+s reaches the text first.
    ActionSpec("send", "ctrl+s", "send", "Send the reply or note", "Compose", "composer", show=True),
    ActionSpec("external-editor", "ctrl+o", "external_editor", "Edit in $EDITOR", "Compose", "composer", show=True),
    ActionSpec("saved-reply", "ctrl+t", "saved_reply", "Insert a saved reply", "Compose", "composer", show=True),
    ActionSpec("cancel-compose", "ctrl+g", "cancel", "Cancel (asks before dropping a draft)", "Compose", "composer", show=True),
    # Dialogs.
    ActionSpec("close-dialog", "q,ctrl+g,escape", "close", "Close the dialog", "Dialogs", "dialog", palette=False),
    # Reports.
    ActionSpec("reports-next-period", "right_square_bracket", "next_period", "Longer period", "Reports",
               "reports", show=True),
    ActionSpec("reports-previous-period", "left_square_bracket", "previous_period", "Shorter period", "Reports", "reports",
               show=True),
    ActionSpec("reports-next-team", "t", "next_team", "Next team", "Reports", "reports", show=True),
    ActionSpec("reports-previous-team", "T", "previous_team", "Previous team", "Reports", "reports"),
    ActionSpec("reports-scroll-down", "j,down", "scroll_report_down", "Scroll down", "Reports", "reports", palette=False),
    ActionSpec("reports-scroll-up", "k,up", "scroll_report_up", "Scroll up", "Reports", "reports", palette=False),
    ActionSpec("reports-back", "q,ctrl+g,escape", "back", "Back", "Reports", "reports", show=True),
    # Everywhere.
    ActionSpec("reports", "ctrl+r", "reports", "Reports: response times, backlog, volume", "App", "app"),
    ActionSpec("alerts", "A", "alerts", "Alerts (jump, acknowledge)", "App", "app", show=True),
    ActionSpec("presence", "p", "presence", "Set my presence", "App", "app"),
    ActionSpec("help", "question_mark", "help", "Keys (this cheat sheet)", "App", "app", show=True),
    ActionSpec("command-palette", "ctrl+p", "command_palette", "Command palette", "App", "app", palette=False),
    ActionSpec("close-palette", "ctrl+g", "close_palette", "Close the command palette (Esc works too)", "App", "app",
               palette=False, priority=True),
    ActionSpec("quit", "q,ctrl+q", "quit", "Quit", "App", "app", show=True),
)

ACTIONS_BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}

GROUP_ORDER = ("Move", "Queues", "Conversation", "Reading", "Compose", "Dialogs", "Reports", "App")


def bindings(*scopes: str, exclude: Iterable[str] = ()) -> list[Binding]:
    """Textual Bindings (with ids) for every action of these scopes."""
    skipped = set(exclude)
    return [
        Binding(spec.key, spec.action, spec.description, show=spec.show, id=spec.id, priority=spec.priority)
        for spec in ACTIONS
        if spec.scope in scopes and spec.id not in skipped
    ]


def effective_key(spec: ActionSpec, keymap: Mapping[str, str]) -> str:
    """The key(s) an action answers to once the user's keymap is applied."""
    return keymap.get(spec.id, spec.key)


def key_label(keys: str) -> str:
    """'question_mark,ctrl+q' as people read it: '?, ctrl+q'."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "escape": "esc",
    }
    return ", ".join(names.get(key.strip(), key.strip()) for key in keys.split(","))


def specs_for_help(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(keys, description)]) in reading order, for the cheat sheet."""
    grouped: list[tuple[str, list[tuple[str, str]]]] = []
    for group in GROUP_ORDER:
        entries = [(key_label(effective_key(s, keymap)), s.description) for s in ACTIONS if s.group == group]
        grouped.append((group, entries))
    return grouped
