"""failover chart in the card: the uploaded chart's file id and alt text, and how often Slack refused to show it

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("failover_alerts") as batch:
        batch.add_column(sa.Column("chart_file", sa.String(64), nullable=True))
        batch.add_column(sa.Column("chart_alt", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("chart_refusals", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("failover_alerts") as batch:
        batch.drop_column("chart_refusals")
        batch.drop_column("chart_alt")
        batch.drop_column("chart_file")
