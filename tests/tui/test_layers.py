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
