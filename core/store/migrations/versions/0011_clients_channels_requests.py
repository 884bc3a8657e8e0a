"""Conversations learn their client, their channel (mail, web) and their kind (mail, or an internal request
between teams, linked to the customer conversation it was opened from, with its own states).

Existing conversations are mail, by mail, of no client.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("client", sa.String(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(), nullable=False, server_default="mail"))
        batch.add_column(sa.Column("kind", sa.String(), nullable=False, server_default="mail"))
        batch.add_column(sa.Column("request_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("request_state", sa.String(), nullable=True))
        batch.add_column(sa.Column("requester", sa.String(), nullable=True))
    op.create_index("ix_conversation_request_of", "conversation", ["request_of"])


def downgrade() -> None:
    op.drop_index("ix_conversation_request_of", table_name="conversation")
    with op.batch_alter_table("conversation") as batch:
        for name in ("requester", "request_state", "request_of", "kind", "channel", "client"):
            batch.drop_column(name)
