"""inbox handled events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_handled",
        sa.Column("event_id", sa.String(256), primary_key=True),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("detail_type", sa.String(256), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_inbox_handled_handled_at", "inbox_handled", ["handled_at"])


def downgrade() -> None:
    op.drop_table("inbox_handled")
