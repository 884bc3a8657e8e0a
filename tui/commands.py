"""The command palette provider: every action of the registry that the current screen can run."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from tui import keys


class ActionsProvider(Provider):
    """Lists the registry's actions with their keys; running one runs the action on its screen or the app."""

    def _available(self) -> list[tuple[keys.ActionSpec, DOMNode]]:
        """(spec, the node whose action_* method runs it) for the screen the palette was opened on."""
        screen = self.screen
        targets: list[tuple[keys.ActionSpec, DOMNode]] = []
        for spec in keys.ACTIONS:
            if not spec.palette:
                continue
            method = f"action_{spec.action.partition('(')[0]}"
            if spec.scope == "list":
                lists = screen.query("ConversationList")
                if lists and hasattr(lists.first(), method):
                    targets.append((spec, lists.first()))
            elif spec.scope == "app":
                if hasattr(self.app, method):
                    targets.append((spec, self.app))
            elif hasattr(screen, method):
                targets.append((spec, screen))
        return targets

    def _title(self, spec: keys.ActionSpec) -> str:
        from tui.app import ComptoirApp

        keymap = self.app.keymap if isinstance(self.app, ComptoirApp) else {}
        return f"{spec.description}  ({keys.key_label(keys.effective_key(spec, keymap))})"

    async def _run(self, spec: keys.ActionSpec, target: DOMNode) -> None:
        await self.app.run_action(spec.action, target)

    async def discover(self) -> Hits:
        for spec, target in self._available():
            yield DiscoveryHit(self._title(spec), partial(self._run, spec, target), help=spec.group)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec, target in self._available():
            title = self._title(spec)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, spec, target), help=spec.group)
