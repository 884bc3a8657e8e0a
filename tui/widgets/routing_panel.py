"""Why a conversation is where it is: routing reasons, the escalation ladder with times, recent events."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text

from core.work.views import EventView, ReasonView, RungView
from tui.formatting import full_time, localize
from tui.safe import clean_line


def _when(moment: datetime, zone: tzinfo | None) -> str:
    return full_time(moment, zone).rpartition(" ")[0]


def _rung_text(text: str, zone: tzinfo | None, now: datetime) -> str:
    # Ladders stored before rung texts lost their "Now: " prefix still carry it; a rung has its own time.
    if text.startswith("Now: "):
        text = text[5:]
        text = text[:1].upper() + text[1:]
    return localize(clean_line(text), zone, now)


def _reasons(text: Text, reasons: tuple[ReasonView, ...], zone: tzinfo | None, now: datetime) -> None:
    # The "ladder" reason says in a sentence what the ladder section shows rung by rung.
    shown = [r for r in reasons or () if r.code != "ladder"]
    for reason in shown:
        text.append("• ", style="cyan")
        text.append(localize(clean_line(reason.text), zone, now) + "\n")
    if not shown:
        text.append("No routing reasons recorded.\n", style="dim")


def _rung(text: Text, rung: RungView, zone: tzinfo | None, marker: str, style: str, now: datetime) -> None:
    text.append(marker, style=style)
    text.append(_when(rung.at, zone), style=style)
    text.append(f"  {clean_line(rung.visibility)}: ", style=style)
    text.append(_rung_text(rung.text, zone, now) + "\n", style=style)


def routing_summary(
    reasons: tuple[ReasonView, ...],
    ladder: tuple[RungView, ...],
    events: tuple[EventView, ...],
    now: datetime,
    zone: tzinfo | None = None,
    why_key: str = "w",
) -> Text:
    """The side panel: why it is here, what happens next, and the last few events; `w` tells the whole story."""
    text = Text()
    text.append("Why it is here\n", style="bold underline")
    _reasons(text, reasons, zone, now)
    upcoming = next((rung for rung in ladder or () if rung.at > now), None)
    text.append("\nNext\n", style="bold underline")
    if upcoming is None:
        text.append("Nothing scheduled.\n", style="dim")
    else:
        _rung(text, upcoming, zone, "→ ", "bold yellow", now)
    if events:
        text.append("\nLately\n", style="bold underline")
        for event in list(events)[-3:]:
            text.append(_when(event.at, zone), style="dim")
            text.append(f"  {clean_line(event.actor)} ", style="bold")
            text.append(localize(clean_line(event.text or event.kind), zone, now) + "\n")
    text.append(f"\n{why_key}: the whole ladder and history\n", style="dim")
    return text


def routing_text(
    reasons: tuple[ReasonView, ...],
    ladder: tuple[RungView, ...],
    events: tuple[EventView, ...],
    now: datetime,
    zone: tzinfo | None = None,
    event_limit: int = 12,
) -> Text:
    """The whole story, for the `w` dialog: every reason, every rung (done, next, later) and the history."""
    text = Text()
    text.append("Why it is here\n", style="bold underline")
    _reasons(text, reasons, zone, now)
    text.append("\nEscalation ladder\n", style="bold underline")
    next_marked = False
    for rung in ladder or ():
        past = rung.at <= now
        is_next = not past and not next_marked
        next_marked = next_marked or is_next
        marker, style = ("✓ ", "dim") if past else (("→ ", "bold yellow") if is_next else ("  ", ""))
        _rung(text, rung, zone, marker, style, now)
    if not ladder:
        text.append("Nothing scheduled.\n", style="dim")
    if events:
        text.append("\nHistory\n", style="bold underline")
        for event in list(events)[-event_limit:]:
            text.append(_when(event.at, zone), style="dim")
            text.append(f"  {clean_line(event.actor)} ", style="bold")
            text.append(localize(clean_line(event.text or event.kind), zone, now) + "\n")
    return text
