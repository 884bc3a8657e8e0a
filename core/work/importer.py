"""History import from CSV: contacts (address, name, audiences) and ratings (address, agent, score, date).

All or nothing: every line is checked first; a bad line is reported with its number and nothing is imported.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sqlmodel import select

from core.errors import ComptoirError
from core.store.models import Contact, Rating, id_of
from core.workspace.folder import Workspace

CONTACT_COLUMNS = ("address", "name", "audiences")
RATING_COLUMNS = ("address", "agent", "score", "date")


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ComptoirError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ComptoirError(f"{path}: not UTF-8 text; nothing was imported") from None
    reader = csv.reader(io.StringIO(text))
    rows = []
    header: list[str] | None = None
    for number, fields in enumerate(reader, start=1):
        if not fields or all(not f.strip() for f in fields):
            continue
        cleaned = [f.strip() for f in fields]
        if header is None and cleaned[0].lower() == columns[0]:
            header = [c.lower() for c in cleaned]
            continue
        names = header or list(columns)
        if len(cleaned) > len(names):
            raise ComptoirError(
                f"{path}, line {number}: {len(cleaned)} fields, expected at most {len(names)} "
                f"({', '.join(names)}); nothing was imported"
            )
        rows.append((number, dict(zip(names, cleaned, strict=False))))
    return rows


def _address(path: Path, number: int, value: str | None) -> str:
    value = (value or "").strip().lower()
    if "@" not in value or " " in value or value.startswith("@") or value.endswith("@"):
        raise ComptoirError(f"{path}, line {number}: {value!r} is not a mail address; nothing was imported")
    return value


def import_contacts(ws: Workspace, path: Path) -> int:
    parsed = []
    for number, row in _rows(path, CONTACT_COLUMNS):
        address = _address(path, number, row.get("address"))
        audiences = [a.strip() for a in (row.get("audiences") or "").replace(";", "|").split("|") if a.strip()]
        parsed.append((address, row.get("name", ""), audiences))
    now = ws.clock.now()
    with ws.db.write() as s:
        for address, name, audiences in parsed:
            contact = s.exec(select(Contact).where(Contact.address == address)).first()
            if contact is None:
                s.add(Contact(address=address, name=name, audiences=audiences, imported=True, created_at=now))
            else:
                contact.name = name or contact.name
                contact.audiences = list(dict.fromkeys([*contact.audiences, *audiences]))
                contact.imported = True
                s.add(contact)
    return len(parsed)


def import_ratings(ws: Workspace, path: Path) -> int:
    parsed = []
    logins = {a.login for a in ws.config.agents}
    for number, row in _rows(path, RATING_COLUMNS):
        address = _address(path, number, row.get("address"))
        agent = (row.get("agent") or "").strip()
        if agent not in logins:
            raise ComptoirError(
                f"{path}, line {number}: {agent!r} is not an agent of this workspace; nothing was imported"
            )
        try:
            score = int(row.get("score") or "")
        except ValueError:
            raise ComptoirError(
                f"{path}, line {number}: score {row.get('score')!r} is not a whole number 1-5; nothing was imported"
            ) from None
        if not 1 <= score <= 5:
            raise ComptoirError(f"{path}, line {number}: score {score} is outside 1-5; nothing was imported")
        try:
            rated_on = date.fromisoformat((row.get("date") or "")[:10])
        except ValueError:
            raise ComptoirError(
                f"{path}, line {number}: date {row.get('date')!r} is not YYYY-MM-DD; nothing was imported"
            ) from None
        parsed.append((address, agent, score, rated_on))
    now = ws.clock.now()
    with ws.db.write() as s:
        for address, agent, score, rated_on in parsed:
            contact = s.exec(select(Contact).where(Contact.address == address)).first()
            if contact is None:
                contact = Contact(address=address, name="", audiences=[], imported=True, created_at=now)
                s.add(contact)
                s.flush()
            s.add(Rating(contact_id=id_of(contact), agent=agent, score=score, rated_on=rated_on))
    return len(parsed)
