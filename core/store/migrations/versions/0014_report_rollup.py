"""The reports' per-day rollup: one row per finished local day holding that day's partial figures
(core.work.report_parts), and the conversations written to since the rollup last looked (the journal
touches them; a report turns them into the days to compute again). Conversations get an index by
creation time, which a day's figures read.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_day",
        sa.Column("day", sa.String(), primary_key=True),
        sa.Column("built_at", sa.BigInteger(), nullable=False),
        sa.Column("stale_at", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_table(
        "report_touch",
        sa.Column("conversation_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("since", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_conversation_created", "conversation", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_created", table_name="conversation")
    op.drop_table("report_touch")
    op.drop_table("report_day")
