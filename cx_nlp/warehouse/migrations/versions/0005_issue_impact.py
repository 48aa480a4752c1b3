"""issue impact

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:01:18.797729
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rating_impact", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("nps_impact", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_column("nps_impact")
        batch_op.drop_column("rating_impact")
