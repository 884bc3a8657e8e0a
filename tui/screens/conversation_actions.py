"""The conversation actions (claim, reply, assign, ...) shared by the list screen and the conversation screen.

A screen mixes this in and says which conversation the actions apply to; each action hands the
service call to the app's action worker or opens the dialog that gathers what the call needs.
"""

from __future__ import annotations

from datetime import datetime

from core.work.views import ConversationRow


class ConversationActions:
    """Mixin for screens: `action_*` methods for every 'conversation' action of the key registry."""

    def current_conversation_id(self) -> int | None:
        raise NotImplementedError

    def current_row(self) -> ConversationRow | None:
        raise NotImplementedError

    def defer_until_loaded(self, action: str) -> bool:
        """Screens whose list is still loading keep the key for later (type-ahead) and return True."""
        return False

    def _target(self, action: str = "") -> int | None:
        if action and self.defer_until_loaded(action):
            return None
        conversation_id = self.current_conversation_id()
        if conversation_id is None:
            self.app.notify("No conversation selected.", severity="warning")  # type: ignore[attr-defined]
        return conversation_id

    def ownership_refusal(self, action: str) -> str | None:
        """Why claim or take back makes no sense on the current row (None when it does)."""
        row = self.current_row()
        if row is None:
            return None
        me = self.app.me  # type: ignore[attr-defined]
        if action == "claim" and row.owner == me:
            return f"Conversation #{row.id} is yours already."
        if action == "take_back" and row.owner is None:
            return f"Nobody owns conversation #{row.id}: press c to claim it."
        if action == "take_back" and row.owner == me:
            return f"Conversation #{row.id} is yours already."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Claim and take back are not offered (footer, keys) where they make no sense."""
        if action in ("claim", "take_back") and self.ownership_refusal(action) is not None:
            return False
        return True

    def _owned_target(self, action: str) -> int | None:
        # Reached from the command palette even when the footer hides the key: say why nothing happens.
        if (cid := self._target(action)) is None:
            return None
        refusal = self.ownership_refusal(action)
        if refusal is not None:
            self.app.notify(refusal, severity="warning")  # type: ignore[attr-defined]
            return None
        return cid

    def action_claim(self) -> None:
        if (cid := self._owned_target("claim")) is not None:
            self.app.act("Claim", cid, lambda s: s.claim(cid))  # type: ignore[attr-defined]

    def action_release(self) -> None:
        if (cid := self._target("release")) is not None:
            self.app.act("Release", cid, lambda s: s.release(cid))  # type: ignore[attr-defined]

    def action_take_back(self) -> None:
        if (cid := self._owned_target("take_back")) is not None:
            self.app.act("Take back", cid, lambda s: s.take_back(cid))  # type: ignore[attr-defined]

    def action_done(self) -> None:
        if (cid := self._target("done")) is not None:
            self.app.act("Done", cid, lambda s: s.done(cid))  # type: ignore[attr-defined]

    def action_reopen(self) -> None:
        if (cid := self._target("reopen")) is not None:
            self.app.act("Reopen", cid, lambda s: s.reopen(cid))  # type: ignore[attr-defined]

    def action_toggle_confidential(self) -> None:
        # Through _target first, like every action: while a queue loads, the key waits for its rows.
        if self._target("toggle_confidential") is None or (row := self.current_row()) is None:
            return
        wanted = not row.confidential
        self.app.act("Confidential", row.id, lambda s: s.set_confidential(row.id, wanted))  # type: ignore[attr-defined]

    def action_reply(self) -> None:
        if (cid := self._target("reply")) is not None:
            self.app.start_compose(cid, "reply")  # type: ignore[attr-defined]

    def action_reply_all(self) -> None:
        if (cid := self._target("reply_all")) is not None:
            self.app.start_compose(cid, "reply-all")  # type: ignore[attr-defined]

    def action_note(self) -> None:
        if (cid := self._target("note")) is not None:
            self.app.start_compose(cid, "note")  # type: ignore[attr-defined]

    def action_no_action(self) -> None:
        if (cid := self._target("no_action")) is not None:
            self.app.start_dispose(cid)  # type: ignore[attr-defined]

    def action_customer(self) -> None:
        from tui.screens.customer import CustomerScreen

        if (cid := self._target("customer")) is None:
            return

        def chosen(conversation_id: int | None) -> None:
            if conversation_id is not None and conversation_id != cid:
                self.app.open_conversation(conversation_id)  # type: ignore[attr-defined]

        self.app.push_screen(CustomerScreen(cid), callback=chosen)  # type: ignore[attr-defined]

    def action_request(self) -> None:
        if (cid := self._target("request")) is not None:
            self.app.start_request(cid)  # type: ignore[attr-defined]

    def action_why(self) -> None:
        from tui.screens.why import WhyScreen

        if (cid := self._target("why")) is not None:
            self.app.push_screen(WhyScreen(cid))  # type: ignore[attr-defined]

    def action_assign(self) -> None:
        from tui.screens.assign import AssignScreen

        if (cid := self._target("assign")) is not None:
            self.app.push_screen(AssignScreen(cid, self.current_row()))  # type: ignore[attr-defined]

    def action_snooze(self) -> None:
        from tui.screens.dialogs import SnoozeDialog

        cid = self._target("snooze")
        if cid is None:
            return

        def chosen(until: datetime | None) -> None:
            if until is not None:
                self.app.act("Snooze", cid, lambda s: s.snooze(cid, until))  # type: ignore[attr-defined]

        self.app.push_screen(SnoozeDialog(self.app.now(), self.app.zone), callback=chosen)  # type: ignore[attr-defined]
