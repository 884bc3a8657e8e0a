"""The Comptoir Textual app: owns the service, the change feed, alerts, heartbeats and every service action.

Invariant: service calls run only in thread workers that post messages (tui.messages); the
message handlers here and on screens are the only code that changes widgets. A failing worker
becomes a toast, never an exit. The exceptions read no database: `now()`, `config` and
`queue_titles()`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from core.work.views import ActionResult, AgentView, ClientSettings, ConversationDetail
from core.workspace.preferences import load_preferences, user_zone
from tui import keys
from tui.coalesce import Coalescer
from tui.commands import ActionsProvider
from tui.flow import FLOW_ACTIONS, FlowMark, next_conversation
from tui.formatting import localize, plural
from tui.messages import (
    ActionFinished,
    AlertsLoaded,
    BulkFinished,
    ComposerDetailLoaded,
    DisposeDetailLoaded,
    HealthLoaded,
    MeLoaded,
    PrefetchLoaded,
    RequestDetailLoaded,
    ServiceFailed,
    VacationPreviewed,
    WorkspaceChanged,
)
from tui.outcomes import as_result
from tui.quiet_gc import QuietCollector
from tui.safe import clean_line
from tui.undo import LastAction, remember
from tui.widgets.alert_bar import AlertBar, unseen_actionable
from tui.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from core.server.api import ComptoirService
    from tui.screens.base import ScreenHooks

STYLES = Path(__file__).parent / "styles"
CHANGE_POLL_SECONDS = 30.0
"""The change feed's reader sleeps until a change arrives (or the app stops: it wakes the feed); an
idle app's thread wakes at most this often."""
HEARTBEAT_SECONDS = 30.0
"""Presence counts a session alive for 60 s after its last heartbeat (core.work.listing.PRESENCE_TTL);
a change of what it views or replies to is sent at once."""
FEED_RETRY_SECONDS = 2.0
ECHO_WAIT_SECONDS = 0.5
"""After an action, how long the change feed has to announce it before the app refreshes by itself."""
HOLD_FRAMES_SECONDS = 0.25
"""At most this long without drawing while flow waits for an action's answer (hold_frames)."""


class ComptoirApp(App[None]):
    """One agent's session on a workspace."""

    TITLE = "Comptoir"
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "main.tcss",
        STYLES / "conversation.tcss",
        STYLES / "dialogs.tcss",
        STYLES / "composer.tcss",
        STYLES / "reports.tcss",
    ]
    BINDINGS = keys.bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    """Screens get "-narrow" below 120 columns: the conversation view hides its Why panel, the queues narrow."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    """Screens get "-short" below 36 lines: dialogs use one-line buttons and fields, and shorter lists."""

    def __init__(
        self,
        service: ComptoirService,
        *,
        after_first_screen: Callable[[], Any] | None = None,
        watch_changes: bool = True,
        heartbeat_seconds: float | None = HEARTBEAT_SECONDS,
        driver_class: type | None = None,
        zone: str | None = None,
    ) -> None:
        super().__init__(driver_class=driver_class)
        self.service = service
        self.after_first_screen = after_first_screen
        self._first_screen_shown = False
        self.watch_changes_enabled = watch_changes
        self.heartbeat_seconds = heartbeat_seconds
        self.me = service.agent
        settings = service.settings  # not service.config: its models load after the first screen
        self.agent_names: dict[str, str] = dict(settings.agent_names)
        """Configured names by login: markers say "Ana", not "relf_ana"."""
        self.me_view: AgentView | None = None
        preferences = load_preferences()
        self.keymap: dict[str, str] = {**settings.keymap, **preferences.keymap}
        self.zone = ZoneInfo(zone or user_zone(settings.agent_timezone, settings.workspace_timezone, preferences))
        """The user's zone: every time the app shows, and every instant in a text from core, is in it."""
        self.open_next = preferences.open_next
        """Flow (tui.flow): after a reply, no action or done, the next conversation of the queue opens."""
        self._flow_marks: dict[int, FlowMark] = {}
        self._prefetched: dict[int, Any] = {}
        """The next conversation's detail, read while the agent reads this one, so flow shows it at once.
        Only kept while no change to it (or to everything) has been announced since it was read."""
        self._changes_seen = 0
        """How many WorkspaceChanged this session has handled: a read started before a change is stale."""
        self._changed_at: dict[int, int] = {}
        """The count above when each conversation was last named by a change."""
        self._everything_changed_at = 0
        self._frames_held: Any = None
        """The batch (App.batch_update) holding the screen while flow waits for an answer (hold_frames)."""
        self._frames_timer: Any = None
        self.status: Text | None = None
        """How the last action that went well went, in every screen's title line (notify_action)."""
        self._status_timer: Any = None
        self._feed_live = False
        """The change feed is subscribed and connected: it announces this session's changes too."""
        self._action_started: dict[int, int] = {}
        """Per conversation acted on, the count of changes handled when the action was sent."""
        self._awaiting_echo: dict[int, Any] = {}
        """Timers that refresh by themselves if the change feed does not announce an action in time."""
        self._alerts_loader = Coalescer(self._load_alerts)
        self._me_loader = Coalescer(self._load_me)
        self.saved_views = list(preferences.views)
        """This user's saved searches (preferences.toml [[views]]), shown under the queues."""
        self.tag_colours: dict[str, str] = dict(settings.tag_colours)
        self._shown_minute: datetime | None = None
        self.connection_note = ""
        """'reconnecting…' while the server is away, or the server's failing duties; shown in the title line."""
        self.alerts: list = []
        self.viewing_id: int | None = None
        self.replying_id: int | None = None
        self._known_alert_ids: set[tuple[int, datetime]] | None = None
        self.last_action: LastAction | None = None
        """What z undoes (tui.undo)."""
        self._reopen_after_undo: tuple[int, str] | None = None
        self._held_keys: list[events.Key] = []
        """Keys typed while the screen they are meant for is still opening (see hold_keys)."""
        self._binding_in_flight: str | None = None
        """A key bound on the screen that the composer's text saw go by, not yet handled by the app
        (tui.widgets.composer_text): the keys typed after it wait for its action."""
        self._binding_timer: Any = None
        self._opening: str | None = None
        """What a worker is fetching to open a screen with ('composer', 'no action'): keys wait for it."""
        self._feed: Any = None
        self.quiet_gc = QuietCollector(self)
        """Full garbage collections wait for a pause in typing (tui.quiet_gc)."""
        self.first_page: tuple[list[int], list[Any]] | None = None
        """The first queue's ids and rows, read by the launcher while Textual loaded: the main screen
        draws its first frame with them (tui.launch; None: it reads them itself)."""
        """The change subscription the feed worker waits on; woken when the app stops."""

    # -- lifecycle -------------------------------------------------------------------------
    def on_mount(self) -> None:
        from tui.screens.main import MainScreen

        self.set_keymap(self.keymap)
        self.quiet_gc.start()
        self.push_screen(MainScreen())
        self.load_alerts()
        if self.watch_changes_enabled:
            self.watch_changes()
        if self.heartbeat_seconds:
            self.set_interval(self.heartbeat_seconds, self.send_heartbeat)
        self._schedule_tick()
        self.load_health()

    def on_unmount(self) -> None:
        """The app stops: the feed's reader, asleep in a long poll, must not hold up the exit."""
        self.workers.cancel_group(self, "change-feed")
        self.release_frames()
        self.quiet_gc.stop()
        if self._feed is not None:
            self._feed.wake()

    def first_screen_shown(self) -> None:
        """The main screen shows its first rows: now start what could wait (heartbeat, warm-up, syncer)."""
        if self._first_screen_shown:
            return
        self._first_screen_shown = True
        self.load_me()
        self.send_heartbeat()
        # After the frame with the rows is drawn: loading the ORM takes the interpreter for ~0.5 s.
        self.call_after_refresh(self.warm_up)

    @property
    def settings(self) -> ClientSettings:
        """The config's settings for the first screen, as the service has them now (a reloaded config's)."""
        return self.service.settings

    def now(self) -> datetime:
        """The workspace clock (real or simulated); a clock read, not a database call."""
        return self.service.now()

    def _schedule_tick(self) -> None:
        """Wake at the next minute of the workspace clock (which may run faster than real time), at
        least every 30 s: what is shown changes by the minute, and an idle app should sleep."""
        now = self.now()
        speed = max(float(self.service.clock_speed or 1.0), 0.001)
        until_next_minute = (60 - now.second - now.microsecond / 1e6) / speed
        self.set_timer(min(max(until_next_minute + 0.05, 0.2), 30.0), self._tick_then_schedule)

    def _tick_then_schedule(self) -> None:
        self.tick()
        self.quiet_gc.idle_tick()  # an app nobody types in collects too (at most every 30 s)
        self._schedule_tick()

    def tick(self) -> None:
        """Once a second: the title clock and the lists' 'time left' follow the (possibly simulated) clock;
        both show minutes, so nothing repaints until the minute changes (idle apps cost next to nothing)."""
        now = self.now()
        minute = now.replace(second=0, microsecond=0)
        if minute != self._shown_minute:
            self._shown_minute = minute
            for screen in self.screen_stack:
                for bar in screen.query(TopBar):
                    bar.update_state(now=now)
            for hooks in self._hooked_screens():
                hooks.tick()

    def action_quit(self) -> None:
        """Quit; with a reply or note being written, ask first (its draft is saved either way)."""
        from tui.screens.composer import ComposerScreen
        from tui.screens.confirm import ConfirmDialog

        composer = next(
            (screen for screen in self.screen_stack if isinstance(screen, ComposerScreen) and screen.has_text()), None
        )
        if composer is None or isinstance(self.screen, ConfirmDialog):
            self.exit()
            return
        body = Text(
            f"You are writing {'a note' if composer.is_note else 'a reply'} to #{composer.detail.row.id}. "
            "It is kept as a draft and comes back when you open the composer on it again."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                composer.save_draft_now(then=self.exit)

        self.push_screen(
            ConfirmDialog("Quit Comptoir?", body, "Quit (y)", "Keep writing (n)", destructive=True), callback=answered
        )

    # -- the screens' contract (tui.screens.base) and type-ahead ----------------------------------
    def _hooked_screens(self) -> list[ScreenHooks]:
        from tui.screens.base import ScreenHooks

        return [screen for screen in self.screen_stack if isinstance(screen, ScreenHooks)]

    def hold_keys(self) -> bool:
        """Whether a key typed now must wait: the top screen is still opening, or a worker fetches
        what a screen will open with. Typing then belongs to that screen, never to the one beneath."""
        from tui.screens.base import ScreenHooks

        if self._opening is not None:
            return True
        if not self.screen_stack:
            return False
        screen = self.screen
        return isinstance(screen, ScreenHooks) and not screen.ready

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.quiet_gc.input_seen()
        if isinstance(event, events.Key) and not event.is_forwarded and self.hold_keys():
            self._held_keys.append(event)
            return
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        """A key that bubbled up unused, about to be looked up in the bindings: when it was forwarded
        before the key ahead of it opened a screen (a fast typist), that screen is on top now but not
        ready; the key is held for it instead of firing one of its bindings. (Runs before App._on_key.)"""
        if self._binding_in_flight == event.key:
            # Its binding runs right after this handler (App._on_key); the keys held behind it go once
            # that action has opened what it opens (and moved the focus there).
            self._binding_done()
        if self.hold_keys():
            self._held_keys.append(event)
            event.prevent_default()

    def binding_passing(self, key: str) -> None:
        self._binding_in_flight = key
        if self._binding_timer is not None:
            self._binding_timer.stop()
        self._binding_timer = self.set_timer(0.2, self._binding_done)  # should it not reach the app

    def key_after_binding(self, event: events.Key) -> bool:
        """Hold this key if a bound key ahead of it has not been handled yet."""
        if self._binding_in_flight is None:
            return False
        self._held_keys.append(events.Key(event.key, event.character))
        return True

    def _binding_done(self) -> None:
        """The bound key reached the app (or its 0.2 s passed): the keys held behind it may go."""
        if self._binding_in_flight is None:
            return
        self._binding_in_flight = None
        if self._binding_timer is not None:
            self._binding_timer.stop()
            self._binding_timer = None
        self.call_later(self._release_after_binding)

    def _release_after_binding(self) -> None:
        # One turn later: the action queued its focus change (widget.focus() is a call_later) after
        # this callback, and the held keys belong where the focus goes (the picker, say).
        self.call_later(self._deliver_after_binding)

    async def _deliver_after_binding(self) -> None:
        if self._held_keys and not self.hold_keys():  # else the screen being opened takes them when ready
            await self.screen_ready(self.screen)

    async def screen_ready(self, screen: Screen[Any]) -> None:
        """A screen has mounted and focused its field: give it the keys typed while it opened."""
        from tui.screens.base import ScreenHooks

        if isinstance(screen, ScreenHooks):
            screen.ready = True
        if screen is not self.screen:
            return
        self._opening = None
        held, self._held_keys = self._held_keys, []
        for index, event in enumerate(held):
            if self.hold_keys():  # a held key opened yet another screen: the rest wait for that one
                self._held_keys[:0] = held[index:]
                return
            fresh = events.Key(event.key, event.character)
            if not await self._check_bindings(fresh.key, priority=True):
                (self.focused or self.screen)._forward_event(fresh)

    def _opening_failed(self) -> None:
        """The screen that held keys were meant for will not open (the toast says why): drop them."""
        self._opening = None
        self._held_keys.clear()

    # -- workers: the only code that calls the service -----------------------------------
    @work(thread=True, exit_on_error=False, group="change-feed", exclusive=True)
    def watch_changes(self) -> None:
        """Poll the change feed and post what other sessions (and this one) committed."""
        worker = get_current_worker()
        feed = None
        reported = False
        while not worker.is_cancelled:
            try:
                if feed is None:
                    feed = self._feed = self.service.subscribe()
                    self._feed_live = True
                batch = feed.poll(CHANGE_POLL_SECONDS)
                reported = False
            except Exception as error:
                self._feed_live = False
                if not reported:
                    self.post_message(ServiceFailed("change feed", str(error)))
                    reported = True
                feed = None
                time.sleep(FEED_RETRY_SECONDS)
                continue
            if batch:
                self.post_message(WorkspaceChanged(frozenset(batch.conversation_ids), frozenset(batch.kinds)))
        if feed is not None:
            feed.close()

    def load_alerts(self) -> None:
        """Reload the alerts: now, or once after the reload in flight (tui.coalesce)."""
        self._alerts_loader.request()

    def load_me(self) -> None:
        self._me_loader.request()

    @work(thread=True, exit_on_error=False, group="alerts")
    def _load_alerts(self) -> None:
        self.post_message(AlertsLoaded(self.service.alerts()))

    @work(thread=True, exit_on_error=False, group="me")
    def _load_me(self) -> None:
        self.post_message(MeLoaded(self.service.me()))

    @work(thread=True, exit_on_error=False, group="heartbeat", exclusive=True)
    def _heartbeat(self, viewing: int | None, replying: int | None) -> None:
        self.service.heartbeat(viewing=viewing, replying=replying)

    def send_heartbeat(self) -> None:
        """Tell colleagues this session is alive and what it views or replies to."""
        self._heartbeat(self.viewing_id, self.replying_id)

    def run_service_action(
        self,
        label: str,
        call: Callable[[Any], ActionResult],
        conversation_id: int | None = None,
        undo_ids: list[int] | None = None,
    ) -> None:
        """Run one acting service call; a refusal by the rules comes back as a failed ActionResult."""
        if conversation_id is not None:
            self._action_started[conversation_id] = self._changes_seen
            if label in FLOW_ACTIONS and self.flow_moves_on(conversation_id):
                self.hold_frames()
        self._run_service_action(label, call, conversation_id, undo_ids)

    @work(thread=True, exit_on_error=False, group="actions")
    def _run_service_action(
        self,
        label: str,
        call: Callable[[Any], ActionResult],
        conversation_id: int | None = None,
        undo_ids: list[int] | None = None,
    ) -> None:
        result = as_result(lambda: call(self.service), conversation_id)
        self.post_message(ActionFinished(label, result, conversation_id, tuple(undo_ids or ())))

    @work(thread=True, exit_on_error=False, group="opening")
    def fetch_for_composer(self, conversation_id: int, mode: str, detail: ConversationDetail | None = None) -> None:
        """The saved draft, and the detail unless the conversation view already holds it (one round trip
        instead of two)."""
        if detail is None:
            detail = self.service.detail(conversation_id)
        draft = self.service.draft(conversation_id, "note" if mode == "note" else "reply")
        self.post_message(ComposerDetailLoaded(detail, mode, draft))

    @work(thread=True, exit_on_error=False, group="opening")
    def fetch_for_dispose(self, conversation_id: int) -> None:
        self.post_message(DisposeDetailLoaded(self.service.detail(conversation_id)))

    @work(thread=True, exit_on_error=False, group="vacation")
    def preview_vacation(self) -> None:
        self.post_message(VacationPreviewed(self.service.vacation_preview()))

    @work(thread=True, exit_on_error=False, group="bulk")
    def run_bulk_action(
        self, label: str, conversation_ids: list[int], call: Callable[[Any, int], ActionResult]
    ) -> None:
        """One service call per conversation, each its own transaction on the server: a refusal or an
        error stops nothing else, and every result is reported."""
        results: list[tuple[int, ActionResult]] = []
        for conversation_id in conversation_ids:
            result = as_result(lambda cid=conversation_id: call(self.service, cid), conversation_id)
            results.append((conversation_id, result))
        self.post_message(BulkFinished(label, results))

    @work(thread=True, exit_on_error=False, group="warm-up", exclusive=True)
    def warm_up(self) -> None:
        """Load what actions need, then start the background work, off the event loop."""
        self.service.warm_up()
        if self.after_first_screen is not None:
            self.after_first_screen()

    @work(thread=True, exit_on_error=False, group="health", exclusive=True)
    def load_health(self) -> None:
        """The server's failing duties, if any, for the title line (a fake or in-process service has none)."""
        health = getattr(self.service, "health", None)  # only the workspace server's client has duties
        if health is not None:
            self.post_message(HealthLoaded(health()))

    # -- handlers ----------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._alerts_loader.worker_changed(event)
        self._me_loader.worker_changed(event)
        if event.state == WorkerState.ERROR:
            self.report_worker_error(event.worker)
        if event.worker.group == "opening" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._opening_failed()
        if event.worker.group == "actions" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.release_frames()  # no answer is coming for flow to wait for
        if event.worker.group == "warm-up" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.quiet_gc.soon()

    def report_worker_error(self, worker: Worker) -> None:
        """A service call failed unexpectedly: say so in a toast; the app keeps running."""
        error = worker.error
        self.notify(
            f"{worker.name or worker.group} failed: {type(error).__name__}: {error}",
            title="Something went wrong",
            severity="error",
            markup=False,
            timeout=10,
        )

    @on(ServiceFailed)
    def show_service_failure(self, message: ServiceFailed) -> None:
        self.notify(f"{message.what}: {message.error}", severity="error", markup=False, timeout=8)

    @on(HealthLoaded)
    def show_health(self, message: HealthLoaded) -> None:
        failing = [duty for duty in message.duties if not duty.ok]
        self.connection_note = ("server: " + ", ".join(f"{d.name} failing" for d in failing)) if failing else ""
        self.refresh_top_bars()

    @on(WorkspaceChanged)
    def spread_changes(self, message: WorkspaceChanged) -> None:
        """Every screen in the stack refreshes what it shows; alerts and presence are reloaded."""
        if "disconnected" in message.kinds:
            self._feed_live = False
            self.connection_note = "reconnecting to the workspace server…"
            self.refresh_top_bars()
            return
        if "reconnected" in message.kinds:
            self._feed_live = True
            self.connection_note = ""
            self.refresh_top_bars()
            self.load_health()
        if "server" in message.kinds:
            self.load_health()
        self._changes_seen += 1
        if not message.conversation_ids:
            self._prefetched.clear()
            self._everything_changed_at = self._changes_seen
        for conversation_id in message.conversation_ids:
            self._prefetched.pop(conversation_id, None)
            self._changed_at[conversation_id] = self._changes_seen
        for conversation_id in list(self._awaiting_echo) if not message.conversation_ids else message.conversation_ids:
            timer = self._awaiting_echo.pop(conversation_id, None)
            if timer is not None:  # announced: this refresh is the one the action needed
                timer.stop()
        for screen in self._hooked_screens():
            screen.workspace_changed(message.conversation_ids, message.kinds)
        self.load_alerts()
        # 'me' is this agent's presence: only a presence change, or one naming no conversation, moves it.
        if not message.conversation_ids or "presence" in message.kinds:
            self.load_me()

    @on(AlertsLoaded)
    def show_alerts(self, message: AlertsLoaded) -> None:
        self.alerts = list(message.alerts)
        # An alert raised again in place keeps its id: (id, time) is what is new; notices never ring.
        ids = {(alert.id, alert.created_at) for alert in unseen_actionable(self.alerts)}
        if self._known_alert_ids is not None and ids - self._known_alert_ids and self.settings.bell:
            self.bell()
        self._known_alert_ids = ids | (self._known_alert_ids or set())
        self.refresh_alert_bars()

    def refresh_alert_bars(self) -> None:
        alerts_key = keys.key_label(keys.effective_key(keys.ACTIONS_BY_ID["alerts"], self.keymap))
        for screen in self.screen_stack:
            for bar in screen.query(AlertBar):
                bar.show_alerts(self.alerts, self.now(), alerts_key, self.zone)
        for hooks in self._hooked_screens():
            hooks.alerts_changed(self.alerts)

    @on(MeLoaded)
    def show_me(self, message: MeLoaded) -> None:
        self.me_view = message.me
        self.refresh_top_bars()

    def local_text(self, text: str) -> str:
        """A text from core with the instants it names in the user's zone and format."""
        return localize(text, self.zone, self.now())

    def refresh_top_bars(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(TopBar):
                self.fill_top_bar(bar)

    def fill_top_bar(self, bar: TopBar) -> None:
        """Set a title line's values from the app's state (screens call it when they mount one)."""
        me = self.me_view
        bar.update_state(
            workspace_name=self.settings.workspace_name,
            agent_name=me.name if me else (self.settings.agent_name or self.me),
            presence=me.presence if me else "available",
            now=self.now(),
            zone=self.zone,
            simulated=bool(self.service.clock_simulated),
            note=self.connection_note,
            status=self.status,
        )

    @on(ActionFinished)
    def report_action(self, message: ActionFinished) -> None:
        result = message.result
        text = self.local_text(result.message)
        if not result.ok and result.winner:
            text = f"{result.message} ({result.winner} has it)"
        hint = ""
        if result.ok:
            ids = message.undo_ids or ((result.undo,) if result.undo is not None else ())
            self.last_action = remember(
                message.label, message.conversation_id, ids, self.service.config.workspace.send_delay
            )
            undo_key = self.undo_key()
            if self.last_action.event_ids:
                hint = f"{undo_key}: {'cancel the send' if self.last_action.is_reply else 'undo'}"
        timeout = max(5.0, self.last_action.seconds_left) if result.ok and self.last_action.event_ids else 5.0
        self.notify_action(text, message.label, result.ok, timeout, hint)
        if message.conversation_id is not None and message.label in FLOW_ACTIONS:
            # Before the refresh below, so the finished conversation's screen is not reloaded on the way out.
            mark = self._flow_marks.pop(message.conversation_id, None)
            if result.ok and mark is not None and self.open_next:
                self.move_on(message.conversation_id, mark)
        reopen, self._reopen_after_undo = self._reopen_after_undo, None
        if message.label == "Undo" and result.ok and reopen is not None:
            self.start_compose(*reopen)  # the cancelled reply's text is back in its draft
        self.release_frames()  # flow has shown the next conversation (or nothing moves on): draw
        if self._echo_expected(message):
            return
        changed = frozenset({message.conversation_id}) if message.conversation_id is not None else frozenset()
        self.spread_changes(WorkspaceChanged(changed, frozenset({"action"})))

    def notify_action(self, text: str, title: str, ok: bool, timeout: float, hint: str = "") -> None:
        """Say how an action went. One that went well is said in the title line of every screen, in
        place of the last one's (only the last action can be undone, so an older hint is no longer
        true), with its undo key first so a narrow terminal does not cut it; it goes after `timeout`.
        A toast would cost more than the action: Textual mounts the live toasts again on every screen
        shown (each dialog, each composer, each return), a layout pass and a full redraw each time.
        One that failed is a warning toast, which stays its time."""
        if not ok:
            self.notify(text, title=title, severity="warning", timeout=timeout, markup=False)
            return
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(f"✓ {title}", style="bold")
        if hint:
            status.append(f"  ({hint})", style="bold")
        status.append(f"  {clean_line(text)}")  # may name a subject or an address: mail-derived
        self.status = status
        if self._status_timer is not None:
            self._status_timer.stop()
        self._status_timer = self.set_timer(timeout, self._status_expired)
        self.refresh_top_bars()

    def _status_expired(self) -> None:
        self.status = None
        self._status_timer = None
        self.refresh_top_bars()

    def _echo_expected(self, message: ActionFinished) -> bool:
        """Whether the change feed announces (or already announced) this action, so the app need not
        refresh for it now: the feed pushes every committed change to every subscriber, this session
        included, and refreshing for both cost two rounds of reads. Should the announcement not come
        within ECHO_WAIT_SECONDS (the feed broke meanwhile), the app refreshes by itself."""
        cid = message.conversation_id
        started = self._action_started.pop(cid, None) if cid is not None else None
        if cid is None or started is None or not message.result.ok or not self._feed_live:
            return False
        if self._changed_at.get(cid, 0) > started or self._everything_changed_at > started:
            return True  # announced before the answer came back: that refresh read it
        self._awaiting_echo[cid] = self.set_timer(ECHO_WAIT_SECONDS, lambda: self._echo_missing(cid))
        return True

    def _echo_missing(self, conversation_id: int) -> None:
        if self._awaiting_echo.pop(conversation_id, None) is not None:
            self.spread_changes(WorkspaceChanged(frozenset({conversation_id}), frozenset({"action"})))

    # -- flow: the next conversation of the queue ------------------------------------------------
    def flow_moves_on(self, conversation_id: int) -> bool:
        """Whether a flow action on this conversation that goes well opens the next one."""
        return self.open_next and conversation_id in self._flow_marks

    def hold_frames(self) -> None:
        """Draw nothing until the flow action just started has answered and the next conversation is
        shown (report_action releases), HOLD_FRAMES_SECONDS at most. The screen in between, the
        conversation being left without its dialog or composer, would be drawn, sent to the terminal
        and replaced milliseconds later: a full redraw for nothing, every conversation."""
        if self._frames_held is not None:
            return
        batch = self.batch_update()  # Textual's own way to suspend repaints; released by release_frames
        batch.__enter__()
        self._frames_held = batch
        self._frames_timer = self.set_timer(HOLD_FRAMES_SECONDS, self.release_frames)

    def release_frames(self) -> None:
        if self._frames_timer is not None:
            self._frames_timer.stop()
            self._frames_timer = None
        batch, self._frames_held = self._frames_held, None
        if batch is not None:
            batch.__exit__(None, None, None)

    def main_screen(self):
        from tui.screens.main import MainScreen

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def mark_for_flow(self, conversation_id: int) -> None:
        """An action that may finish this conversation starts: remember what follows it in the list."""
        main = self.main_screen()
        # Opened from elsewhere (an alert, #1234) and not in the list shown: no "next" to go to.
        if main is not None and main.conversation_list.holds(conversation_id):
            following = main.conversation_list.following(conversation_id)
            self._flow_marks[conversation_id] = FlowMark(main.queue, tuple(following))

    def prefetch_next(self, conversation_id: int) -> None:
        """A conversation of the list is on screen: read the one after it now, for flow to show at once."""
        main = self.main_screen()
        if not self.open_next or main is None:
            return
        following = main.conversation_list.following(conversation_id, 1)
        if following and following[0] not in self._prefetched:
            self._prefetch(following[0], self._changes_seen)

    @work(thread=True, exit_on_error=False, group="prefetch", exclusive=True)
    def _prefetch(self, conversation_id: int, changes_seen: int) -> None:
        self.post_message(PrefetchLoaded(self.service.detail(conversation_id), changes_seen))

    def take_prefetched(self, conversation_id: int):
        """The detail read ahead for this conversation, once (None when there is none). No change to it
        has been announced since it was read (spread_changes drops it), so it is as current as a fresh read."""
        return self._prefetched.pop(conversation_id, None)

    def move_on(self, conversation_id: int, mark: FlowMark) -> None:
        """Open the next conversation of the queue where the finished one is on screen (the conversation
        view, or the list with the cursor on it); anywhere else (a dialog, another queue) stay."""
        from tui.screens.conversation import ConversationScreen

        main = self.main_screen()
        if main is None or main.queue != mark.queue:
            return
        listing = main.conversation_list
        following = next_conversation(mark, listing.holds)
        top = self.screen
        if isinstance(top, ConversationScreen) and top.conversation_id == conversation_id:
            if following is None:
                top.action_back()
                self.notify("That was the last conversation of this queue.", markup=False)
                return
            listing.move_to(following)
            self.viewing_id = following
            self.send_heartbeat()
            # Opened by flow is opened all the same: its alerts are acknowledged as from the list.
            self.acknowledge_opened(following)
            top.show_conversation(following)
        elif top is main and following is not None and listing.cursor_id in (conversation_id, following):
            listing.move_to(following)
            self.open_conversation(following)

    @on(PrefetchLoaded)
    def keep_prefetched(self, message: PrefetchLoaded) -> None:
        """Kept unless a change to it, or to everything, was announced while it was being read."""
        cid = message.detail.row.id
        if max(self._changed_at.get(cid, 0), self._everything_changed_at) > message.changes_seen:
            return
        self._prefetched = {cid: message.detail}

    @on(BulkFinished)
    def report_bulk(self, message: BulkFinished) -> None:
        """All done: a toast. Some failed: a summary naming each and why; the failed ones stay marked."""
        from tui.screens.bulk import BulkSummaryDialog

        failed = [cid for cid, result in message.results if not result.ok]
        for screen in self.screen_stack:
            marks_done = getattr(screen, "bulk_done", None)
            if marks_done is not None:
                marks_done(failed)
        if failed:
            self.push_screen(BulkSummaryDialog(message.label, message.results))
        else:
            self.notify(f"{plural(len(message.results), 'conversation')} done", title=message.label, markup=False)
        changed = frozenset(cid for cid, _result in message.results)
        self.spread_changes(WorkspaceChanged(changed, frozenset({"action"})))

    @on(ComposerDetailLoaded)
    def open_composer(self, message: ComposerDetailLoaded) -> None:
        from tui.screens.composer import ComposerScreen

        self.push_screen(ComposerScreen.opening(self, message.detail, message.mode, message.draft))

    @on(DisposeDetailLoaded)
    def open_dispose(self, message: DisposeDetailLoaded) -> None:
        from tui.screens.dialogs import DisposeDialog

        detail = message.detail
        dialog = DisposeDialog.kept(self, detail) if detail.pending else DisposeDialog(detail)
        self.push_screen(dialog, callback=lambda reason: self.dispose_pending(detail, reason))

    # -- what screens ask the app to do -----------------------------------------------------
    def open_conversation(self, conversation_id: int) -> None:
        from tui.screens.conversation import ConversationScreen

        self.viewing_id = conversation_id
        self.send_heartbeat()
        self.acknowledge_opened(conversation_id)
        self.push_screen(ConversationScreen(conversation_id))

    @work(thread=True, exit_on_error=False, group="alerts-opened")
    def acknowledge_opened(self, conversation_id: int) -> None:
        """Opening a conversation acknowledges this agent's alerts about it; the bar follows at once."""
        if self.service.acknowledge_conversation(conversation_id):
            self.call_from_thread(self.load_alerts)

    def conversation_closed(self) -> None:
        self.viewing_id = None
        self.send_heartbeat()

    def start_compose(self, conversation_id: int, mode: str, detail: ConversationDetail | None = None) -> None:
        """The composer, on the detail the conversation view already shows when it does (else fetched).
        Keys typed until it is ready are held for it (hold_keys), so none lands on the screen beneath."""
        self._opening = "composer"
        self.mark_for_flow(conversation_id)
        self.fetch_for_composer(conversation_id, mode, detail)

    def start_request(self, conversation_id: int) -> None:
        self.fetch_for_request(conversation_id)

    @work(thread=True, exit_on_error=False, group="opening")
    def fetch_for_request(self, conversation_id: int) -> None:
        self.post_message(RequestDetailLoaded(self.service.detail(conversation_id)))

    @on(RequestDetailLoaded)
    def open_request_dialog(self, message: RequestDetailLoaded) -> None:
        self.request_dialog(message.detail)

    def request_dialog(self, detail) -> None:
        """On a request: move it on or ask its requester; on a customer conversation: ask another team."""
        from tui.screens.requests import OpenRequestDialog, RequestStateDialog

        cid = detail.row.id
        if detail.request is not None:

            def worked(choice: tuple[str, str] | None) -> None:
                if choice:
                    self.run_service_action("Request", lambda s: s.update_request(cid, choice[0], choice[1]), cid)

            self.push_screen(RequestStateDialog(detail.request), callback=worked)
            return
        if detail.hidden:
            self.notify(f"#{cid} is not yours to read, so not yours to ask about.", severity="warning", markup=False)
            return
        teams = [(t.name, f"{t.title or t.name}") for t in self.service.config.teams]

        def asked(choice: tuple[str, str] | None) -> None:
            if choice:
                self.run_service_action("Request", lambda s: s.open_request(choice[0], choice[1], cid), cid)

        self.push_screen(OpenRequestDialog(teams, detail.row.subject), callback=asked)

    def start_dispose(self, conversation_id: int, detail: ConversationDetail | None = None) -> None:
        """The dispose dialog, with the detail the conversation view already shows (no round trip), else
        fetched."""
        self.mark_for_flow(conversation_id)
        if detail is not None:
            self.open_dispose(DisposeDetailLoaded(detail))
        else:
            self._opening = "no action"
            self.fetch_for_dispose(conversation_id)

    def dispose_pending(self, detail, reason: str | None) -> None:
        """Mark every pending inbound message of a conversation 'no action needed' with the reason."""
        if not reason:
            return
        pending = [m.id for m in detail.pending]
        undo_ids: list[int] = []

        def dispose_all(service) -> ActionResult:
            results = [service.dispose(message_id, reason) for message_id in pending]
            undo_ids.extend(r.undo for r in results if r.ok and r.undo is not None)
            failed = [r for r in results if not r.ok]
            if failed:
                return failed[0]
            return ActionResult(True, f"No action needed: {plural(len(pending), 'message')}, {reason}", detail.row.id)

        self.run_service_action("No action needed", dispose_all, detail.row.id, undo_ids)

    def act(self, label: str, conversation_id: int, call: Callable[[Any], ActionResult]) -> None:
        if label in FLOW_ACTIONS:
            self.mark_for_flow(conversation_id)
        self.run_service_action(label, call, conversation_id)

    def act_many(
        self, label: str, conversation_ids: list[int], call: Callable[[Any, int], ActionResult], what: str = ""
    ) -> None:
        """A bulk action: asks first, naming the count, then runs `call` for each conversation."""
        from tui.screens.bulk import confirm_bulk

        ids = list(conversation_ids)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_bulk_action(label, ids, call)

        self.push_screen(confirm_bulk(label, ids, what), callback=confirmed)

    # -- app-wide actions ----------------------------------------------------------------------
    def action_alerts(self) -> None:
        from tui.screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen())

    def action_compose(self) -> None:
        from tui.screens.new_mail import NewMailScreen

        if not isinstance(self.screen, NewMailScreen):
            self.push_screen(NewMailScreen())

    def action_reports(self) -> None:
        from tui.screens.reports import ReportsScreen

        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen())

    def action_presence(self) -> None:
        from tui.screens.dialogs import PresenceDialog

        def chosen(status: str | None) -> None:
            if status == "vacation":
                self.preview_vacation()  # asks first, with the count (confirm_vacation)
            elif status:
                self.run_service_action("Presence", lambda s: s.set_presence(status))

        self.push_screen(PresenceDialog(self.me_view.presence if self.me_view else "available"), callback=chosen)

    @on(VacationPreviewed)
    def confirm_vacation(self, message: VacationPreviewed) -> None:
        """Vacation hands the agent's conversations to their teams: say how many, and ask."""
        from tui.screens.confirm import ConfirmDialog

        if message.count:
            body = Text(
                f"{plural(message.count, 'conversation')} you own or that are personal to you go back to "
                f"{'its team' if message.count == 1 else 'their teams'}, and nothing new is routed to you. "
                f"{self.undo_key()} undoes it for 10\u00a0s and brings back those nobody took."
            )
        else:
            body = Text("You own no open conversation; nothing new is routed to you while you are away.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_service_action("Presence", lambda s: s.set_presence("vacation"))

        self.push_screen(
            ConfirmDialog("Go on vacation?", body, "Go on vacation (y)", "Stay (n)", destructive=bool(message.count)),
            callback=answered,
        )

    def undo_key(self) -> str:
        """The key that undoes, as the user's keymap has it ("z" by default)."""
        return keys.key_label(keys.effective_key(keys.ACTIONS_BY_ID["undo"], self.keymap))

    def action_undo(self) -> None:
        """z: undo the last action while it can be, or say why not."""
        last = self.last_action
        undo_key = self.undo_key()
        if last is None:
            self.notify("Nothing to undo.", title="Undo", severity="warning")
            return
        if not last.event_ids:
            self.notify(last.reason, title="Cannot undo", severity="warning", markup=False)
            return
        if last.seconds_left <= 0:
            what = "the reply has gone to the outbox" if last.is_reply else f"{undo_key} works for 10 s"
            self.notify(
                f"Too late to undo {last.label.lower()}: {what}.", title="Cannot undo", severity="warning", markup=False
            )
            return
        self.last_action = None
        self.clear_notifications()  # the toast offering the undo is no longer true
        if last.is_reply and last.conversation_id is not None:
            self._reopen_after_undo = (last.conversation_id, "reply-all" if last.label == "Reply to all" else "reply")
        ids = last.event_ids

        def undo_all(service) -> ActionResult:
            # Newest first: several calls (no action on several messages) are undone in reverse.
            results = [service.undo(event_id) for event_id in reversed(ids)]
            failed = [r for r in results if not r.ok]
            return failed[0] if failed else results[0]

        self.run_service_action("Undo", undo_all, last.conversation_id)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """close_palette only exists while the palette is open, so ctrl+g reaches dialogs otherwise."""
        if action == "close_palette":
            from textual.command import CommandPalette

            return isinstance(self.screen, CommandPalette)
        return True

    async def action_close_palette(self) -> None:
        """ctrl+g leaves the command palette, whose own binding is only Esc (which tmux delays)."""
        from textual.command import CommandPalette

        if isinstance(self.screen, CommandPalette):
            await self.screen.run_action("escape")

    def action_refresh_all(self) -> None:
        self.spread_changes(WorkspaceChanged(frozenset(), frozenset({"refresh"})))


def run_app(
    service: ComptoirService,
    *,
    after_first_screen: Callable[[], Any] | None = None,
    zone: str | None = None,
    first_page: tuple[list[int], list[Any]] | None = None,
) -> None:
    """Run the app for one agent until they quit or its terminal goes away (the CLI's entry point)."""
    import signal

    driver_class = None
    if os.name == "posix":
        from tui.terminal import HangupAwareDriver

        driver_class = HangupAwareDriver
    app = ComptoirApp(service, after_first_screen=after_first_screen, driver_class=driver_class, zone=zone)
    app.first_page = first_page
    if hasattr(signal, "SIGHUP"):
        # The terminal hung up (tmux killed, SSH dropped): leave as on quit.
        def hung_up(_signum: int, _frame: object) -> None:
            if os.name == "posix":
                from tui.terminal import detach_from_terminal

                detach_from_terminal()
            app.call_later(app.exit, None, 129)

        signal.signal(signal.SIGHUP, hung_up)
    app.run()
