"""conversation.next_step_at: when escalation next has something to do, indexed, so a pass reads only due rows;
message.in_reply_to indexed, so mail from the inbox finds the reply already stored from the sent folder.

Existing open conversations start due at once; the first escalation pass stores their exact moment.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("next_step_at", sa.DateTime(), nullable=True))
    op.create_index("ix_conversation_next_step_at", "conversation", ["next_step_at"])
    op.execute("UPDATE conversation SET next_step_at = created_at WHERE state != 'done'")
    op.create_index("ix_message_in_reply_to", "message", ["in_reply_to"])


def downgrade() -> None:
    op.drop_index("ix_message_in_reply_to", table_name="message")
    op.drop_index("ix_conversation_next_step_at", table_name="conversation")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_column("next_step_at")
