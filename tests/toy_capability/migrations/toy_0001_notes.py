"""toy notes: the toy capability's first table, the root of its own branch

Revision ID: toy_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "toy_0001"
# A capability's first revision starts its own branch, named after it; it depends on no kernel table.
down_revision = None
branch_labels = ("toy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "toy_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("toy_notes")
