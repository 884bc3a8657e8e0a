"""The contract between the app and its screens: the hooks the app calls, and a typed `self.app`.

Every Comptoir screen derives from ComptoirScreen (full screens) or Dialog's base ComptoirModal
(modal dialogs). The app calls `workspace_changed`, `alerts_changed` and `tick` on every screen
of the stack that implements ScreenHooks, and holds the keys typed while a screen is opening until
the screen says it is `ready` (so type-ahead reaches the screen that will be on top).

Worker state messages do not bubble, so each screen forwards its own workers' failures to the app.
"""

from __future__ import annotations

from typing import TypeVar

from textual import getters
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from core.work.views import AlertView
from tui.app import ComptoirApp

ResultType = TypeVar("ResultType")


class ScreenHooks:
    """What the app calls on every Comptoir screen in its stack; a screen overrides what concerns it."""

    ready = False
    """True once the screen is mounted and has put focus where typing belongs; keys typed before wait."""

    def workspace_changed(self, conversation_ids: frozenset[int], kinds: frozenset[str]) -> None:
        """Something changed (change feed, one of this session's actions, ctrl+l): refresh what is shown."""

    def alerts_changed(self, alerts: list[AlertView]) -> None:
        """The agent's unacknowledged alerts changed."""

    def tick(self) -> None:
        """The minute of the workspace clock changed: times left shown on screen move on."""


def _report_failure(app: ComptoirApp, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR:
        app.report_worker_error(event.worker)


class ComptoirScreen(ScreenHooks, Screen[ResultType]):
    """A full screen of the app."""

    app = getters.app(ComptoirApp)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        _report_failure(self.app, event)

    def on_mount(self) -> None:
        # Runs after the subclass's on_mount (Textual calls handlers down the MRO), whose focus() is
        # applied by the app's call_later: release the held keys after it.
        self.app.call_later(self.app.screen_ready, self)


class ComptoirModal(ScreenHooks, ModalScreen[ResultType]):
    """A dialog over another screen."""

    app = getters.app(ComptoirApp)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        _report_failure(self.app, event)

    def on_mount(self) -> None:
        self.app.call_later(self.app.screen_ready, self)
