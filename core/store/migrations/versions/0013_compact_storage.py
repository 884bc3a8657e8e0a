"""Compact storage: raw mail is kept zlib-compressed (a `packed` flag, so rows written before stay
readable as they are), and SQLite's search index keeps no copy of the text it indexes (an FTS5
contentless table; a match's conversation is read from `message` by rowid, which also keeps search
right when messages move between conversations). Together they were a third of a workspace.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite allows it with a constant default): a batch copy of raw_mail would break
    # message's foreign key to it.
    op.add_column("raw_mail", sa.Column("packed", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_index_new USING fts5("
            "subject, body, names, addresses, content='', "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO search_index_new (rowid, subject, body, names, addresses) "
            "SELECT rowid, subject, body, names, addresses FROM search_index"
        )
        op.execute("DROP TABLE search_index")
        op.execute("ALTER TABLE search_index_new RENAME TO search_index")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A contentless index cannot give its text back: rebuild the old table empty (search then finds
        # only mail written after the downgrade).
        op.execute("DROP TABLE search_index")
        op.execute(
            "CREATE VIRTUAL TABLE search_index USING fts5("
            "subject, body, names, addresses, conversation_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    op.drop_column("raw_mail", "packed")
