"""outbox: messages the bot owes Slack, and per-channel pacing shared by every replica

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=True, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("file", sa.LargeBinary, nullable=True),
        sa.Column("after_id", _ID, nullable=True),
        sa.Column("replaces", sa.String(300), nullable=True),
        sa.Column("on_sent", sa.String(100), nullable=True),
        sa.Column("context", sa.JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_channel", sa.String(64), nullable=True),
        sa.Column("result_ts", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_messages_channel", "outbox_messages", ["channel"])
    op.create_index("ix_outbox_messages_status", "outbox_messages", ["status"])
    op.create_index("ix_outbox_messages_next_attempt_at", "outbox_messages", ["next_attempt_at"])
    op.create_index("ix_outbox_messages_after_id", "outbox_messages", ["after_id"])
    op.create_index("ix_outbox_messages_replaces", "outbox_messages", ["replaces"])
    op.create_table(
        "outbox_channels",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_by", sa.String(100), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("outbox_channels")
    op.drop_index("ix_outbox_messages_replaces", "outbox_messages")
    op.drop_index("ix_outbox_messages_after_id", "outbox_messages")
    op.drop_index("ix_outbox_messages_next_attempt_at", "outbox_messages")
    op.drop_index("ix_outbox_messages_status", "outbox_messages")
    op.drop_index("ix_outbox_messages_channel", "outbox_messages")
    op.drop_table("outbox_messages")
