"""Full-text search over subjects, bodies, names and addresses, written in the same transaction as the message."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from core.store.fts_query import NON_WORD as _NON_WORD
from core.store.fts_query import match_sql


def index_words(text: str) -> str:
    """Text as PostgreSQL's search sees it: punctuation turned into spaces ("a.b@c" -> "a b c")."""
    return _NON_WORD.sub(" ", text)


SQLITE_INDEX_SQL = ("INSERT INTO search_index (rowid, subject, body, names, addresses, conversation_id) "
                    "VALUES (:id, :s, :b, :n, :a, :c)")
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
    new: bool = False,
) -> None:
    """Add (or replace) one message's entry in the search index; `new` skips removing an old entry."""
    body = body[:BODY_LIMIT]
    row = {"id": message_id, "s": subject, "b": body, "n": names, "a": addresses, "c": conversation_id}
    if session.get_bind().dialect.name == "sqlite":
        if not new:
            session.execute(text("DELETE FROM search_index WHERE rowid = :id"), {"id": message_id})
        session.execute(text(SQLITE_INDEX_SQL), row)
    else:
        session.execute(text(PG_INDEX_SQL), pg_index_row(row))


def pg_index_row(row: dict) -> dict:
    """A search entry's values as PG_INDEX_SQL takes them."""
    return {**row, **{k: index_words(row[k]) for k in ("s", "b", "n", "a")}}


def search_conversation_ids(session: Session, query: str, limit: int = 500) -> list[int]:
    found = match_sql(query, session.get_bind().dialect.name == "sqlite")
    if found is None:
        return []
    sql, params = found
    rows = session.execute(text(f"SELECT DISTINCT conversation_id FROM ({sql}) AS m LIMIT :lim"), {**params, "lim": limit})
    return [int(r[0]) for r in rows]


def unindex_message(session: Session, message_id: int) -> None:
    """Remove one message's search entry (a reply cancelled before it was sent)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM search_index WHERE rowid = :id"), {"id": message_id})
    else:
        session.execute(text("DELETE FROM search_doc WHERE message_id = :id"), {"id": message_id})
