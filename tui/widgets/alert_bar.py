"""The alert bar: calm when nothing needs the agent; counts by kind in plain words while alerts wait;
blinking (a CSS class on a timer) only while an alert that asks the agent to act is unseen."""

from __future__ import annotations

from datetime import datetime, tzinfo
from time import monotonic
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from core.work.alert_kinds import counts_in_words, is_actionable
from core.work.views import AlertView
from tui.formatting import localize, short_time
from tui.safe import clean_line

ALERTS_SHOWN = 200
"""The service returns at most this many alerts; a full page reads as '200+'."""
BLINK_FOR_SECONDS = 15.0
"""How long the bar blinks after a new unseen alert arrives; then it stays lit until the alerts are seen."""


def unseen_actionable(alerts: list[AlertView]) -> list[AlertView]:
    """The alerts that make the bar blink: asking the agent to act, and not yet shown in the alert list."""
    return [a for a in alerts if not a.seen and is_actionable(a.kind)]


def bar_text(alerts: list[AlertView], now: datetime | None, zone: tzinfo | None, alerts_key: str) -> Text:
    """ "▲ 3 alerts: 2 new for you · 1 window closing   10:42 the newest's text   [A] to see them"."""
    if not alerts:
        return Text("✓ Nothing needs you right now.")
    newest = alerts[0]
    count = len(alerts)
    shown = f"{count}+" if count >= ALERTS_SHOWN else str(count)
    text = Text(no_wrap=True, overflow="ellipsis")
    # The key comes first: at 80 columns the end of the line is cut.
    text.append(f"▲ {shown} alert{'s' if count != 1 else ''} [{alerts_key}]: ")
    text.append(" · ".join(counts_in_words(a.kind for a in alerts)))
    text.append("   ")
    if now is not None:
        text.append(short_time(newest.created_at, now, zone) + "  ", style="dim")
    # Instants in core's texts are UTC; the reader sees them in their own zone (tui.formatting.localize).
    text.append(
        localize(clean_line(newest.text), zone, now)
        if now is not None and zone is not None
        else clean_line(newest.text)
    )
    return text


class AlertBar(Widget):
    """One line: how many alerts wait, by kind, and the newest one; or a calm all-clear."""

    BLINK_SECONDS: ClassVar[float | None] = 0.6
    """Half-period of the blink; None (in tests and snapshots) keeps the bar lit without blinking."""

    DEFAULT_CSS = """
    AlertBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    AlertBar.-pending {
        background: $warning 70%;
        color: $text;
        text-style: bold;
    }
    AlertBar.-pending.-lit {
        background: $error;
        color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.alerts: list[AlertView] = []
        self.now: datetime | None = None
        self.zone: tzinfo | None = None
        self.alerts_key = "A"
        self._blink_timer = None
        self._raised_before: set[tuple[int, datetime]] = set()
        self._blink_until = 0.0

    def on_mount(self) -> None:
        if self.BLINK_SECONDS:
            self._blink_timer = self.set_interval(self.BLINK_SECONDS, self._toggle_lit, pause=True)
        self._apply_state()

    def show_alerts(
        self, alerts: list[AlertView], now: datetime, alerts_key: str = "A", zone: tzinfo | None = None
    ) -> None:
        if (
            list(alerts) == self.alerts
            and self.now is not None
            and now.replace(second=0, microsecond=0) == self.now.replace(second=0, microsecond=0)
            and (zone, alerts_key) == (self.zone, self.alerts_key)
        ):
            return  # read again after a change, the same alerts: nothing to redraw (times show minutes)
        # An alert raised again in place keeps its id and gets a new time: (id, time) says "new".
        raised = {(a.id, a.created_at) for a in unseen_actionable(alerts)}
        if raised - self._raised_before:
            # Blink for a while when something new arrives, then stay lit: a bar that never stops
            # blinking is noise (and a repaint twice a second in every idle app).
            self._blink_until = monotonic() + BLINK_FOR_SECONDS
        self._raised_before |= raised
        self.alerts = list(alerts)
        self.now = now
        self.zone = zone
        self.alerts_key = alerts_key
        self._apply_state()
        self.refresh()

    @property
    def pending(self) -> bool:
        return bool(self.alerts)

    @property
    def calling(self) -> bool:
        """An unseen alert asks the agent to act: the bar is lit, and blinks for a while."""
        return bool(unseen_actionable(self.alerts))

    def _apply_state(self) -> None:
        self.set_class(self.pending, "-pending")
        calling = self.calling
        if self._blink_timer is None:
            self.set_class(calling, "-lit")
        elif calling and monotonic() < self._blink_until:
            self._blink_timer.resume()
        else:
            self._blink_timer.pause()
            self.set_class(calling, "-lit")

    def _toggle_lit(self) -> None:
        if monotonic() >= self._blink_until or not self.calling:
            self._apply_state()
            return
        self.toggle_class("-lit")

    def render(self) -> Text:
        return bar_text(self.alerts, self.now, self.zone, self.alerts_key)
