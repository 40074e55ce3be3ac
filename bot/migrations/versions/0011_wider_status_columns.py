"""wider status columns: "decided_elsewhere" (17) and a run's "partially_succeeded" (19) overflowed String(16)

SQLite never enforced the length, so only PostgreSQL refused them (a DataError that left the request's card pending).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = (("subscription_cards", "status"), ("audit_log", "result"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False)
