"""Full-text search over subjects, bodies, names and addresses, written in the same transaction as the message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.store.fts_query import NON_WORD as _NON_WORD


def index_words(text: str) -> str:
    """Text as PostgreSQL's search sees it: punctuation turned into spaces ("a.b@c" -> "a b c")."""
    return _NON_WORD.sub(" ", text)


SQLITE_INDEX_SQL = "INSERT INTO search_index (rowid, subject, body, names, addresses) VALUES (:id, :s, :b, :n, :a)"
"""SQLite's index is contentless (migration 0013): it keeps no copy of the text, and each message is indexed
once, when it is written; the conversation of a match is the message's own (:c is for PostgreSQL)."""
PG_INDEX_SQL = (
    "INSERT INTO search_doc (message_id, conversation_id, doc) VALUES (:id, :c, "
    "setweight(to_tsvector('simple', :s), 'A') || setweight(to_tsvector('simple', :n || ' ' || :a), 'B') "
    "|| to_tsvector('simple', :b)) "
    "ON CONFLICT (message_id) DO UPDATE SET doc = EXCLUDED.doc, conversation_id = EXCLUDED.conversation_id"
)
"""One message's search entry (:id message, :c conversation, :s subject, :b body, :n names, :a addresses);
PostgreSQL's values go through index_words first."""


BODY_LIMIT = 20_000


def index_message(
    session: Session,
    message_id: int,
    conversation_id: int,
    subject: str,
    body: str,
    names: str,
    addresses: str,
) -> None:
    """Index a message just written (SQLite's contentless index cannot replace an entry: index once)."""
    body = body[:BODY_LIMIT]
    row = {"id": message_id, "s": subject, "b": body, "n": names, "a": addresses, "c": conversation_id}
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(SQLITE_INDEX_SQL), row)
    else:
        session.execute(text(PG_INDEX_SQL), pg_index_row(row))


def pg_index_row(row: dict[str, Any]) -> dict[str, Any]:
    """A search entry's values as PG_INDEX_SQL takes them."""
    return {**row, **{k: index_words(row[k]) for k in ("s", "b", "n", "a")}}


def unindex_message(session: Session, message_id: int, subject: str, body: str, names: str, addresses: str) -> None:
    """Remove one message's search entry (a reply cancelled before it was sent), given the values it was
    indexed with: SQLite's contentless index deletes by subtracting exactly those words."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "INSERT INTO search_index (search_index, rowid, subject, body, names, addresses) "
                "VALUES ('delete', :id, :s, :b, :n, :a)"
            ),
            {"id": message_id, "s": subject, "b": body[:BODY_LIMIT], "n": names, "a": addresses},
        )
    else:
        session.execute(text("DELETE FROM search_doc WHERE message_id = :id"), {"id": message_id})
