"""Mail the agent starts: new mail to a customer (C) and forwarding a message (f).

From (a team address), To, Cc, Bcc, Subject, files and the text; more recipients than the workspace's limit
(Bcc included) ask for a confirmation, as replies do. Files are read when sending, by this process.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from core.errors import ComptoirError
from core.work.views import ActionResult, ConversationDetail, MessageView
from tui import keys
from tui.formatting import plural
from tui.messages import ActionFinished
from tui.safe import clean_line
from tui.screens.base import ComptoirScreen
from tui.screens.composer import split_addresses
from tui.screens.confirm import ConfirmDialog
from tui.widgets.alert_bar import AlertBar
from tui.widgets.attach_field import AttachField
from tui.widgets.top_bar import TopBar


@dataclass
class MailAnswered(Message):
    result: ActionResult


def team_addresses(config, agent: str) -> list[str]:
    """The addresses new mail may go out from: the agent's teams' first, then every other team's."""
    mine = [a for name in config.teams_of(agent) if (t := config.team(name)) for a in t.addresses]
    others = [a for t in config.teams for a in t.addresses]
    return list(dict.fromkeys(a.lower() for a in [*mine, *others]))


class NewMailScreen(ComptoirScreen[None]):
    """New mail (`message` None) or a forward of `message` of `detail`."""

    BINDINGS = keys.bindings("composer", exclude=("saved-reply", "external-editor"))
    DEFAULT_CSS = """
    NewMailScreen #composer-head { height: auto; padding: 0 1; background: $panel; }
    NewMailScreen #composer-title { text-style: bold; }
    NewMailScreen .composer-field { height: 1; }
    NewMailScreen .composer-label { width: 6; text-style: bold; }
    NewMailScreen .composer-field Input { border: none; height: 1; padding: 0 1; background: $surface; width: 1fr; }
    NewMailScreen .composer-field Input:focus { background: $surface-lighten-1; }
    NewMailScreen .composer-field Select { width: 1fr; }
    NewMailScreen #composer-body { height: 1fr; min-height: 4; border: round $accent; }
    """

    def __init__(self, detail: ConversationDetail | None = None, message: MessageView | None = None) -> None:
        super().__init__()
        self.detail = detail
        self.message = message
        self.confirmed_recipients = False
        self.sending = False

    @property
    def is_forward(self) -> bool:
        return self.message is not None

    def compose(self) -> ComposeResult:
        config = self.app.service.config
        yield TopBar(id="top-bar")
        yield AlertBar(id="alert-bar")
        with Vertical(id="composer-head"):
            if self.is_forward:
                title = Text(f"Forward message {self.message.id}: ", style="bold")
                title.append(clean_line(self.message.subject or self.detail.row.subject) or "(no subject)")
                attached = len(self.message.attachments)
                if attached:
                    title.append(f"  ·  with its {plural(attached, 'attachment')}", style="cyan")
            else:
                title = Text("New mail to a customer", style="bold")
                title.append("  ·  the conversation will be yours", style="dim")
            yield Static(title, id="composer-title")
            with Horizontal(classes="composer-field"):
                yield Label("From", classes="composer-label")
                if self.is_forward:
                    yield Static(Text(clean_line(self.detail.reply_from)), id="mail-from-fixed")
                else:
                    choices = team_addresses(config, self.app.me)
                    yield Select(
                        [(a, a) for a in choices],
                        value=choices[0] if choices else Select.BLANK,
                        allow_blank=not choices,
                        id="mail-from",
                        compact=True,
                    )
            for name, label in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
                with Horizontal(classes="composer-field"):
                    yield Label(label, classes="composer-label")
                    yield Input(id=f"mail-{name}", placeholder="address, address…" if name == "to" else "")
            with Horizontal(classes="composer-field"):
                yield Label("Subj", classes="composer-label")
                yield Input(self._subject(), id="mail-subject")
            yield AttachField(config.workspace.attachment_limit_mb, id="mail-files")
            yield Static(Text(""), id="composer-audience")
        yield TextArea("", id="composer-body", soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def _subject(self) -> str:
        if not self.is_forward:
            return ""
        subject = clean_line(self.message.subject or self.detail.row.subject)
        return subject if subject.lower().startswith(("fwd:", "fw:")) else f"Fwd: {subject}"

    def on_mount(self) -> None:
        self.app.fill_top_bar(self.query_one(TopBar))
        self.app.refresh_alert_bars()
        self.update_audience()
        self.query_one("#mail-to", Input).focus()

    def recipients(self) -> tuple[list[str], list[str], list[str]]:
        return tuple(split_addresses(self.query_one(f"#mail-{n}", Input).value) for n in ("to", "cc", "bcc"))  # type: ignore[return-value] # three fields, three tuples

    @on(Input.Changed)
    def update_audience(self) -> None:
        to, cc, bcc = self.recipients()
        limit = self.app.service.config.routing.recipient_limit
        count = len(to) + len(cc) + len(bcc)
        text = Text()
        text.append(plural(count, "recipient"), style="bold")
        if count > limit:
            text.append(f" — more than {limit}: you will be asked to confirm", style="bold yellow")
        if bcc:
            text.append(
                "  ·  Bcc: " + ", ".join(clean_line(a) for a in bcc) + " (not shown to the others)", style="dim"
            )
        if self.is_forward:
            text.append("  ·  the customer is not answered by a forward", style="dim italic")
        self.query_one("#composer-audience", Static).update(text)

    # -- sending -------------------------------------------------------------------------------
    def action_send(self) -> None:
        if self.sending:
            return
        to, cc, bcc = self.recipients()
        body = self.query_one("#composer-body", TextArea).text
        subject = self.query_one("#mail-subject", Input).value.strip()
        if not to:
            self.app.notify("Add at least one recipient (To).", severity="warning")
            self.query_one("#mail-to", Input).focus()
            return
        if not self.is_forward and not subject:
            self.app.notify("New mail needs a subject.", severity="warning")
            self.query_one("#mail-subject", Input).focus()
            return
        if not self.is_forward and not body.strip():
            self.app.notify("Nothing to send: the text is empty.", severity="warning")
            return
        limit = self.app.service.config.routing.recipient_limit
        if len(to) + len(cc) + len(bcc) > limit and not self.confirmed_recipients:
            question = Text(f"This mail goes to {len(to) + len(cc) + len(bcc)} recipients (more than {limit}):\n\n")
            for address in [*to, *cc, *bcc]:
                question.append(f"  {clean_line(address)}\n", style="bold")

            def answered(yes: bool | None) -> None:
                if yes:
                    self.confirmed_recipients = True
                    self.action_send()

            self.app.push_screen(
                ConfirmDialog("Send to all of them?", question, "Send to all (y)", "Back (n)"), callback=answered
            )
            return
        sender = None
        if not self.is_forward:
            chosen = self.query_one("#mail-from", Select).value
            sender = chosen if isinstance(chosen, str) else None
        self.sending = True
        self.send(to, cc, bcc, subject, body, sender, list(self.query_one(AttachField).paths))

    @work(thread=True, exit_on_error=False, group="send")
    def send(self, to, cc, bcc, subject, body, sender, paths) -> None:
        service = self.app.service
        try:
            # Read here, as the agent: the agent's own permissions decide what may be attached.
            files = service.read_attachments([str(p) for p in paths]) if paths else []
            if self.is_forward:
                result = service.forward(
                    self.message.id,
                    to,
                    cc=cc,
                    bcc=bcc,
                    body=body,
                    subject=subject or None,
                    attachments=files,
                    confirmed_recipients=self.confirmed_recipients,
                )
            else:
                result = service.compose(
                    to,
                    subject,
                    body,
                    cc=cc,
                    bcc=bcc,
                    from_addr=sender,
                    attachments=files,
                    confirmed_recipients=self.confirmed_recipients,
                )
        except ComptoirError as refusal:
            result = ActionResult(False, str(refusal), self.detail.row.id if self.detail else None)
        self.post_message(MailAnswered(result))

    @on(MailAnswered)
    def answered(self, message: MailAnswered) -> None:
        message.stop()
        self.sending = False
        result = message.result
        if result.ok:
            self.app.post_message(
                ActionFinished("Forward" if self.is_forward else "New mail", result, result.conversation_id)
            )
            self.app.pop_screen()
            return
        self.app.notify(result.message, title="Not sent", severity="warning", markup=False, timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "send" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.sending = False

    def action_cancel(self) -> None:
        body = self.query_one("#composer-body", TextArea).text
        to = self.query_one("#mail-to", Input).value
        if not body.strip() and not to.strip() and not self.query_one(AttachField).paths:
            self.app.pop_screen()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmDialog("Drop this mail?", Text("What you wrote will be lost."), "Drop it (y)", "Keep writing (n)"),
            callback=answered,
        )
