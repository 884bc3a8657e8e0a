"""The composer's text box: keys typed right after a key bound on the screen (ctrl+g, ctrl+s, ctrl+t,
ctrl+o, ctrl+q) wait for that key's action instead of landing in the text.

Textual forwards each key to the focused widget and looks a non-priority binding up only once the key
has bubbled back to the app; keys typed in the same instant are forwarded meanwhile. So "ctrl+g y"
(drop this draft? yes) put a "y" into the draft and left the question open, and "ctrl+t Enter" a new
line. The composer's keys are not priority bindings on purpose (text typed before ctrl+s must reach
the text first), so the text box itself sees a bound key go by and hands the keys after it to the app,
which delivers them once the action has run (ComptoirApp.binding_passing / key_after_binding).
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea


class ComposerText(TextArea):
    def _bound_above(self, event: events.Key) -> bool:
        """A key with no text of its own that the screen (or the app) binds, not this box."""
        if event.is_printable:
            return False
        found = self.screen.active_bindings.get(event.key)
        return found is not None and found.node is not self

    async def _on_key(self, event: events.Key) -> None:
        app = self.app
        if app.key_after_binding(event):  # type: ignore[attr-defined]  # ComptoirApp
            event.stop()
            event.prevent_default()
            return
        if self._bound_above(event):
            app.binding_passing(event.key)  # type: ignore[attr-defined]
        await super()._on_key(event)
