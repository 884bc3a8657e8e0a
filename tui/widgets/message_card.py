"""One message of a conversation: inbound, outbound reply or internal note, each told apart."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import Static

from core.work.views import MessageView
from tui.formatting import full_time
from tui.safe import clean_block, clean_line

DIRECTION_LABELS = {"inbound": "◀ from", "outbound": "▶ reply by", "note": "✎ note by"}
OUTBOUND_LABELS = {"new": "▶ new mail by", "forward": "↪ forward by"}

DISPOSITIONS = {
    "pending": ("needs an answer: reply (r) or no action needed (n)", "bold yellow"),
    "replied": ("answered", "green"),
    "no_action": ("no action needed", "dim green"),
}

OUTBOX_STATES = {
    "queued": ("queued, about to be sent", "yellow"),
    "sending": ("sending…", "yellow"),
    "sent": ("sent", "green"),
    "failed": ("FAILED TO SEND", "bold red"),
}


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def message_text(message: MessageView, zone: tzinfo | None = None) -> Text:
    """Header lines, disposition or delivery state, attachments, then the body; all plain text."""
    text = Text()
    who = clean_line(message.from_name) or clean_line(message.from_addr)
    label = OUTBOUND_LABELS.get(message.outbound_kind) if message.direction == "outbound" else None
    text.append(f"{label or DIRECTION_LABELS.get(message.direction, message.direction)} ", style="bold")
    text.append(who, style="bold")
    if message.direction != "note" and message.from_addr and message.from_addr != message.from_name:
        text.append(f" <{clean_line(message.from_addr)}>", style="dim")
    when: datetime = message.sent_at or message.received_at
    text.append(f"   {full_time(when, zone)}", style="dim")
    if message.direction != "note":
        text.append("\nto: " + ", ".join(clean_line(a) for a in message.to), style="dim")
        if message.cc:
            text.append("   cc: " + ", ".join(clean_line(a) for a in message.cc), style="yellow")
        if message.bcc:
            text.append("   bcc: " + ", ".join(clean_line(a) for a in message.bcc), style="dim")
    if message.direction == "inbound":
        label, style = DISPOSITIONS.get(message.disposition, (message.disposition, ""))
        text.append("\n● ", style=style)
        text.append(label, style=style)
        if message.disposition_reason:
            text.append(f": {clean_line(message.disposition_reason)}", style=style)
        if message.disposed_by:
            text.append(f" (by {clean_line(message.disposed_by)})", style="dim")
    elif message.direction == "outbound" and message.outbox_state:
        label, style = OUTBOX_STATES.get(message.outbox_state, (message.outbox_state, ""))
        text.append("\n● ", style=style)
        text.append(label, style=style)
        if message.outbox_answer:
            text.append(f": server said {clean_line(message.outbox_answer)}", style=style)
    for attachment in message.attachments:
        text.append(f"\n▸ attached: {clean_line(attachment.filename) or '(unnamed)'}", style="cyan")
        text.append(f"  {clean_line(attachment.content_type)}, {human_size(attachment.size)}", style="dim")
    for defect in message.defects:
        text.append(f"\n⚠ {clean_line(defect)}", style="dim yellow")
    text.append("\n\n")
    text.append(clean_block(message.text).strip("\n") or "(empty message)")
    return text


class MessageCard(Static):
    """A bordered block whose colour says inbound, outbound or note."""

    def __init__(self, message: MessageView, zone: tzinfo | None = None) -> None:
        super().__init__(message_text(message, zone), classes=card_classes(message))
        self.message = message

    def show(self, message: MessageView, zone: tzinfo | None = None) -> None:
        """Show another message in this card: flow moves to the next conversation without mounting
        new widgets (a mount costs a restyle and a layout of each card)."""
        if message == self.message:
            return
        self.message = message
        self.set_classes(card_classes(message))
        self.update(message_text(message, zone))


def card_classes(message: MessageView) -> str:
    classes = f"message -{message.direction}"
    if message.direction == "outbound" and message.outbox_state == "failed":
        classes += " -failed"
    if message.direction == "inbound" and message.disposition == "pending":
        classes += " -pending"
    return classes
