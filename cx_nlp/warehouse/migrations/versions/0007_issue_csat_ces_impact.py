"""issue impact on CSAT and CES

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("csat_impact", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("ces_impact", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_column("ces_impact")
        batch_op.drop_column("csat_impact")
