"""what each feedback row was normalised from, and how each raw payload was redacted, so a rerun reuses both

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("normalised_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("raw_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_record", schema=None) as batch_op:
        batch_op.drop_column("redacted_by")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("normalised_key")
