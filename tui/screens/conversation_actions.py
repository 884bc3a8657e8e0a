"""The conversation actions (claim, reply, assign, ...) shared by the list screen and the conversation screen.

A screen mixes this in and says which conversation the actions apply to; each action hands the
service call to the app's action worker or opens the dialog that gathers what the call needs.
When the screen has marked conversations (the list: space, T), claim, assign, no action, done, tag
and snooze apply to all of them instead, after a confirmation naming the count (tui.screens.bulk).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from core.work.views import ConversationDetail, ConversationRow
from tui.formatting import short_name
from tui.safe import clean_line
from tui.screens.base import ComptoirScreen
from tui.screens.outbound_actions import OutboundActions


class ConversationActions(OutboundActions, ComptoirScreen[None]):
    """A screen whose `action_*` methods run every 'conversation' action of the key registry."""

    def current_conversation_id(self) -> int | None:
        raise NotImplementedError

    def current_row(self) -> ConversationRow | None:
        raise NotImplementedError

    def marked_ids(self) -> list[int]:
        """Conversations marked for a bulk action (none on screens without marks)."""
        return []

    def _bulk(self, action: str) -> list[int]:
        """The marked conversations when the next action is a bulk one, else []."""
        if self.defer_until_loaded(action):
            return []
        return self.marked_ids()

    def defer_until_loaded(self, action: str) -> bool:
        """Screens whose list is still loading keep the key for later (type-ahead) and return True."""
        return False

    def _target(self, action: str = "") -> int | None:
        if action and self.defer_until_loaded(action):
            return None
        conversation_id = self.current_conversation_id()
        if conversation_id is None:
            self.app.notify("No conversation selected.", severity="warning")
        return conversation_id

    def ownership_refusal(self, action: str) -> str | None:
        """Why claim or take back makes no sense on the current row (None when it does)."""
        row = self.current_row()
        if row is None:
            return None
        me = self.app.me
        if action == "claim" and row.owner == me:
            return f"Conversation #{row.id} is yours already."
        if action == "take_back" and row.owner is None:
            return f"Nobody owns conversation #{row.id}: press c to claim it."
        if action == "take_back" and row.owner == me:
            return f"Conversation #{row.id} is yours already."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Claim and take back are not offered (footer, keys) where they make no sense."""
        return not (action in ("claim", "take_back") and self.ownership_refusal(action) is not None)

    def _owned_target(self, action: str) -> int | None:
        # Reached from the command palette even when the footer hides the key: say why nothing happens.
        if (cid := self._target(action)) is None:
            return None
        refusal = self.ownership_refusal(action)
        if refusal is not None:
            self.app.notify(refusal, severity="warning")
            return None
        return cid

    def action_claim(self) -> None:
        if marked := self._bulk("claim"):
            self.app.act_many("Claim", marked, lambda s, c: s.claim(c))
            return
        if (cid := self._owned_target("claim")) is not None:
            self.app.act("Claim", cid, lambda s: s.claim(cid))

    def action_release(self) -> None:
        if (cid := self._target("release")) is not None:
            self.app.act("Release", cid, lambda s: s.release(cid))

    def action_take_back(self) -> None:
        """Taking a colleague's conversation changes their work: ask first, naming them."""
        from tui.screens.confirm import ConfirmDialog

        if (cid := self._owned_target("take_back")) is None:
            return
        row = self.current_row()
        owner = short_name(row.owner, self.app.agent_names) if row and row.owner else "its owner"
        body = Text("")
        body.append(clean_line(owner), style="bold")
        body.append(" owns ")
        body.append(self._described(row, cid))
        body.append(
            f". It becomes yours and {clean_line(owner)} is told you took it. "
            f"{self.app.undo_key()} undoes it for 10\u00a0s."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.act("Take back", cid, lambda s: s.take_back(cid))

        self.app.push_screen(
            ConfirmDialog(
                f"Take it back from {clean_line(owner)}?", body, "Take it (y)", "Leave it (n)", destructive=True
            ),
            callback=answered,
        )

    @staticmethod
    def _described(row: ConversationRow | None, cid: int) -> Text:
        text = Text(f"#{cid}")
        if row is not None and not row.hidden and row.subject:
            text.append(" \u201c" + clean_line(row.subject)[:60] + "\u201d")
        return text

    def action_done(self) -> None:
        if marked := self._bulk("done"):
            self.app.act_many("Done", marked, lambda s, c: s.done(c))
            return
        if (cid := self._target("done")) is not None:
            self.app.act("Done", cid, lambda s: s.done(cid))

    def action_reopen(self) -> None:
        if (cid := self._target("reopen")) is not None:
            self.app.act("Reopen", cid, lambda s: s.reopen(cid))

    def action_toggle_confidential(self) -> None:
        # Through _target first, like every action: while a queue loads, the key waits for its rows.
        if self._target("toggle_confidential") is None or (row := self.current_row()) is None:
            return
        from tui.screens.confirm import ConfirmDialog

        wanted = not row.confidential
        body = self._described(row, row.id)
        if wanted:
            title = "Make it confidential?"
            team = f", team {clean_line(row.team)}" if row.team else ""
            body.append(
                f": only its owner{team} and supervisors will be able to open it; everyone else sees "
                "only that it exists."
            )
        else:
            title = "Make it readable again?"
            body.append(": everyone who may see its queue will read it again.")
        body.append(f" {self.app.undo_key()} undoes it for 10\u00a0s.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.act("Confidential", row.id, lambda s: s.set_confidential(row.id, wanted))

        self.app.push_screen(ConfirmDialog(title, body, "Yes (y)", "No (n)", destructive=True), callback=answered)

    def shown_detail(self, conversation_id: int) -> ConversationDetail | None:
        """The conversation's detail when this screen already shows it (the composer then opens without
        fetching it again); None where only its row is shown."""
        return None

    def action_reply(self) -> None:
        if (cid := self._target("reply")) is not None:
            self.app.start_compose(cid, "reply", self.shown_detail(cid))

    def action_reply_all(self) -> None:
        if (cid := self._target("reply_all")) is not None:
            self.app.start_compose(cid, "reply-all", self.shown_detail(cid))

    def action_note(self) -> None:
        if (cid := self._target("note")) is not None:
            self.app.start_compose(cid, "note", self.shown_detail(cid))

    def action_no_action(self) -> None:
        if marked := self._bulk("no_action"):
            from tui.screens.bulk import BulkReasonDialog

            def chosen(reason: str | None) -> None:
                if reason:
                    self.app.act_many(
                        "No action needed",
                        marked,
                        lambda s, c: s.dispose_pending(c, reason),
                        what=f"reason \u201c{reason}\u201d",
                    )

            self.app.push_screen(BulkReasonDialog(f"No action needed: {len(marked)} marked"), callback=chosen)
            return
        if (cid := self._target("no_action")) is not None:
            self.app.start_dispose(cid)

    def action_customer(self) -> None:
        from tui.screens.customer import CustomerScreen

        if (cid := self._target("customer")) is None:
            return

        def chosen(conversation_id: int | None) -> None:
            if conversation_id is not None and conversation_id != cid:
                self.app.open_conversation(conversation_id)

        self.app.push_screen(CustomerScreen(cid), callback=chosen)

    def action_request(self) -> None:
        if (cid := self._target("request")) is not None:
            self.app.start_request(cid)

    def action_why(self) -> None:
        from tui.screens.why import WhyScreen

        if (cid := self._target("why")) is not None:
            self.app.push_screen(WhyScreen(cid))

    def action_assign(self) -> None:
        from tui.screens.assign import AssignScreen

        if marked := self._bulk("assign"):
            from tui.screens.bulk import BulkAssignScreen

            self.app.push_screen(BulkAssignScreen(marked))
            return
        if (cid := self._target("assign")) is not None:
            self.app.push_screen(AssignScreen(cid, self.current_row()))

    def action_snooze(self) -> None:
        from tui.screens.dialogs import SnoozeDialog

        if marked := self._bulk("snooze"):

            def chosen_for_all(until: datetime | None) -> None:
                if until is not None:
                    self.app.act_many("Snooze", marked, lambda s, c: s.snooze(c, until))

            self.app.push_screen(SnoozeDialog(self.app.now(), self.app.zone), callback=chosen_for_all)
            return
        cid = self._target("snooze")
        if cid is None:
            return

        def chosen(until: datetime | None) -> None:
            if until is not None:
                self.app.act("Snooze", cid, lambda s: s.snooze(cid, until))

        self.app.push_screen(SnoozeDialog(self.app.now(), self.app.zone), callback=chosen)

    def rows_for(self, conversation_ids: list[int]) -> list[ConversationRow]:
        """Rows the screen already holds for these conversations (the tag picker shows their tags)."""
        row = self.current_row()
        return [row] if row is not None and row.id in conversation_ids else []

    def action_tag(self) -> None:
        from tui.screens.bulk import TagDialog

        marked = self._bulk("tag")
        if not marked and (self._target("tag") is None or (row := self.current_row()) is None):
            return
        ids = marked or [row.id]
        tags = self.app.service.config.tags

        def chosen(change: tuple[tuple[str, ...], tuple[str, ...]] | None) -> None:
            if not change:
                return
            add, remove = change
            verb = f"Tag +{add[0]}" if add else f"Tag -{remove[0]}"
            if marked:
                self.app.act_many(verb, ids, lambda s, c: s.set_tags(c, add, remove))
            else:
                self.app.act(verb, ids[0], lambda s: s.set_tags(ids[0], add, remove))

        self.app.push_screen(TagDialog(tags, self.rows_for(ids), len(ids)), callback=chosen)
