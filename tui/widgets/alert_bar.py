"""The alert bar: calm when nothing needs the agent, blinking (a CSS class on a timer) while alerts wait."""

from __future__ import annotations

from datetime import datetime, tzinfo
from time import monotonic
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from core.work.views import AlertView
from tui.formatting import localize, short_time
from tui.safe import clean_line


ALERTS_SHOWN = 200
BLINK_FOR_SECONDS = 15.0
"""How long the bar blinks after a new alert arrives; then it stays lit until the alerts are seen."""
"""The service returns at most this many alerts; a full page reads as '200+'."""


class AlertBar(Widget):
    """One line: the newest unacknowledged alert and how many there are, or a calm all-clear."""

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
        self._seen_ids: set[int] = set()
        self._blink_until = 0.0

    def on_mount(self) -> None:
        if self.BLINK_SECONDS:
            self._blink_timer = self.set_interval(self.BLINK_SECONDS, self._toggle_lit, pause=True)
        self._apply_state()

    def show_alerts(self, alerts: list[AlertView], now: datetime, alerts_key: str = "A", zone: tzinfo | None = None) -> None:
        ids = {alert.id for alert in alerts}
        if ids - self._seen_ids:
            # Blink for a while when something new arrives, then stay lit: a bar that never stops
            # blinking is noise (and a repaint twice a second in every idle app).
            self._blink_until = monotonic() + BLINK_FOR_SECONDS
        self._seen_ids |= ids
        self.alerts = list(alerts)
        self.now = now
        self.zone = zone
        self.alerts_key = alerts_key
        self._apply_state()
        self.refresh()

    @property
    def pending(self) -> bool:
        return bool(self.alerts)

    def _apply_state(self) -> None:
        self.set_class(self.pending, "-pending")
        if self._blink_timer is None:
            self.set_class(self.pending, "-lit")
        elif self.pending and monotonic() < self._blink_until:
            self._blink_timer.resume()
        elif self.pending:
            self._blink_timer.pause()
            self.add_class("-lit")
        else:
            self._blink_timer.pause()
            self.remove_class("-lit")

    def _toggle_lit(self) -> None:
        if monotonic() >= self._blink_until:
            self._apply_state()
            return
        self.toggle_class("-lit")

    def render(self) -> Text:
        if not self.alerts:
            return Text("✓ Nothing needs you right now.")
        newest = self.alerts[0]
        count = len(self.alerts)
        shown = f"{count}+" if count >= ALERTS_SHOWN else str(count)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"▲ {shown} alert{'s' if count != 1 else ''}  ")
        if self.now is not None:
            text.append(short_time(newest.created_at, self.now, self.zone) + "  ")
        text.append(localize(clean_line(newest.text), self.zone, self.now) if self.now else clean_line(newest.text))
        text.append(f"   [{self.alerts_key}] to see them")
        return text
