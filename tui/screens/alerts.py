"""The alert list: jump to an alert's conversation, acknowledge one, or acknowledge all."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from core.work.alert_kinds import WIDEST, kind_words
from core.work.views import AlertView
from tui import keys
from tui.formatting import localize, plural, short_time
from tui.safe import clean_line
from tui.screens.dialogs import Dialog

KIND_STYLES = {
    "send_failed": "bold red",
    "send_partial": "bold red",
    "server_trouble": "bold red",
    "sync_trouble": "bold red",
    "escalation": "bold yellow",
    "window_closing": "yellow",
    "mention": "cyan",
    "assigned": "green",
    "exclusive": "green",
    "claimed": "dim",
    "taken": "dim",
}


def alert_prompt(alert: AlertView, now, zone=None) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{short_time(alert.created_at, now, zone):>9}  ", style="dim")
    text.append(f"{kind_words(alert.kind):<{WIDEST}}", style=KIND_STYLES.get(alert.kind, "bold"))
    text.append(" ")
    text.append(localize(clean_line(alert.text), zone, now))
    if alert.source != "comptoir":
        text.append(f"  (from {clean_line(alert.source)})", style="dim")
    return text


class AlertsScreen(Dialog[None]):
    """Unacknowledged alerts, newest first: Enter jumps, a acknowledges one, A acknowledges all."""

    BINDINGS = keys.bindings("alerts")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="alerts-dialog"):
            yield Static(Text("Alerts"), classes="dialog-title", id="alerts-title")
            yield OptionList(id="alert-list")
            yield Static(
                Text("Enter: open its conversation   a: acknowledge   A: acknowledge all   q: close"),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Acknowledge all (A)", id="ack-all", variant="warning")
                yield Button("Close (q)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.alerts_changed(self.app.alerts)

    def alerts_changed(self, alerts: list[AlertView]) -> None:
        """The app's alert list changed: show it, keeping the highlighted alert when it is still there."""
        self.alerts = list(alerts)
        options = self.query_one(OptionList)
        previous = options.highlighted_option.id if options.highlighted_option else None
        now = self.app.now()
        options.set_options([Option(alert_prompt(a, now, self.app.zone), id=str(a.id)) for a in self.alerts])
        ids = [str(a.id) for a in self.alerts]
        if previous in ids:
            options.highlighted = ids.index(previous)
        elif ids:
            options.highlighted = 0
        count = len(self.alerts)
        self.query_one("#alerts-title", Static).update(
            Text(f"Alerts — {count} waiting" if count else "Alerts — nothing needs you")
        )
        unseen = [a for a in self.alerts if not a.seen]
        if unseen:
            self._mark_seen([a.id for a in unseen], max(a.created_at for a in unseen))

    @work(thread=True, exit_on_error=False, group="alerts-seen")
    def _mark_seen(self, alert_ids: list[int], up_to) -> None:
        """Shown here, they stop the bar blinking (through the service, for every session of this agent)."""
        self.app.service.mark_alerts_seen(alert_ids, up_to)

    def _highlighted(self) -> AlertView | None:
        options = self.query_one(OptionList)
        if options.highlighted is None or options.highlighted >= len(self.alerts):
            return None
        return self.alerts[options.highlighted]

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cursor_first(self) -> None:
        self.query_one(OptionList).action_first()

    def action_cursor_last(self) -> None:
        self.query_one(OptionList).action_last()

    def action_acknowledge(self) -> None:
        alert = self._highlighted()
        if alert is not None:
            self.app.run_service_action("Acknowledged", lambda s: _acknowledged(s, alert.id))

    @on(Button.Pressed, "#ack-all")
    def action_acknowledge_all(self) -> None:
        self.app.run_service_action("Acknowledged", lambda s: _acknowledged(s, None))

    @on(OptionList.OptionSelected)
    def jump(self) -> None:
        alert = self._highlighted()
        if alert is None:
            return
        self.dismiss(None)
        if alert.conversation_id is not None:
            self.app.open_conversation(alert.conversation_id)


def _acknowledged(service, alert_id: int | None):
    from core.work.views import ActionResult

    count = service.acknowledge(alert_id)
    return ActionResult(True, f"{plural(count, 'alert')} acknowledged")
