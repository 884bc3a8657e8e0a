"""The footer: the screen's most important keys, as many whole ones as the width holds.

Textual's own footer lays every key out in a row and cuts the last one mid-word ("n No action nee");
this one orders them by keys.FOOTER_ORDER and leaves out those that do not fit, whole.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui import keys

PALETTE_EXTRA = 2
"""The command palette key's left border and right padding."""


def key_width(key: FooterKey) -> int:
    """Cells one key takes: ' k ' then 'Description '."""
    return cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0)


def fitting(candidates: list[FooterKey], room: int) -> list[FooterKey]:
    """The most important keys that fit in `room` cells, most important first."""
    shown = []
    for key in sorted(candidates, key=lambda k: keys.footer_rank(k.action)):
        width = key_width(key)
        if width > room:
            break
        shown.append(key)
        room -= width
    return shown


class KeyFooter(Footer):
    """A footer that never cuts a key's words."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out_width = 0
        self._shown_signature: tuple | None = None
        """What the last layout showed: screens refresh their bindings on every focus or data change, and
        rebuilding identical keys cost a third of the app's CPU per conversation worked."""

    def _signature(self, screen) -> tuple:
        shown = tuple(
            (binding.key, binding.description, binding.action, enabled)
            for (_node, binding, enabled, _tooltip) in screen.active_bindings.values()
            if binding.show
        )
        return shown, self.size.width or self.app.size.width

    def bindings_changed(self, screen) -> None:
        if self._bindings_ready and self.is_attached and screen is self.screen:
            signature = self._signature(screen)
            if signature == self._shown_signature:
                return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown_signature = self._signature(self.screen)
        widgets = list(super().compose())
        palette = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        candidates = [w for w in widgets if isinstance(w, FooterKey) and w not in palette]
        for key in candidates:
            # A FooterKey starts compact; these are bound to the footer's (not compact) once mounted: two
            # class changes, each a style pass over the key, for every key each time the footer is
            # composed (a fifth of the app's CPU to its first screen). Set before mounting: none. (The
            # palette's key is not bound: it stays compact, as Textual draws it.)
            key.set_reactive(FooterKey.compact, self.compact)
        width = self.size.width or self.app.size.width
        self._laid_out_width = width
        room = width - sum(key_width(k) + PALETTE_EXTRA for k in palette)
        if room < 0:
            room, palette = width, []
        yield from fitting(candidates, room)
        yield from palette

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
