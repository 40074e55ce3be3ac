"""subscription requesters: who asked from Slack, for requests the bot made for them; the subscriptions branch

Revision ID: subscriptions_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "subscriptions_0001"
# The capability's first revision starts its own branch; its older tables are the kernel chain's, up to 0012.
down_revision = None
branch_labels = ("subscriptions",)
depends_on = "0012"


def upgrade() -> None:
    op.create_table(
        "subscription_requesters",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("slack_user", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("subscription_requesters")
