"""Full-text search index: FTS5 on SQLite, a tsvector table with a GIN index on PostgreSQL.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "subject, body, names, addresses, conversation_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE search_doc ("
            " message_id INTEGER PRIMARY KEY REFERENCES message(id),"
            " conversation_id INTEGER NOT NULL,"
            " doc tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_search_doc ON search_doc USING gin(doc)")
        op.execute("CREATE INDEX ix_search_doc_conversation ON search_doc (conversation_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_index")
    else:
        op.execute("DROP TABLE search_doc")
