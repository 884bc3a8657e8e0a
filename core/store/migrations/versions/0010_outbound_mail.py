"""Outbound mail beyond replies: Bcc on replies, new mail and forwards (kept on the message and the outbox item,
never in a header), and reminders an agent sets on a conversation (the escalation pass raises them).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("bcc_addrs", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("bcc_addrs", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=True),
    )
    # The escalation pass reads only reminders not yet raised whose moment has come.
    op.create_index("ix_reminder_due", "reminder", ["fired_at", "due_at"])
    op.create_index("ix_reminder_conversation_id", "reminder", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_reminder_conversation_id", table_name="reminder")
    op.drop_index("ix_reminder_due", table_name="reminder")
    op.drop_table("reminder")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("bcc_addrs")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("bcc_addrs")
