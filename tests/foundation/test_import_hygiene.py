"""Layering, proven in fresh interpreters: core and routing never import Textual; routing imports no storage or mail code."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_FOR_ROUTING = ("textual", "rich", "sqlmodel", "sqlalchemy", "aioimaplib", "aiosmtplib", "email", "psycopg", "core", "tui")


def _modules(package: str) -> list[str]:
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / package)])]


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", _modules("core"))
def test_core_never_imports_textual(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.") or m.startswith("tui")}, module


@pytest.mark.parametrize("module", _modules("routing"))
def test_routing_imports_only_the_standard_library(module: str) -> None:
    loaded = _loaded_after_import(module)
    bad = {m for m in loaded for f in FORBIDDEN_FOR_ROUTING if m == f or m.startswith(f + ".")}
    assert not bad, f"{module} pulled in {sorted(bad)}"


def test_tui_uses_no_sql_or_imap_directly() -> None:
    offenders = []
    for path in (ROOT / "tui").rglob("*.py"):
        text = path.read_text()
        for needle in ("sqlmodel", "sqlalchemy", "aioimaplib", "aiosmtplib", "core.models", "core.db", "import sqlite3"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders
