"""approval chains: each approved step of a request (who, when), the step a request's card waits on, and the
asset's classification (which chain it goes through)

Revision ID: subscriptions_0002
Revises: subscriptions_0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "subscriptions_0002"
down_revision = "subscriptions_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The step a card waits on lives on the card's own row: every decision is one conditional update of that row,
    # so the first decision within a step wins across replicas.
    with op.batch_alter_table("subscription_cards") as table:
        table.add_column(sa.Column("step", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("step_started_at", sa.DateTime(timezone=True), nullable=True))
        # NULL on cards from before: the queue reads those requests' classification from DataZone once.
        table.add_column(sa.Column("classification", sa.Text, nullable=True))
    op.create_table(
        "subscription_approval_steps",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("approved_by", sa.String(64), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("subscription_approval_steps")
    with op.batch_alter_table("subscription_cards") as table:
        table.drop_column("classification")
        table.drop_column("step_started_at")
        table.drop_column("step")
