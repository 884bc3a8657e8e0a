"""Make the README's pictures: SVG (and PNG through rsvg-convert) of the main screens on the demo workspace.

    .venv/bin/python screenshots/make_screenshots.py [--conversations 2000] [--keep-workspace DIR]

It builds the demo workspace in a temporary folder with a frozen clock, drives the real app
headless with the keys a person would press, and saves main.svg, conversation.svg, assign.svg,
alerts.svg, reports.svg and composer.svg (plus .png when rsvg-convert is installed) next to this script.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.widgets import Input, TextArea  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from core.clock import Clock  # noqa: E402
from core.demo.seed import build_demo  # noqa: E402
from core.work.service import Comptoir  # noqa: E402
from core.workspace.folder import open_workspace  # noqa: E402
from tui.app import ComptoirApp  # noqa: E402
from tui.widgets.alert_bar import AlertBar  # noqa: E402
from tui.widgets.conversation_list import ConversationList  # noqa: E402

DEMO_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
AGENT = "marie"
SIZE = (160, 44)


async def settle(pilot) -> None:
    """Wait for every worker but the change feed, and for the messages they posted."""
    for _ in range(30):
        await pilot.pause()
        busy = [
            w
            for w in pilot.app.workers
            if w.group != "change-feed" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        if not busy:
            await pilot.pause(0.1)
            return
        await pilot.app.workers.wait_for_complete(busy)


def pick(service: Comptoir, queue: str, wanted) -> int | None:
    rows = service.rows(service.queue_ids(queue)[:400])
    return next((row.id for row in rows if wanted(row)), rows[0].id if rows else None)


def stage(workspace, service: Comptoir) -> tuple[int, int]:
    """Choose what to show and add a little teamwork: a note mentioning paul, paul viewing, a CC'd thread."""
    answered = pick(service, "waiting", lambda row: row.message_count >= 2 and row.owner == AGENT)
    if answered is None:
        raise SystemExit("the demo workspace has no answered conversation to show")
    service.note(answered, "@paul the customer called: the kit ships on Friday; can you confirm with the supplier?")
    Comptoir(workspace, "paul").heartbeat(viewing=answered)
    shared = pick(service, "mine", lambda row: row.shared_reply) or answered
    return answered, shared


async def shoot(workspace, service: Comptoir, out: Path) -> list[Path]:
    AlertBar.BLINK_SECONDS = None
    Input.cursor_blink._default = False  # type: ignore[attr-defined]
    TextArea.cursor_blink._default = False  # type: ignore[attr-defined]
    answered, shared = stage(workspace, service)
    app = ComptoirApp(service, watch_changes=False, heartbeat_seconds=None)
    saved: list[Path] = []

    def save(name: str) -> None:
        path = out / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(out))
        saved.append(path)
        print(f"saved {path}")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        save("main")
        app.open_conversation(answered)
        await settle(pilot)
        save("conversation")
        await pilot.press("a")
        await settle(pilot)
        save("assign")
        # The assign dialog opens in its filter, where q is text: Escape closes it.
        await pilot.press("escape", "q", "A")
        await settle(pilot)
        save("alerts")
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        save("reports")
        await pilot.press("q")
        await settle(pilot)
        app.screen.query_one(ConversationList).move_to(shared)
        await pilot.press("R")
        await settle(pilot)
        app.screen.query_one(TextArea).insert(
            "Hello,\n\nThank you for your patience: we have checked with the warehouse and will write again "
            "as soon as it ships.\n"
        )
        await settle(pilot)
        save("composer")
    return saved


def to_png(svg: Path) -> Path | None:
    """PNG through rsvg-convert; non-breaking spaces become plain preserved spaces so columns stay aligned."""
    if shutil.which("rsvg-convert") is None:
        return None
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    text = re.sub(r"<svg ", '<svg xml:space="preserve" ', text, count=1)
    png = svg.with_suffix(".png")
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    try:
        subprocess.run(["rsvg-convert", "--zoom", "1", tmp.name, "-o", str(png)], check=True)
    finally:
        Path(tmp.name).unlink(missing_ok=True)
    print(f"saved {png}")
    return png


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--keep-workspace", type=Path, help="build the demo here and keep it")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    temp = None
    if args.keep_workspace:
        path = args.keep_workspace
    else:
        temp = tempfile.TemporaryDirectory(prefix="comptoir-shots-")
        path = Path(temp.name) / "demo"
    if not (path / "comptoir.toml").exists():
        print(f"building the demo workspace ({args.conversations} conversations) in {path}…")
        build_demo(path, now=DEMO_NOW, conversations=args.conversations)
    workspace = open_workspace(path, check_permissions=False)
    workspace.clock = Clock(real_origin=time.time(), sim_origin=DEMO_NOW, speed=0.0)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for svg in asyncio.run(shoot(workspace, Comptoir(workspace, AGENT), args.out)):
            to_png(svg)
    finally:
        workspace.close()
        if temp is not None:
            temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
