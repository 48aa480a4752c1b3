"""each mined window with a digest of its inputs, so an unchanged rerun keeps its issues

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_window",
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("inputs_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "stats", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("mined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("window_end", name=op.f("pk_issue_window")),
    )


def downgrade() -> None:
    op.drop_table("issue_window")
