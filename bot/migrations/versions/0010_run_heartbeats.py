"""long runs hold a heartbeat: a backup run or restore whose holder died is marked abandoned

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before this revision have no heartbeat; their start time stands in for it.
    with op.batch_alter_table("backup_runs") as table:
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("backup_restore_plans") as table:
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # "abandoned" is only a status value (a string column): older code shows it as it is.
    with op.batch_alter_table("backup_restore_plans") as table:
        table.drop_column("heartbeat_at")
    with op.batch_alter_table("backup_runs") as table:
        table.drop_column("heartbeat_at")
