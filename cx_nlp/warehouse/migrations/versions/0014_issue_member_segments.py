"""every segment of a feedback that an issue holds, so the next night keeps each in its issue

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:45:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue_member", schema=None) as batch_op:
        json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        batch_op.add_column(sa.Column("segment_positions", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issue_member", schema=None) as batch_op:
        batch_op.drop_column("segment_positions")
