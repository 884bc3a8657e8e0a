"""Why a conversation is where it is: routing reasons, the escalation ladder with times, recent events."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text

from core.views import EventView, ReasonView, RungView
from tui.formatting import full_time
from tui.safe import clean_line


def _when(moment: datetime, zone: tzinfo | None) -> str:
    return full_time(moment, zone).rpartition(" ")[0]


def routing_text(
    reasons: tuple[ReasonView, ...],
    ladder: tuple[RungView, ...],
    events: tuple[EventView, ...],
    now: datetime,
    zone: tzinfo | None = None,
    event_limit: int = 12,
) -> Text:
    text = Text()
    text.append("Why it is here\n", style="bold underline")
    for reason in reasons or ():
        text.append("• ", style="cyan")
        text.append(clean_line(reason.text))
        text.append(f"  [{clean_line(reason.code)}]\n", style="dim")
    if not reasons:
        text.append("No routing reasons recorded.\n", style="dim")
    text.append("\nEscalation ladder\n", style="bold underline")
    next_marked = False
    for rung in ladder or ():
        past = rung.at <= now
        is_next = not past and not next_marked
        next_marked = next_marked or is_next
        marker, style = ("✓ ", "dim") if past else (("→ ", "bold yellow") if is_next else ("  ", ""))
        text.append(marker, style=style)
        text.append(_when(rung.at, zone), style=style)
        text.append(f"  {clean_line(rung.visibility)}: ", style=style)
        text.append(clean_line(rung.text) + "\n", style=style)
    if not ladder:
        text.append("Nothing scheduled.\n", style="dim")
    if events:
        text.append("\nHistory\n", style="bold underline")
        for event in list(events)[-event_limit:]:
            text.append(_when(event.at, zone), style="dim")
            text.append(f"  {clean_line(event.actor)} ", style="bold")
            text.append(clean_line(event.text or event.kind) + "\n")
    return text
