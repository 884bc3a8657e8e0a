"""Full-text search straight from the index, for tests that check what ingestion indexed."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from core.store.fts_query import match_sql


def search_conversation_ids(session: Session, query: str, limit: int = 500) -> list[int]:
    found = match_sql(query, session.get_bind().dialect.name == "sqlite")
    if found is None:
        return []
    sql, params = found
    rows = session.execute(
        text(f"SELECT DISTINCT conversation_id FROM ({sql}) AS m LIMIT :lim"), {**params, "lim": limit}
    )
    return [int(r[0]) for r in rows]
