"""The one registry of user actions: it feeds every BINDINGS list, the `?` cheat sheet and the command palette.

Each action has a stable binding id, so `app.set_keymap(config.keymap)` remaps it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType


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
    reader (the conversation screen), dialog (every dialog), reports (the reports screen); one scope per dialog
    for its own keys: confirm, snooze, dispose, presence, assign, alerts, conflict, why, help."""
    show: bool = False
    """Shown in the footer."""
    priority: bool = False
    palette: bool = True
    """Listed in the command palette."""
    label: str = ""
    """The footer's short word(s) for it (the description when empty); the footer never cuts a word."""


ACTIONS: tuple[ActionSpec, ...] = (
    # Moving around the list.
    ActionSpec("cursor-down", "j,down", "cursor_down", "Next conversation", "Move", "list", palette=False),
    ActionSpec("cursor-up", "k,up", "cursor_up", "Previous conversation", "Move", "list", palette=False),
    ActionSpec("cursor-first", "g,home", "cursor_first", "First conversation", "Move", "list"),
    ActionSpec("cursor-last", "G,end", "cursor_last", "Last conversation", "Move", "list"),
    ActionSpec("page-down", "ctrl+d,pagedown", "page_down", "Page down", "Move", "list", palette=False),
    ActionSpec("page-up", "ctrl+u,pageup", "page_up", "Page up", "Move", "list", palette=False),
    ActionSpec("open", "enter,l", "open", "Open the conversation", "Move", "list", show=True, label="Open"),
    # Queues.
    ActionSpec(
        "search",
        "slash",
        "search",
        "Search conversations (#1234 opens that conversation)",
        "Queues",
        "queues",
        show=True,
        label="Search",
    ),
    ActionSpec(
        "go-to",
        "number_sign",
        "go_to",
        "Go to a conversation by its number (# then digits, Enter)",
        "Queues",
        "queues",
        show=True,
        label="Go to",
    ),
    ActionSpec("next-queue", "right_square_bracket", "next_queue", "Next queue", "Queues", "queues"),
    ActionSpec("previous-queue", "left_square_bracket", "previous_queue", "Previous queue", "Queues", "queues"),
    ActionSpec(
        "focus-queues", "tab", "focus_next_pane", "Switch between queues and list", "Queues", "queues", palette=False
    ),
    ActionSpec("refresh", "ctrl+l", "refresh_all", "Refresh now", "Queues", "app"),
    # Working a conversation.
    ActionSpec(
        "reply", "r", "reply", "Reply to the customer", "Conversation", "conversation", show=True, label="Reply"
    ),
    ActionSpec("reply-all", "R", "reply_all", "Reply to all (customer and CC)", "Conversation", "conversation"),
    ActionSpec("note", "N", "note", "Internal note (@login mentions)", "Conversation", "conversation"),
    ActionSpec("claim", "c", "claim", "Claim", "Conversation", "conversation", show=True, label="Claim"),
    ActionSpec(
        "assign",
        "a",
        "assign",
        "Assign / transfer to an agent or team",
        "Conversation",
        "conversation",
        show=True,
        label="Assign",
    ),
    ActionSpec("take-back", "t", "take_back", "Take back from its owner", "Conversation", "conversation"),
    ActionSpec("release", "u", "release", "Release (give back to the team)", "Conversation", "conversation"),
    ActionSpec(
        "no-action",
        "n",
        "no_action",
        "No action needed (dispose pending mail)",
        "Conversation",
        "conversation",
        show=True,
        label="No action",
    ),
    ActionSpec("snooze", "s", "snooze", "Snooze", "Conversation", "conversation"),
    ActionSpec(
        "why",
        "w",
        "why",
        "Why is it here? (reasons and escalation ladder)",
        "Conversation",
        "conversation",
        show=True,
        label="Why",
    ),
    ActionSpec("done", "d", "done", "Done", "Conversation", "conversation"),
    ActionSpec("reopen", "o", "reopen", "Reopen", "Conversation", "conversation"),
    ActionSpec("confidential", "x", "toggle_confidential", "Toggle confidential", "Conversation", "conversation"),
    ActionSpec("tag", "L", "tag", "Tags: add or remove (a picker)", "Conversation", "conversation"),
    # Marking: the next claim, assign, no action, done, tag or snooze applies to every marked conversation.
    ActionSpec("mark", "space", "toggle_mark", "Mark / unmark for a bulk action", "Marking", "queues"),
    ActionSpec("mark-pattern", "T", "mark_pattern", "Mark every conversation matching a search", "Marking", "queues"),
    ActionSpec("unmark-all", "U", "unmark_all", "Unmark all", "Marking", "queues"),
    ActionSpec(
        "dispose-queue",
        "D",
        "dispose_queue",
        "No action needed for a whole Automated queue (asks first)",
        "Marking",
        "queues",
    ),
    ActionSpec("save-view", "V", "save_view", "Save the current search as a view", "Queues", "queues"),
    ActionSpec("forward", "f", "forward", "Forward a message, with its attachments", "Conversation", "conversation"),
    ActionSpec(
        "merge", "M", "merge", "Merge another conversation of this customer into it", "Conversation", "conversation"
    ),
    ActionSpec("split", "b", "split", "Split a message out into its own conversation", "Conversation", "conversation"),
    ActionSpec(
        "undo-history",
        "H",
        "undo_history",
        "Undo a merge or a split (from the history)",
        "Conversation",
        "conversation",
    ),
    ActionSpec("remind", "m", "remind", "Remind me about it at a time", "Conversation", "conversation"),
    ActionSpec(
        "customer",
        "i",
        "customer",
        "The customer: client, past conversations, ratings (Enter opens one)",
        "Conversation",
        "conversation",
    ),
    ActionSpec(
        "request",
        "Q",
        "request",
        "Ask another team (a request) / on a request: answer, decline, ask",
        "Conversation",
        "conversation",
    ),
    # Reading a conversation.
    ActionSpec("scroll-down", "j,down", "scroll_body_down", "Scroll down", "Reading", "reader", palette=False),
    ActionSpec("scroll-up", "k,up", "scroll_body_up", "Scroll up", "Reading", "reader", palette=False),
    ActionSpec("scroll-top", "g,home", "scroll_body_top", "Oldest message", "Reading", "reader", palette=False),
    ActionSpec("scroll-bottom", "G,end", "scroll_body_bottom", "Newest message", "Reading", "reader", palette=False),
    ActionSpec(
        "save-attachment",
        "S",
        "save_attachment",
        "Save an attachment",
        "Reading",
        "reader",
        show=True,
        label="Save file",
    ),
    ActionSpec("back", "q,ctrl+g,escape", "back", "Back to the list", "Reading", "reader", show=True, label="Back"),
    # Composing: not priority bindings, so a key typed before ctrl+s reaches the text first.
    ActionSpec(
        "send",
        "ctrl+s",
        "send",
        "Send the reply, note, new mail or forward",
        "Compose",
        "composer",
        show=True,
        label="Send",
    ),
    ActionSpec(
        "external-editor",
        "ctrl+o",
        "external_editor",
        "Edit in $EDITOR",
        "Compose",
        "composer",
        show=True,
        label="$EDITOR",
    ),
    ActionSpec(
        "saved-reply",
        "ctrl+t",
        "saved_reply",
        "Insert a saved reply",
        "Compose",
        "composer",
        show=True,
        label="Saved reply",
    ),
    ActionSpec(
        "cancel-compose",
        "ctrl+g",
        "cancel",
        "Cancel (asks before dropping a draft)",
        "Compose",
        "composer",
        show=True,
        label="Cancel",
    ),
    # Dialogs. A dialog opens with focus in the field you type in, and a key typed into a field is text:
    # these keys act only where no text field has focus (Tab or the arrows leave the field).
    ActionSpec(
        "close-dialog",
        "q,ctrl+g,escape",
        "close",
        "Close the dialog (q only outside a text field)",
        "Dialogs",
        "dialog",
        palette=False,
    ),
    ActionSpec("confirm-yes", "y", "confirm", "Question: yes", "Dialogs", "confirm", show=True),
    ActionSpec("confirm-no", "n", "close", "Question: no", "Dialogs", "confirm", show=True),
    *(
        ActionSpec(f"snooze-preset-{n}", str(n), f"preset({n - 1})", f"Snooze: preset {n}", "Dialogs", "snooze")
        for n in range(1, 5)
    ),
    *(
        ActionSpec(
            f"no-action-reason-{n}", str(n), f"reason({n - 1})", f"No action needed: reason {n}", "Dialogs", "dispose"
        )
        for n in range(1, 5)
    ),
    *(
        ActionSpec(f"presence-{n}", str(n), f"choose({n - 1})", f"Presence: choice {n}", "Dialogs", "presence")
        for n in range(1, 4)
    ),
    ActionSpec("assign-claim", "c", "claim", "Assign: claim", "Dialogs", "assign", show=True),
    ActionSpec("assign-release", "u", "release", "Assign: release", "Dialogs", "assign", show=True),
    ActionSpec("assign-take-back", "t", "take_back", "Assign: take back", "Dialogs", "assign", show=True),
    ActionSpec("assign-filter", "slash", "filter", "Assign: back to the filter", "Dialogs", "assign", show=True),
    ActionSpec("assign-down", "j", "cursor_down", "Assign: next agent or team", "Dialogs", "assign", palette=False),
    ActionSpec("assign-up", "k", "cursor_up", "Assign: previous agent or team", "Dialogs", "assign", palette=False),
    ActionSpec(
        "alert-ack", "a", "acknowledge", "Alerts: acknowledge the highlighted one", "Dialogs", "alerts", show=True
    ),
    ActionSpec("alert-ack-all", "A", "acknowledge_all", "Alerts: acknowledge all", "Dialogs", "alerts", show=True),
    ActionSpec("alert-down", "j", "cursor_down", "Alerts: next", "Dialogs", "alerts", palette=False),
    ActionSpec("alert-up", "k", "cursor_up", "Alerts: previous", "Dialogs", "alerts", palette=False),
    ActionSpec("alert-first", "g", "cursor_first", "Alerts: first", "Dialogs", "alerts", palette=False),
    ActionSpec("alert-last", "G", "cursor_last", "Alerts: last", "Dialogs", "alerts", palette=False),
    ActionSpec(
        "conflict-resend", "y", "resend", "Changed conversation: resend as is", "Dialogs", "conflict", show=True
    ),
    ActionSpec("conflict-edit", "e", "edit", "Changed conversation: edit first", "Dialogs", "conflict", show=True),
    ActionSpec("why-close", "w", "close", "Why: close", "Dialogs", "why", palette=False),
    ActionSpec("why-down", "j,down", "scroll('down')", "Why: scroll down", "Dialogs", "why", palette=False),
    ActionSpec("why-up", "k,up", "scroll('up')", "Why: scroll up", "Dialogs", "why", palette=False),
    ActionSpec("why-first", "g,home", "scroll('home')", "Why: top", "Dialogs", "why", palette=False),
    ActionSpec("why-last", "G,end", "scroll('end')", "Why: end", "Dialogs", "why", palette=False),
    ActionSpec("help-close", "question_mark", "close", "Keys: close", "Dialogs", "help", palette=False),
    ActionSpec("help-down", "j", "scroll_down", "Keys: scroll down", "Dialogs", "help", palette=False),
    ActionSpec("help-up", "k", "scroll_up", "Keys: scroll up", "Dialogs", "help", palette=False),
    ActionSpec("help-first", "g", "scroll_top", "Keys: top", "Dialogs", "help", palette=False),
    ActionSpec("help-last", "G", "scroll_bottom", "Keys: end", "Dialogs", "help", palette=False),
    # Reports.
    ActionSpec(
        "reports-next-period",
        "right_square_bracket",
        "next_period",
        "Longer period",
        "Reports",
        "reports",
        show=True,
        label="Longer",
    ),
    ActionSpec(
        "reports-previous-period",
        "left_square_bracket",
        "previous_period",
        "Shorter period",
        "Reports",
        "reports",
        show=True,
        label="Shorter",
    ),
    ActionSpec("reports-next-team", "t", "next_team", "Next team", "Reports", "reports", show=True, label="Next team"),
    ActionSpec("reports-previous-team", "T", "previous_team", "Previous team", "Reports", "reports"),
    ActionSpec(
        "reports-scroll-down", "j,down", "scroll_report_down", "Scroll down", "Reports", "reports", palette=False
    ),
    ActionSpec("reports-scroll-up", "k,up", "scroll_report_up", "Scroll up", "Reports", "reports", palette=False),
    ActionSpec("reports-top", "g,home", "scroll_report_top", "Top of the report", "Reports", "reports", palette=False),
    ActionSpec(
        "reports-bottom", "G,end", "scroll_report_bottom", "End of the report", "Reports", "reports", palette=False
    ),
    ActionSpec("reports-back", "q,ctrl+g,escape", "back", "Back", "Reports", "reports", show=True, label="Back"),
    # Everywhere.
    ActionSpec("compose", "C", "compose", "New mail to a customer (from a team address)", "App", "app"),
    ActionSpec("reports", "ctrl+r", "reports", "Reports: response times, backlog, volume", "App", "app"),
    ActionSpec("alerts", "A", "alerts", "Alerts (jump, acknowledge)", "App", "app", show=True, label="Alerts"),
    ActionSpec("presence", "p", "presence", "Set my presence", "App", "app"),
    ActionSpec(
        "undo",
        "z",
        "undo",
        "Undo the last action (for 10 s), or cancel a reply before it goes out",
        "App",
        "app",
        label="Undo",
    ),
    ActionSpec("help", "question_mark", "help", "Keys (this cheat sheet)", "App", "app", show=True, label="Keys"),
    ActionSpec(
        "command-palette", "ctrl+p", "command_palette", "Command palette", "App", "app", palette=False, label="Commands"
    ),
    ActionSpec(
        "close-palette",
        "ctrl+g",
        "close_palette",
        "Close the command palette (Esc works too)",
        "App",
        "app",
        palette=False,
        priority=True,
    ),
    ActionSpec("quit", "q,ctrl+q", "quit", "Quit", "App", "app", show=True, label="Quit"),
)

ACTIONS_BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}

GROUP_ORDER = ("Move", "Queues", "Conversation", "Marking", "Reading", "Compose", "Dialogs", "Reports", "App")


def bindings(*scopes: str, exclude: Iterable[str] = ()) -> list[BindingType]:
    """Textual Bindings (with ids) for every action of these scopes."""
    skipped = set(exclude)
    return [
        Binding(
            spec.key,
            spec.action,
            spec.label or spec.description,
            show=spec.show,
            id=spec.id,
            priority=spec.priority,
            tooltip=spec.description,
        )
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
        "number_sign": "#",
    }
    return ", ".join(names.get(key.strip(), key.strip()) for key in keys.split(","))


def specs_for_help(keymap: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(keys, description)]) in reading order, for the cheat sheet."""
    grouped: list[tuple[str, list[tuple[str, str]]]] = []
    for group in GROUP_ORDER:
        entries = [(key_label(effective_key(s, keymap)), s.description) for s in ACTIONS if s.group == group]
        grouped.append((group, entries))
    return grouped


FOOTER_ORDER = (
    "open",
    "reply",
    "no_action",
    "send",
    "back",
    "claim",
    "assign",
    "help",
    "go_to",
    "search",
    "why",
    "saved_reply",
    "cancel",
    "external_editor",
    "save_attachment",
    "next_period",
    "previous_period",
    "next_team",
    "alerts",
    "quit",
)
"""The footer's order of importance: at a narrow width only the first that fit are shown."""


def footer_rank(action: str) -> int:
    return FOOTER_ORDER.index(action) if action in FOOTER_ORDER else len(FOOTER_ORDER)
