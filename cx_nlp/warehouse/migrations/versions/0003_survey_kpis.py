"""survey kpis on issues and touchpoint days

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:28:12.393237
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nps", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("nps_responses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("csat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("csat_responses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("ces", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("ces_responses", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("touchpoint_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nps", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("nps_responses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("csat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("csat_responses", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("ces", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("ces_responses", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("touchpoint_daily", schema=None) as batch_op:
        batch_op.drop_column("ces_responses")
        batch_op.drop_column("ces")
        batch_op.drop_column("csat_responses")
        batch_op.drop_column("csat")
        batch_op.drop_column("nps_responses")
        batch_op.drop_column("nps")

    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_column("ces_responses")
        batch_op.drop_column("ces")
        batch_op.drop_column("csat_responses")
        batch_op.drop_column("csat")
        batch_op.drop_column("nps_responses")
        batch_op.drop_column("nps")
