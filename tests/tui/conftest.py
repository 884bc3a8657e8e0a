"""Fixtures for the TUI tests: a fake service, a real demo workspace at a fixed clock, and app helpers."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea
from textual.worker import WorkerState

from tests.tui.fake_service import FakeComptoir, hostile_service, populated_service
from tui.app import ComptoirApp
from tui.widgets.alert_bar import AlertBar

DEMO_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
"""The demo workspace's frozen clock: snapshots show the same times on every run."""
DEMO_AGENT = "marie"
DEMO_CONVERSATIONS = 300
SIZE = (160, 48)
BACKGROUND_GROUPS = {"change-feed", "embedded-sync"}


@pytest.fixture(autouse=True)
def calm_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No cursor blink and no alert-bar blink: every frame of a test is the same frame. Times are in the
    workspace's zone whoever runs the tests: no $TZ, no preferences.toml of the person running them."""
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setattr(Input.cursor_blink, "_default", False)
    monkeypatch.setattr(TextArea.cursor_blink, "_default", False)
    monkeypatch.setattr(AlertBar, "BLINK_SECONDS", None)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)


@pytest.fixture
def fake_service() -> FakeComptoir:
    return populated_service()


@pytest.fixture
def evil_service() -> FakeComptoir:
    return hostile_service()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo workspace per test session (building it takes seconds); tests work on copies."""
    from core.demo.seed import build_demo

    path = tmp_path_factory.mktemp("demo-template") / "workspace"
    build_demo(path, now=DEMO_NOW, conversations=DEMO_CONVERSATIONS)
    return path


def open_demo(path: Path, agent: str = DEMO_AGENT):
    """A service on a demo workspace copy whose clock is frozen at DEMO_NOW."""
    from core.clock import Clock
    from core.work.service import Comptoir
    from core.workspace.folder import open_workspace

    workspace = open_workspace(path, check_permissions=False)
    workspace.clock = Clock(real_origin=time.time(), sim_origin=DEMO_NOW, speed=0.0)
    return Comptoir(workspace, agent)


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    shutil.copytree(demo_template, path)
    return path


@pytest.fixture
def demo_service(demo_path: Path) -> Iterator:
    service = open_demo(demo_path)
    yield service
    service.workspace.close()


def make_app(service, *, live: bool = False) -> ComptoirApp:
    """The real app; `live` also runs the change feed (tests then settle without waiting on it)."""
    return ComptoirApp(service, watch_changes=live, heartbeat_seconds=None)


def said(app: ComptoirApp) -> list[str]:
    """What the app has told the user: its toasts, then the title line's status (how the last action
    that went well went, with its undo key: ComptoirApp.notify_action)."""
    told = [str(n.message) for n in app._notifications]
    if app.status is not None:
        told.append(app.status.plain)
    return told


async def settle(pilot: Pilot, rounds: int = 20) -> None:
    """Wait until every worker but the endless background ones is done and their messages are handled."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        busy = [
            w
            for w in app.workers
            if w.group not in BACKGROUND_GROUPS and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        if not busy:
            await pilot.pause()
            still = [
                w
                for w in app.workers
                if w.group not in BACKGROUND_GROUPS and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            ]
            if not still:
                return
            busy = still
        await app.workers.wait_for_complete(busy)
