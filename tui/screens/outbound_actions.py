"""The conversation actions that start mail or reorganise conversations: forward (f), merge (M), split (b),
undo a merge or split from the history (H) and remind me (m). Mixed into ConversationActions.

Each reads what its dialog needs in a thread (never on the event loop), shows the dialog, and hands the
service call to the app's action worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.errors import ComptoirError


class OutboundActions:
    """`action_*` methods for the registry's forward, merge, split, undo-history and remind actions."""

    def _target(self, action: str = "") -> int | None:  # provided by ConversationActions
        raise NotImplementedError

    def _load_then(self, what: str, read: Callable[[Any], Any], then: Callable[[Any], None]) -> None:
        """`read(service)` in a thread, then `then(result)` on the event loop; a refusal becomes a toast."""
        app = self.app

        def work() -> None:
            try:
                value = read(app.service)
            except ComptoirError as error:
                app.call_from_thread(app.notify, str(error), title=what, severity="warning", markup=False)
                return
            app.call_from_thread(then, value)

        app.run_worker(work, thread=True, group="outbound-read", exit_on_error=False, name=what)

    def action_forward(self) -> None:
        from tui.screens.new_mail import NewMailScreen
        from tui.screens.outbound_dialogs import PickMessageDialog

        if (cid := self._target("forward")) is None:
            return
        app = self.app

        def chose(detail) -> None:
            mails = [m for m in detail.messages if m.direction != "note"]
            if detail.hidden or not mails:
                app.notify("Nothing here to forward.", severity="warning")
                return
            if len(mails) == 1:
                app.push_screen(NewMailScreen(detail, mails[0]))
                return

            def picked(message_id: int | None) -> None:
                if message_id:
                    app.push_screen(NewMailScreen(detail, next(m for m in mails if m.id == message_id)))

            app.push_screen(PickMessageDialog("Forward which message?", mails, app.zone), callback=picked)

        self._load_then("Forward", lambda s: s.detail(cid), chose)

    def action_split(self) -> None:
        from tui.screens.outbound_dialogs import PickMessageDialog

        if (cid := self._target("split")) is None:
            return
        app = self.app

        def chose(detail) -> None:
            mails = [m for m in detail.messages if m.direction != "note"]
            if detail.hidden or len(detail.messages) < 2 or not mails:
                app.notify("Only a conversation of two messages or more can be split.", severity="warning")
                return

            def picked(message_id: int | None) -> None:
                if message_id:
                    app.act("Split", cid, lambda s: s.split(message_id))

            app.push_screen(
                PickMessageDialog("Split which message out into its own conversation?", mails, app.zone),
                callback=picked,
            )

        self._load_then("Split", lambda s: s.detail(cid), chose)

    def action_merge(self) -> None:
        from tui.screens.outbound_dialogs import MergeDialog

        if (cid := self._target("merge")) is None:
            return
        app = self.app

        def read(service):
            detail = service.detail(cid)
            address = detail.row.customer_address
            ids = [i for i in service.queue_ids("search", address) if i != cid][:50] if address else []
            same = [r for r in service.rows(ids) if r.customer_address.lower() == address.lower() and r.message_count]
            return detail, same

        def chose(loaded) -> None:
            detail, candidates = loaded

            def picked(source: int | None) -> None:
                if source:
                    app.act("Merge", cid, lambda s: s.merge(source, cid))

            app.push_screen(MergeDialog(detail, candidates), callback=picked)

        self._load_then("Merge", read, chose)

    def action_undo_history(self) -> None:
        from tui.screens.outbound_dialogs import UndoHistoryDialog

        if (cid := self._target("undo_history")) is None:
            return
        app = self.app

        def chose(detail) -> None:
            def picked(event_id: int | None) -> None:
                if event_id:
                    app.act("Undo", cid, lambda s: s.undo_event(event_id))

            app.push_screen(UndoHistoryDialog([e for e in detail.events if e.undo], app.zone), callback=picked)

        self._load_then("Undo", lambda s: s.detail(cid), chose)

    def action_remind(self) -> None:
        from tui.screens.outbound_dialogs import RemindDialog

        if (cid := self._target("remind")) is None:
            return
        app = self.app

        def chosen(answer: tuple[datetime, str] | None) -> None:
            if answer is not None:
                at, text = answer
                app.act("Reminder", cid, lambda s: s.remind(cid, at, text))

        app.push_screen(RemindDialog(app.now(), app.zone), callback=chosen)
