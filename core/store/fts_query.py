"""A user's search words as a full-text query: FTS5 on SQLite, a tsquery on PostgreSQL (no SQLAlchemy)."""

from __future__ import annotations

import re

WORD = re.compile(r"\w[\w.@+-]*", re.UNICODE)
NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The words of a user's query, with FTS syntax characters removed."""
    return [w.strip(".-+") for w in WORD.findall(query) if w.strip(".-+")]


def match_sql(query: str, sqlite: bool) -> tuple[str, dict[str, str]] | None:
    """A SQL fragment selecting the ids of conversations matching every word (prefix match), or None."""
    words = query_words(query)
    if not words:
        return None
    if sqlite:
        match = " ".join('"' + w.replace('"', "") + '"*' for w in words)
        # The index is contentless: its rowid is the message's id, whose conversation is read from the row.
        return (
            "SELECT m.conversation_id FROM search_index JOIN message m ON m.id = search_index.rowid "
            "WHERE search_index MATCH :fts",
            {"fts": match},
        )
    # PostgreSQL's parser keeps "a.b" or "x@y" as one token; both sides are split on punctuation instead.
    tsquery = " & ".join(part + ":*" for w in words for part in NON_WORD.split(w) if part)
    if not tsquery:
        return None
    return (
        "SELECT m.conversation_id FROM search_doc d JOIN message m ON m.id = d.message_id "
        "WHERE d.doc @@ to_tsquery('simple', :fts)",
        {"fts": tsquery},
    )
