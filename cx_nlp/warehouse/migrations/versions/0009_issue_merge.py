"""analysts' issue merges

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_merge",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("merged_into", sa.String(length=120), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue_merge")),
    )


def downgrade() -> None:
    op.drop_table("issue_merge")
