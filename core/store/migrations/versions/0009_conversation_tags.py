"""Shared tags on conversations (names and colours live in the config's [[tags]]).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_tag",
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), primary_key=True),
        sa.Column("tag", sa.String(), primary_key=True),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_conversation_tag_tag", "conversation_tag", ["tag", "conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_tag_tag", table_name="conversation_tag")
    op.drop_table("conversation_tag")
