"""analysts' issue labels

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_label",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue_label")),
    )


def downgrade() -> None:
    op.drop_table("issue_label")
