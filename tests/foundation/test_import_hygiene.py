"""Layering, proven in fresh interpreters: core and routing never import Textual; routing imports no storage or mail code."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_FOR_ROUTING = (
    "textual",
    "rich",
    "sqlmodel",
    "sqlalchemy",
    "aioimaplib",
    "aiosmtplib",
    "email",
    "psycopg",
    "core",
    "tui",
)


def _modules(package: str) -> list[str]:
    """The package and every module below it, subpackages included (core/ is grouped by responsibility)."""
    found = [package] + [m.name for m in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")]
    return [m for m in found if ".migrations" not in m]


def _loaded_after_import(modules: list[str]) -> set[str]:
    """Import every module in one fresh interpreter; what is in sys.modules afterwards."""
    code = f"import sys, json\nfor m in {modules!r}: __import__(m)\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    return set(json.loads(out.stdout))


def test_core_never_imports_textual() -> None:
    modules = _modules("core")
    assert len(modules) > 20
    loaded = _loaded_after_import(modules)
    assert set(modules) <= loaded
    assert not {m for m in loaded if m == "textual" or m.startswith(("textual.", "tui"))}


def test_routing_imports_only_the_standard_library() -> None:
    modules = _modules("routing")
    loaded = _loaded_after_import(modules)
    bad = {m for m in loaded for f in FORBIDDEN_FOR_ROUTING if m == f or m.startswith(f + ".")}
    assert not bad, f"routing pulled in {sorted(bad)}"


def test_the_check_would_catch_a_textual_import() -> None:
    """The probe itself works: importing the app does bring Textual in."""
    assert "textual" in _loaded_after_import(["tui.app"])


def test_tui_uses_no_sql_or_imap_directly() -> None:
    offenders = []
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text()
        for needle in (
            "sqlmodel",
            "sqlalchemy",
            "aioimaplib",
            "aiosmtplib",
            "core.store.models",
            "core.store.db",
            "import sqlite3",
        ):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


def test_the_first_screen_is_read_without_sqlalchemy(sqlite_ws) -> None:
    """Everything the main screen shows first comes through driver-level SQL, so the app paints
    before the ORM (0.6 s of imports) is loaded; the first action then loads it."""
    code = f"""
import json, sys
from core.workspace.identity import resolve_agent
from core.work.service import Comptoir
from core.workspace.folder import open_workspace
svc = Comptoir(open_workspace({str(sqlite_ws.path)!r}), "paul")
ids = svc.queue_ids("mine")
shown = [len(svc.queue_titles()), len(svc.queues()), len(svc.rows(ids[:50])), len(svc.alerts()), svc.alert_count(),
         svc.me().login, len(svc.agents()), len(svc.queue_ids("everyone", "hello"))]
before = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel", "alembic") or m == "core.store.models")
svc.warm_up()
after = "sqlalchemy" in sys.modules and "core.work.actions" in sys.modules
print(json.dumps([shown, before, after]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    shown, before, after = json.loads(out.stdout)
    assert shown[5] == "paul" and shown[1] == shown[0] > 5
    assert before == [], f"the first screen imported {before}"
    assert after, "warm_up should load the ORM and the actions"


def test_bench_sync_imports_without_pytest() -> None:
    """bench/bench_sync.py runs after a plain `make install`: its Dovecot harness must not need pytest."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, runpy; sys.modules['pytest'] = None; "
        f"runpy.run_path({str(root / 'bench' / 'bench_sync.py')!r}, run_name='bench_sync')"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
