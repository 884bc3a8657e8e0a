"""One alert per conversation and agent, raised again in place; alert.seen_at for the blinking bar.

An existing workspace may hold several alerts for the same agent and conversation (one per escalation
rung). Each group keeps its newest row (the latest rung's kind and text), left unacknowledged when any
row of the group was; the older rows go. Alerts already there count as seen, so an upgraded workspace
does not start blinking for what its agents have looked at before.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NEWEST_OF_GROUPS = "SELECT max(id) FROM alert WHERE conversation_id IS NOT NULL GROUP BY conversation_id, agent"


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("seen_at", sa.DateTime(), nullable=True))
    op.execute(
        f"UPDATE alert SET acknowledged_at = NULL WHERE id IN ({_NEWEST_OF_GROUPS} "
        "HAVING count(*) > count(acknowledged_at))"
    )
    op.execute(f"DELETE FROM alert WHERE conversation_id IS NOT NULL AND id NOT IN ({_NEWEST_OF_GROUPS})")
    op.execute("UPDATE alert SET seen_at = created_at")
    op.create_index("ux_alert_conversation_agent", "alert", ["conversation_id", "agent"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_alert_conversation_agent", table_name="alert")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("seen_at")
