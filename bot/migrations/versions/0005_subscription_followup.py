"""subscription reminders and time-bound access

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_cards") as table:
        table.add_column(sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("owner_project_id", sa.String(64), nullable=True))
        table.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "subscription_access",
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("domain_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("asset_name", sa.String(256), nullable=False),
        sa.Column("owner_project_id", sa.String(64), nullable=False),
        sa.Column("requester", sa.String(512), nullable=False),
        sa.Column("requester_slack", sa.String(32), nullable=True),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("renewal_requested_by", sa.String(32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("subscription_access")
    with op.batch_alter_table("subscription_cards") as table:
        table.drop_column("escalated_at")
        table.drop_column("reminded_at")
        table.drop_column("owner_project_id")
        table.drop_column("requested_at")
