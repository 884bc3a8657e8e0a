"""The composer: reply, reply-all or internal note, in $EDITOR or a built-in text area.

It shows every recipient, asks before writing to more than the workspace's recipient limit,
says when CC'd people or a list will read the reply, and when the service refuses because the
conversation changed since it was opened, shows what changed before letting the agent resend.

What is typed is saved through the server as a draft (a second after the last key), so a crash or
a lost SSH session loses nothing, and the composer reopens with it.

The app keeps one composer for replies and one for notes once they have been opened (tui.screens.kept),
and fills them again for the next conversation (`load`) instead of building ~40 widgets and styling them
on every `r`: that build was most of the cost of a reply at the keyboard (issue 13's flow bench).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from core.work.views import ActionResult, ConversationDetail, DraftView
from tui import keys
from tui.app import ComptoirApp
from tui.formatting import full_time, plural, short_name
from tui.messages import ActionFinished, ComposerCheckLoaded
from tui.outcomes import as_result
from tui.safe import clean_block, clean_line
from tui.screens.base import ComptoirScreen
from tui.screens.composer_dialogs import ConflictDialog
from tui.screens.confirm import ConfirmDialog
from tui.screens.kept import KeptScreen
from tui.widgets.alert_bar import AlertBar
from tui.widgets.attach_field import AttachField
from tui.widgets.composer_text import ComposerText
from tui.widgets.key_footer import KeyFooter
from tui.widgets.saved_reply_panel import SavedReplyPanel
from tui.widgets.top_bar import TopBar

SHORT_TERMINAL = 32
"""Below this many lines the composer's head drops its blank lines (tui/styles/composer.tcss)."""

MODE_TITLES = {"reply": "Reply", "reply-all": "Reply to all", "note": "Internal note"}
DRAFT_SAVE_SECONDS = 1.0
"""Quiet time after the last key before the draft is saved."""


@dataclass
class ReplyAnswered(Message):
    """The service answered a send; on refusal, the conversation as it is now (to show what changed)."""

    result: ActionResult
    current: ConversationDetail | None


@dataclass
class SavedRepliesLoaded(Message):
    replies: dict[str, str]


def split_addresses(value: str) -> list[str]:
    """'a@x, b@y; c@z' -> ['a@x', 'b@y', 'c@z']."""
    return [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]


def quoted(detail: ConversationDetail, zone=None) -> str:
    """The newest inbound message, quoted mail-style."""
    inbound = [m for m in detail.messages if m.direction == "inbound"]
    if not inbound:
        return ""
    last = inbound[-1]
    when = full_time(last.sent_at or last.received_at, zone)
    lines = clean_block(last.text).strip("\n").splitlines()
    return f"On {when}, {clean_line(last.from_name or last.from_addr)} wrote:\n" + "\n".join(
        f"> {line}" for line in lines
    )


def signature_preview(block: str) -> Text:
    """What core will append to the reply (ConversationDetail.reply_signature), on one line."""
    if not block:
        return Text("No signature: the reply ends with your text.", style="dim")
    text = Text("Added when sent:  ", style="dim")
    text.append(" / ".join(line.rstrip() for line in clean_block(block).splitlines() if line.strip()), style="italic")
    return text


class ComposerScreen(KeptScreen, ComptoirScreen[None]):
    """Write a reply or a note for one conversation."""

    BINDINGS = keys.bindings("composer")
    AUTO_FOCUS = "#composer-body"
    """Focus the text from the start: Textual would focus the first field (To), and moving it to the
    text in on_mount restyled both and their containers, on every `r`."""

    def __init__(self, detail: ConversationDetail, mode: str, draft: DraftView | None = None) -> None:
        super().__init__()
        self._take(detail, mode, draft)
        self._save_timer = None
        self._draft_lock = threading.Lock()
        """One draft write at a time, and none across a send (it would bring the sent text back)."""
        self._draft_seq = 0
        self.is_open = False
        """On screen for a conversation (from `_start` to `_close`), dialogs over it included."""

    def _take(self, detail: ConversationDetail, mode: str, draft: DraftView | None) -> None:
        """The conversation this composer is for, and the flags of a composer that has sent nothing."""
        self.detail = detail
        self.mode = mode
        self.draft = draft
        self.seen_version = detail.row.version
        self.seen_message_ids = {m.id for m in detail.messages}
        self.confirmed_recipients = False
        self.sending = False
        self.finished = False
        """Sent or dropped: nothing more is saved."""
        self._saved: tuple[str, list[str], list[str]] | None = None

    @classmethod
    def opening(
        cls, app: ComptoirApp, detail: ConversationDetail, mode: str, draft: DraftView | None
    ) -> ComposerScreen:
        """The composer to push: the kept one for replies (or the one for notes), filled again when free."""
        return cls.kept(app, detail, mode, draft, name=f"composer-{'note' if mode == 'note' else 'reply'}")

    def reusable(self) -> bool:
        return not self.is_open

    def load(self, detail: ConversationDetail, mode: str, draft: DraftView | None) -> None:
        """Show this conversation in the kept composer, as a new one would: every field, the text and
        its undo history, the files and the flags as `__init__` and `compose` leave them."""
        self._take(detail, mode, draft)
        self._draft_seq += 1  # a save still queued for the last conversation is superseded
        with self.prevent(TextArea.Changed, Input.Changed):
            self.query_one("#composer-title", Static).update(self._title())
            if self.is_note:
                self.query_one("#composer-note-hint", Static).update(self._note_hint())
            else:
                self.query_one("#composer-from", Static).update(Text(f"From  {clean_line(detail.reply_from)}"))
                self.query_one("#composer-to", Input).value = self._to_value()
                self.query_one("#composer-cc", Input).value = self._cc_value()
                self.query_one("#composer-bcc", Input).value = ""
                self.query_one("#composer-subject", Input).value = self._reply_subject()
                files = self.query_one(AttachField)
                files.clear()
                files.limit_mb = self.app.service.config.workspace.attachment_limit_mb  # a reloaded config's
                self.query_one("#composer-signature", Static).update(signature_preview(detail.reply_signature))
            self.query_one("#composer-others", Static).update(Text(""))
            body = self.query_one("#composer-body", TextArea)
            body.load_text(self._start_text())
            body.scroll_home(animate=False)
        for panel in self.query(SavedReplyPanel):
            panel.display = False

    @property
    def draft_kind(self) -> str:
        return "note" if self.is_note else "reply"

    @property
    def is_note(self) -> bool:
        return self.mode == "note"

    def compose(self) -> ComposeResult:
        yield TopBar(id="top-bar")
        yield AlertBar(id="alert-bar")
        with Vertical(id="composer-head"):
            yield Static(self._title(), id="composer-title")
            if self.is_note:
                yield Static(self._note_hint(), id="composer-note-hint")
            else:
                yield Static(Text(f"From  {clean_line(self.detail.reply_from)}"), id="composer-from")
                with Horizontal(classes="composer-field"):
                    yield Label("To", classes="composer-label")
                    yield Input(self._to_value(), id="composer-to")
                with Horizontal(classes="composer-field"):
                    yield Label("Cc", classes="composer-label")
                    yield Input(self._cc_value(), id="composer-cc")
                yield from self._outgoing_fields()
                yield Static(Text(""), id="composer-audience")
            yield Static(Text(""), id="composer-others")
        yield ComposerText(self._start_text(), id="composer-body", soft_wrap=True, show_line_numbers=False)
        if not self.is_note:
            yield Static(signature_preview(self.detail.reply_signature), id="composer-signature")
        with Horizontal(id="composer-buttons", classes="dialog-buttons"):
            yield Button("Send (ctrl+s)", id="send", variant="success")
            yield Button("$EDITOR (ctrl+o)", id="editor")
            yield Button("Saved reply (ctrl+t)", id="saved")
            yield Button("Cancel (ctrl+g)", id="cancel-compose")
        yield KeyFooter()

    def _title(self) -> Text:
        title = Text(f"{MODE_TITLES.get(self.mode, self.mode)}: ", style="bold")
        title.append(clean_line(self.detail.row.subject) or "(no subject)")
        if self.draft is not None:
            when = full_time(self.draft.updated_at, self.app.zone)
            title.append(f"  ·  your draft from {when}", style="italic cyan")
        return title

    def _to_value(self) -> str:
        to = self.draft.to if self.draft and self.draft.to else self.detail.reply_to
        return ", ".join(clean_line(a) for a in to)

    def _cc_value(self) -> str:
        cc = self.detail.reply_cc if self.mode == "reply-all" else ()
        if self.draft and self.draft.to:
            cc = self.draft.cc
        return ", ".join(clean_line(a) for a in cc)

    def _start_text(self) -> str:
        return self.draft.body if self.draft else self._initial_body()

    def _outgoing_fields(self) -> ComposeResult:
        """Bcc, an editable subject and files (tui.widgets.attach_field), one line each."""
        with Horizontal(classes="composer-field composer-compact"):
            yield Label("Bcc", classes="composer-label")
            yield Input("", id="composer-bcc", placeholder="blind copies: not shown to the others")
        with Horizontal(classes="composer-field composer-compact"):
            yield Label("Subj", classes="composer-label")
            yield Input(self._reply_subject(), id="composer-subject")
        yield AttachField(
            self.app.service.config.workspace.attachment_limit_mb,
            id="composer-files",
        )

    def _reply_subject(self) -> str:
        subject = " ".join(clean_line(self.detail.row.subject).split())
        return subject if subject.lower().startswith("re:") else f"Re: {subject}"

    def outgoing(self) -> tuple[list[str], str | None, list]:
        """(bcc, subject when edited, paths of the files to attach)."""
        if self.is_note:
            return [], None, []
        subject = self.query_one("#composer-subject", Input).value.strip()
        return (
            split_addresses(self.query_one("#composer-bcc", Input).value),
            subject if subject != self._reply_subject() else None,
            list(self.query_one(AttachField).paths),
        )

    def _note_hint(self) -> Text:
        logins = ", ".join(f"@{a.login}" for a in self.app.service.config.agents)
        text = Text("Only colleagues see a note. Mention someone to alert them: ", style="italic")
        text.append(logins, style="cyan")
        return text

    def _initial_body(self) -> str:
        if self.is_note:
            return ""
        quote = quoted(self.detail, self.app.zone)
        return f"\n\n{quote}" if quote else ""

    def on_mount(self) -> None:
        self._start()

    def started_again(self) -> None:
        self._start()

    def _start(self) -> None:
        """On screen for `self.detail`: say so to the server, show who else replies, focus the text."""
        self.is_open = True
        self.set_class(self.app.size.height < SHORT_TERMINAL, "-short")
        self.app.fill_top_bar(self.query_one(TopBar))
        self.app.refresh_alert_bars()
        self.app.replying_id = self.detail.row.id
        self.app.send_heartbeat()
        self.update_audience()
        self.show_others(self.detail)
        body = self.query_one("#composer-body", TextArea)
        body.focus()
        body.move_cursor((0, 0))
        self._saved = self.draft_state()
        if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
            self.call_after_refresh(self.action_external_editor)

    def on_resize(self) -> None:
        self.set_class(self.size.height < SHORT_TERMINAL, "-short")

    def on_unmount(self) -> None:
        self._close()

    def _close(self) -> None:
        """Off screen (sent, dropped, or the app closing): no more saves, and no longer replying."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self.is_open:
            return
        self.is_open = False
        self.app.replying_id = None
        self.app.send_heartbeat()

    # -- the draft -------------------------------------------------------------------------------
    def draft_state(self) -> tuple[str, list[str], list[str]]:
        to, cc = self.recipients()
        return self.query_one("#composer-body", TextArea).text, to, cc

    def has_text(self) -> bool:
        """Whether anything was written beyond what the composer opened with (the quote)."""
        body = self.query_one("#composer-body", TextArea).text
        return bool(body.strip()) and body.strip() != self._initial_body().strip()

    @on(TextArea.Changed)
    @on(Input.Changed)
    def schedule_draft_save(self) -> None:
        if self.finished or self._saved is None:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_SECONDS, self.save_draft_now)

    def save_draft_now(self, then: Callable[[], object] | None = None) -> None:
        """Save what is typed if it changed (an untouched quote is no draft); `then` runs once it is stored."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        state = self.draft_state()
        if self.finished or (state == self._saved and then is None):
            if then is not None:
                then()
            return
        self._saved = state
        body, to, cc = state
        if not self.has_text():
            body = ""  # removes a draft the agent emptied
        self._draft_seq += 1
        self.write_draft(self._draft_seq, self.detail.row.id, self.draft_kind, body, to, cc, then)

    @work(thread=True, exit_on_error=False, group="draft")
    def write_draft(
        self, seq: int, cid: int, kind: str, body: str, to: list[str], cc: list[str], then: Callable[[], object] | None
    ) -> None:
        # The conversation is the one typed for (the composer may show another one by now).
        with self._draft_lock:
            if seq == self._draft_seq and not self.finished:  # a newer save supersedes this one
                self.app.service.save_draft(cid, kind, body, to, cc)
        if then is not None:
            self.app.call_from_thread(then)

    def discard_draft(self) -> None:
        self.discard_draft_of(self.detail.row.id, self.draft_kind)

    @work(thread=True, exit_on_error=False, group="draft")
    def discard_draft_of(self, cid: int, kind: str) -> None:
        with self._draft_lock:
            self.app.service.discard_draft(cid, kind)

    # -- recipients ------------------------------------------------------------------------------
    def recipients(self) -> tuple[list[str], list[str]]:
        if self.is_note:
            return [], []
        return (
            split_addresses(self.query_one("#composer-to", Input).value),
            split_addresses(self.query_one("#composer-cc", Input).value),
        )

    @on(Input.Changed)
    def update_audience(self) -> None:
        """Say how many will receive it, whether that needs a confirmation, and who else reads it."""
        if self.is_note:
            return
        to, cc = self.recipients()
        limit = self.app.service.config.routing.recipient_limit
        count = len(to) + len(cc) + len(self.outgoing()[0])
        text = Text()
        text.append(plural(count, "recipient"), style="bold")
        if count > limit:
            text.append(f" — more than {limit}: you will be asked to confirm", style="bold yellow")
        customer = (self.detail.row.customer_address or "").lower()
        others = [a for a in to if a.lower() != customer]
        if cc:
            text.append(
                "  ·  CC'd people will read this reply: " + ", ".join(clean_line(a) for a in cc), style="bold yellow"
            )
        elif others:
            text.append(
                "  ·  others will read this reply: " + ", ".join(clean_line(a) for a in others), style="bold yellow"
            )
        else:
            text.append("  ·  private to the customer", style="green")
        self.query_one("#composer-audience", Static).update(text)

    def show_others(self, detail: ConversationDetail) -> None:
        me = self.app.me
        others = [a for a in detail.row.repliers if a != me]
        text = Text()
        if others:
            names = self.app.agent_names
            text.append(
                "✎ " + ", ".join(clean_line(short_name(a, names)) for a in others) + " also replying right now",
                style="bold cyan",
            )
        self.query_one("#composer-others", Static).update(text)

    def workspace_changed(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        if self.detail.row.id in conversation_ids:
            self.check_for_changes()

    @work(thread=True, exit_on_error=False, group="composer-check", exclusive=True)
    def check_for_changes(self) -> None:
        self.post_message(ComposerCheckLoaded(self.app.service.detail(self.detail.row.id)))

    @on(ComposerCheckLoaded)
    def note_changes(self, message: ComposerCheckLoaded) -> None:
        """Who else is replying now, and a warning once the conversation moved on."""
        message.stop()
        detail = message.detail
        if detail.row.id != self.detail.row.id:  # read for the conversation this composer showed before
            return
        self.show_others(detail)
        if detail.row.version != self.seen_version:
            self.query_one("#composer-others", Static).update(
                Text(
                    "⚠ The conversation changed since you opened it; sending will show you what changed.",
                    style="bold red",
                )
            )

    # -- sending ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#send")
    def action_send(self) -> None:
        if self.sending:
            return
        body = self.query_one("#composer-body", TextArea).text
        if not body.strip():
            self.app.notify("Nothing to send: the text is empty.", severity="warning")
            return
        if self.is_note:
            self.sending = True
            self.send_note(body)
            return
        to, cc = self.recipients()
        if not to and not cc:
            self.app.notify("Add at least one recipient.", severity="warning")
            return
        limit = self.app.service.config.routing.recipient_limit
        bcc = self.outgoing()[0]
        if len(to) + len(cc) + len(bcc) > limit and not self.confirmed_recipients:
            question = Text(f"This reply goes to {len(to) + len(cc) + len(bcc)} recipients (more than {limit}):\n\n")
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
        self.sending = True
        if self.app.flow_moves_on(self.detail.row.id):
            self.app.hold_frames()  # until the next conversation shows (the app's report of the send)
        self.send_reply(self.detail.row.id, body, to, cc, self.seen_version, self.confirmed_recipients, self.outgoing())

    @work(thread=True, exit_on_error=False, group="send")
    def send_reply(
        self,
        cid: int,
        body: str,
        to: list[str],
        cc: list[str],
        seen_version: int,
        confirmed: bool,
        outgoing: tuple[list[str], str | None, list],
    ) -> None:
        service = self.app.service
        bcc, subject, paths = outgoing

        def send() -> ActionResult:
            # Read here, as the agent: the agent's own permissions decide what may be attached.
            files = service.read_attachments([str(p) for p in paths]) if paths else []
            return service.reply(
                cid,
                body,
                to,
                cc,
                seen_version=seen_version,
                confirmed_recipients=confirmed,
                subject=subject,
                bcc=bcc,
                attachments=files,
            )

        with self._draft_lock:
            result = as_result(send, cid)
            self.finished = result.ok  # the server removed the draft with the send
        current = None if result.ok else service.detail(self.detail.row.id)
        self.post_message(ReplyAnswered(result, current))

    @work(thread=True, exit_on_error=False, group="send")
    def send_note(self, body: str) -> None:
        service, cid = self.app.service, self.detail.row.id
        with self._draft_lock:
            result = as_result(lambda: service.note(cid, body), cid)
            self.finished = result.ok
        self.post_message(ReplyAnswered(result, None))

    @on(ReplyAnswered)
    def answered(self, message: ReplyAnswered) -> None:
        message.stop()
        self.sending = False
        result = message.result
        if result.ok:
            finished = ActionFinished(MODE_TITLES.get(self.mode, "Sent"), result, self.detail.row.id)
            self.dismiss_composer()
            # Reported at once, not posted: flow shows the next conversation in the same frame as the
            # composer goes, instead of drawing the conversation being left in between.
            self.app.report_action(finished)
            return
        self.app.release_frames()
        current = message.current
        if current is not None and current.row.version != self.seen_version:
            self.app.push_screen(
                ConflictDialog(current, self.seen_message_ids, result.message, self._may_send(current)),
                callback=lambda choice: self.after_conflict(current, choice),
            )
            return
        self.app.notify(
            self.app.local_text(result.message), title="Not sent", severity="warning", markup=False, timeout=8
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A send that crashed (the app shows the error) must not leave the composer stuck."""
        if event.worker.group == "send" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.sending = False
            self.app.release_frames()

    def _may_send(self, current: ConversationDetail) -> bool:
        """The service's rule: a reply to a conversation someone else owns is for its owner or a supervisor."""
        me = self.app.me
        me_view = self.app.me_view
        return current.row.owner in (None, me) or (me_view is not None and me_view.role == "supervisor")

    def after_conflict(self, current: ConversationDetail, choice: str | None) -> None:
        """The agent has seen what changed: from now on the reply is based on this version."""
        self.detail = current
        self.seen_version = current.row.version
        self.seen_message_ids = {m.id for m in current.messages}
        self.show_others(current)
        if not self.is_note:  # a transfer can change the team, and so the signature
            self.query_one("#composer-signature", Static).update(signature_preview(current.reply_signature))
        if choice == "resend":
            self.action_send()

    def dismiss_composer(self) -> None:
        self._close()
        self.app.pop_screen()

    # -- cancel, editor, saved replies --------------------------------------------------------------
    @on(Button.Pressed, "#cancel-compose")
    def action_cancel(self) -> None:
        if not self.has_text():
            self.finished = True
            if self.draft is not None:
                self.discard_draft()
            self.dismiss_composer()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.finished = True
                self.discard_draft()
                self.dismiss_composer()

        self.app.push_screen(
            ConfirmDialog(
                "Drop this draft?",
                Text("What you wrote will be lost (its saved draft too)."),
                "Drop it (y)",
                "Keep writing (n)",
                destructive=True,
            ),
            callback=answered,
        )

    @on(Button.Pressed, "#editor")
    def action_external_editor(self) -> None:
        """Edit the body in $VISUAL / $EDITOR (vi when neither is set), the app suspended meanwhile."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        body = self.query_one("#composer-body", TextArea)
        with tempfile.NamedTemporaryFile(
            "w", suffix=".eml.txt", prefix="comptoir-", delete=False, encoding="utf-8"
        ) as draft:
            draft.write(body.text)
            path = Path(draft.name)
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), str(path)], check=False)
            body.text = path.read_text(encoding="utf-8")
            body.move_cursor(body.document.end)  # typing goes on after what was written, not in front of it
        except Exception as error:
            self.app.notify(f"Cannot open {editor}: {error}. Write here instead.", severity="warning", markup=False)
        finally:
            path.unlink(missing_ok=True)
        body.focus()

    @on(Button.Pressed, "#saved")
    async def action_saved_reply(self) -> None:
        """The team's saved replies come from the workspace config the app already holds (reloaded with
        it), so the picker opens without a round trip; a conversation without a team asks the service."""
        team = self.detail.row.team
        if team:
            found = self.app.service.config.team(team)
            await self.choose_saved_reply(SavedRepliesLoaded(dict(found.saved_replies) if found else {}))
            return
        self.load_saved_replies()

    @work(thread=True, exit_on_error=False, group="saved-replies", exclusive=True)
    def load_saved_replies(self) -> None:
        self.post_message(SavedRepliesLoaded(self.app.service.saved_replies(self.detail.row.id)))

    @on(SavedRepliesLoaded)
    async def choose_saved_reply(self, message: SavedRepliesLoaded) -> None:
        message.stop()
        if not message.replies:
            self.app.notify(
                "This team has no saved replies (add them under [teams] saved_replies).",
                severity="warning",
                markup=False,
            )
            return

        panel = await self.saved_panel()
        body = self.query_one("#composer-body", TextArea).region
        # Over the text box: it covers the text, never the fields or the buttons (a longer list scrolls).
        panel.styles.offset = (body.x + 2, body.y)
        panel.styles.width = max(20, body.width - 4)
        panel.styles.max_height = max(4, min(12, body.height))
        panel.show(message.replies)

    async def saved_panel(self) -> SavedReplyPanel:
        """The picker, mounted on the first ctrl+t (most replies never open it, so `r` does not pay for it)."""
        found = self.query(SavedReplyPanel)
        if found:
            return found.first()
        panel = SavedReplyPanel(id="saved-panel")
        await self.mount(panel)
        return panel

    @on(SavedReplyPanel.Chosen)
    def insert_saved_reply(self, message: SavedReplyPanel.Chosen) -> None:
        message.stop()
        self.close_saved_panel()
        self.query_one("#composer-body", TextArea).insert(message.body)

    @on(SavedReplyPanel.Closed)
    def close_saved_panel(self) -> None:
        self.query_one(SavedReplyPanel).display = False
        self.query_one("#composer-body", TextArea).focus()
