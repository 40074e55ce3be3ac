"""subscription access reviews: campaigns and the subscriptions each asks about

Revision ID: subscriptions_0003
Revises: subscriptions_0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "subscriptions_0003"
# subscriptions_0002 is being written in parallel; whoever merges second re-points this to it.
down_revision = "subscriptions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription_review_campaigns",
        sa.Column("campaign_id", sa.String(32), primary_key=True),
        sa.Column("domain_id", sa.String(64), nullable=False),
        sa.Column("classification", sa.String(64), nullable=False),
        sa.Column("open_for", sa.String(64), nullable=True, unique=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unanswered", sa.String(16), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "subscription_review_items",
        sa.Column("campaign_id", sa.String(32), primary_key=True),
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("domain_id", sa.String(64), nullable=False),
        sa.Column("listing_id", sa.String(64), nullable=False),
        sa.Column("asset_name", sa.String(256), nullable=False),
        sa.Column("owner_project_id", sa.String(64), nullable=False),
        sa.Column("card", sa.Integer(), nullable=False),
        sa.Column("subscriber", sa.String(512), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(256), nullable=False),
        sa.Column("scope", sa.String(512), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("requester_slack", sa.String(32), nullable=True),
        sa.Column("executing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(256), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("subscription_review_items")
    op.drop_table("subscription_review_campaigns")
