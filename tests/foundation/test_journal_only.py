"""Only core/work/journal.py writes the audit trail, the alerts and the change log (and NOTIFYs): the source of
every other module of core/, routing/ and tui/ is read for SQL text or ORM calls that write those tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JOURNAL = ROOT / "core" / "work" / "journal.py"
TABLES = r'"?(?:event|alert|change)"?\b'
WRITE_SQL = re.compile(
    rf"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO\s+{TABLES}|UPDATE\s+{TABLES}\s+SET|DELETE\s+FROM\s+{TABLES})"
    r"|\bpg_notify\b|\bNOTIFY\s+\w",
    re.IGNORECASE,
)
MODELS = {"Event", "Alert"}
ORM_WRITES = {"insert", "update", "delete"}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's literal parts with a blank for each value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else " x " for v in node.values)
    return None


def journal_writes(source: str) -> list[str]:
    """Each place in `source` that writes an event, alert or change-log row, or NOTIFYs: 'line: what'."""
    tree = ast.parse(source)
    inside_fstrings = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        text = _text(node)
        if text is not None and id(node) not in inside_fstrings:
            match = WRITE_SQL.search(text)
            if match:
                found.append(f"{node.lineno}: {match.group(0)}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            # models.Event(...) or Event(...), not threading.Event() or asyncio.Event().
            model = isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and "models" in _names(func))
            if name in MODELS and model:
                found.append(f"{node.lineno}: {name}(...)")
            elif name in ORM_WRITES and node.args and _names(node.args[0]) & MODELS:
                found.append(f"{node.lineno}: {name}({ast.unparse(node.args[0])})")
    return sorted(found, key=lambda f: int(f.split(":")[0]))


def _sources() -> list[Path]:
    return [
        p
        for package in ("core", "routing", "tui")
        for p in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in p.parts
    ]


def test_only_the_journal_writes_events_alerts_and_the_change_log() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{where}" for p in _sources() if p != JOURNAL for where in journal_writes(p.read_text())
    ]
    assert not offenders, "write these through core.work.journal:\n" + "\n".join(offenders)


def test_the_scan_finds_the_journals_own_writes() -> None:
    """The scan sees real code: journal.py itself writes all three tables and NOTIFYs."""
    found = "\n".join(journal_writes(JOURNAL.read_text()))
    for what in (
        "INSERT INTO event",
        "INSERT INTO alert",
        "INSERT INTO change",
        "UPDATE alert SET",
        "DELETE FROM change",
        "pg_notify",
    ):
        assert what in found, what


PLANTED = """
def sneaky(s, raw, sql, rows, ch):
    s.execute(text("INSERT INTO event (conversation_id, actor, at, kind, details) VALUES (:c, :a, :t, :k, :d)"))
    s.add(Event(conversation_id=1, actor="x", kind="y", details={}))
    s.execute(insert(Alert.__table__), rows)
    s.execute(update(Alert).where(Alert.agent == "paul").values(acknowledged_at=None))
    sql.many("INSERT INTO alert (agent, team, kind, text, conversation_id, source, created_at, acknowledged_at) "
             "VALUES (:a, :tm, :k, :x, :c, 'comptoir', :t, NULL)", rows)
    raw.run(f"SELECT pg_notify('{ch}', :p)", {"p": "1"})
    sql.many("INSERT INTO change (conversation_id, kind, at) VALUES (:c, :k, :at)", rows)
    sql.run("DELETE FROM change WHERE at < :c", {})
    sql.run("INSERT OR IGNORE INTO event (actor) VALUES ('x')")
"""


def test_the_scan_catches_planted_writes() -> None:
    """A test that cannot fail is a defect: each planted write is reported, on its line."""
    found = journal_writes(PLANTED)
    assert [int(f.split(":")[0]) for f in found] == [3, 4, 5, 6, 7, 9, 10, 11, 12], found


def test_the_scan_ignores_reads_and_other_tables() -> None:
    harmless = """
rows = sql.all("SELECT id FROM event WHERE kind = 'routed'")
sql.run("INSERT INTO message_source (message_id) VALUES (:m)", {})
sql.run("UPDATE conversation SET state = 'open' WHERE id = :id", {})
events = s.exec(select(Event).where(Event.kind == "claim"))
stop = threading.Event()
done = asyncio.Event()
"""
    assert journal_writes(harmless) == []
