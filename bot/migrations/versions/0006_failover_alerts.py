"""failover alerts, cluster events and silences

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "failover_alerts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False, index=True),
        sa.Column("active_key", sa.String(300), nullable=True, unique=True),
        sa.Column("cluster_id", sa.String(40), nullable=True, index=True),
        sa.Column("cluster_name", sa.String(256), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("reporters", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("primaries", sa.JSON(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("flaps", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True, index=True),
        sa.Column("card_ts", sa.String(32), nullable=True),
        sa.Column("card_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("chart", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rendered_version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "failover_events",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("alert_id", _ID, nullable=True, index=True),
        sa.Column("cluster_id", sa.String(40), nullable=True, index=True),
        sa.Column("reporter", sa.String(300), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("note", sa.Boolean(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "failover_silences",
        sa.Column("target", sa.String(300), primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("failover_silences")
    op.drop_table("failover_events")
    op.drop_table("failover_alerts")
