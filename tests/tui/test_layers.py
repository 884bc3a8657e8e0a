"""tui/ talks to core only through the service facade and its plain views: no SQL, no IMAP, no tables."""

from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "tui"
ALLOWED_CORE = {
    "core.server.api",
    "core.work.views",
    "core.work.alert_kinds",
    "core.workspace.config",
    "core.errors",
    "core.durations",
    "core.textsafe",
    "core.workspace.preferences",
}
FORBIDDEN_ROOTS = {"sqlmodel", "sqlalchemy", "aioimaplib", "aiosmtplib", "psycopg", "sqlite3", "routing"}
COMPOSITION_ROOTS = {"launch.py", "cli.py", "cli_clients.py"}
"""The console script wires workspace, identity and background work together before the app starts; the CLI's
admin tools (init, account add, client add, import, sync --once) open the workspace themselves as the service
account."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_tui_imports_only_the_service_layer_of_core() -> None:
    offenders = []
    for path in sorted(TUI.rglob("*.py")):
        if path.name in COMPOSITION_ROOTS and path.parent == TUI:
            continue
        for module in imported_modules(path):
            root = module.split(".")[0]
            if root in FORBIDDEN_ROOTS or (root == "core" and module not in ALLOWED_CORE):
                offenders.append(f"{path.relative_to(TUI.parent)}: {module}")
    assert offenders == []


def test_the_app_and_its_client_load_no_orm_and_no_config_models() -> None:
    """What the app loads before its first screen (issue 9: 'the client imports no ORM'): its modules, and
    the app made on a service that has only the welcome's settings (its config would load pydantic's
    models: they wait until an action needs them, RemoteComptoir.warm_up after the first screen)."""
    import subprocess
    import sys

    heavy = {"sqlalchemy", "sqlmodel", "alembic", "psycopg", "pydantic", "aioimaplib", "aiosmtplib"}
    probe = """
import sys
import tui.launch, tui.startup, tui.app, tui.screens.main, core.server.client, core.workspace.locations
from core.work.views import ClientSettings

class WelcomedOnly:
    agent = "paul"
    settings = ClientSettings("Shop", "Europe/Paris", False, "Paul", None, {"paul": "Paul"}, {}, {"vip": "red"})
    clock_simulated = False
    clock_speed = 1.0

    @property
    def config(self):
        raise AssertionError("the app read the config before its first screen")

tui.app.ComptoirApp(WelcomedOnly())
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe, *sorted(heavy)], capture_output=True, text=True, cwd=TUI.parent, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
