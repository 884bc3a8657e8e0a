"""Screens the app builds once and fills again for the next conversation: the composer (`r`) and the
no-action dialog (`n`), the screens an agent opens for nearly every conversation of a queue.

A new Textual screen costs far more than what it shows: its widgets are composed and mounted, styled,
styled again when it is pushed, sized by a Resize that lays out the screen beneath it too (a dialog's
background), then laid out and drawn in full. On the 2-core server that was 60-150 ms of CPU per `r` or
`n` (issue 13's flow bench). A kept screen is installed in the app under a name, so Textual does not
destroy it when it is popped; the next time, `load` puts the new conversation in its widgets and the
push costs a redraw.

Textual restyles every widget of a screen it pushes (ScreenResume.refresh_styles). A kept screen's
styles were computed when it was built, and only its text changes between uses, so it asks Textual
not to, unless the app's theme changed meanwhile.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from textual.events import ScreenResume

from tui.app import ComptoirApp


class KeptScreen:
    """Mixed into a Comptoir screen (ComptoirScreen or ComptoirModal) that the app keeps between uses.

    Subclasses set KEPT_NAME, implement `reusable` and `load`, and may override `started_again`."""

    KEPT_NAME: ClassVar[str] = ""
    _loaded_again = False
    """Filled again by `load`: the next ScreenResume is this use's start (a dialog closing over the
    screen also resumes it)."""
    _styled_theme = ""

    @classmethod
    def kept(cls, app: ComptoirApp, *args: Any, name: str = "") -> Self:
        """The screen to push for these arguments: the kept one, filled again, when it is free; else a
        new one, kept for next time when none is kept yet."""
        name = name or cls.KEPT_NAME
        if not app.is_screen_installed(name):
            fresh = cls(*args)
            app.install_screen(fresh, name)  # type: ignore[arg-type]  # mixed into Screen subclasses only
            return fresh
        screen = app.get_screen(name)
        if isinstance(screen, cls) and screen.is_mounted and screen not in app.screen_stack and screen.reusable():
            screen.load(*args)
            screen._loaded_again = True
            screen.ready = False
            return screen
        return cls(*args)  # the kept one is in use, or cannot show this: a screen of its own, not kept

    # What the screen class provides (Textual's Screen and tui.screens.base.ScreenHooks).
    app: ComptoirApp
    is_mounted: bool
    ready: bool

    def reusable(self) -> bool:
        """Whether this kept screen may be filled again now (not still busy with its last use)."""
        return True

    def load(self, *args: Any) -> None:
        """Show these arguments, as a new screen built with them would."""
        raise NotImplementedError

    def started_again(self) -> None:
        """Pushed again after `load` (what on_mount does for a new one)."""

    def on_mount(self) -> None:
        self._styled_theme = self.app.theme

    def on_screen_resume(self, event: ScreenResume) -> None:
        if not self._loaded_again:
            return
        self._loaded_again = False
        event.refresh_styles = self.app.theme != self._styled_theme
        self._styled_theme = self.app.theme
        self.started_again()
        self.app.call_later(self.app.screen_ready, self)  # keys typed while it opened (ComptoirScreen.on_mount)
