"""Indexes for reports: events by kind and time and by actor, messages by arrival and disposition, recent
conversations, alerts by time.

Revision ID: 0007
Revises: 0005
"""

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = (
    # Covering indexes: a report reads whole ranges of them without touching the tables.
    ("ix_event_kind_at", "event", ("kind", "at", "conversation_id")),
    ("ix_event_conversation_actor", "event", ("conversation_id", "actor", "at")),
    ("ix_message_received", "message", ("received_at", "direction", "conversation_id", "disposition", "disposed_at")),
    ("ix_message_disposition", "message", ("disposition", "received_at", "direction", "conversation_id")),
    ("ix_conversation_updated", "conversation", ("updated_at",)),
    ("ix_alert_created", "alert", ("created_at", "kind", "agent", "acknowledged_at", "conversation_id")),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
