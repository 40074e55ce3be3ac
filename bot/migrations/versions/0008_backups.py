"""catalog backups: run records, restore plans, alerts posted

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_runs",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("domain_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("write_calls", sa.Integer, nullable=False),
        sa.Column("items_written", sa.Integer, nullable=False),
        sa.Column("errors", sa.Text, nullable=False),
        sa.Column("failure", sa.Text, nullable=True),
    )
    op.create_table(
        "backup_restore_plans",
        sa.Column("plan_id", sa.String(40), primary_key=True),
        sa.Column("source_domain_id", sa.String(64), nullable=False),
        sa.Column("target_domain_id", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("steps", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rto_seconds", sa.Float, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
    )
    op.create_table(
        "backup_alerts",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("backup_alerts")
    op.drop_table("backup_restore_plans")
    op.drop_table("backup_runs")
