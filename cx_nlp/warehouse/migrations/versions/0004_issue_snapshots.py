"""issue snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:34:06.185743
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_snapshot",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.issue_id"], name=op.f("fk_issue_snapshot_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("issue_id", "window_end", name=op.f("pk_issue_snapshot")),
    )
    # Issues mined before this table existed start from their current state, so the next night
    # continues them instead of numbering them anew.
    op.execute(
        "INSERT INTO issue_snapshot (issue_id, window_end, touchpoint, label, centroid, volume, status, first_seen) "
        "SELECT issue_id, window_end, touchpoint, label, centroid, volume, status, first_seen FROM issue"
    )


def downgrade() -> None:
    op.drop_table("issue_snapshot")
