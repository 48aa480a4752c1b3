"""issue lineage, sentence-level sentiment evidence, issue language group

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issue_lineage",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("related_issue_id", sa.String(length=120), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.issue_id"], name=op.f("fk_issue_lineage_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["related_issue_id"],
            ["issue.issue_id"],
            name=op.f("fk_issue_lineage_related_issue_id_issue"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("issue_id", "related_issue_id", "event", name=op.f("pk_issue_lineage")),
    )
    with op.batch_alter_table("issue_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_lineage_related_issue_id"), ["related_issue_id"], unique=False)
    with op.batch_alter_table("feedback_sentiment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence_negative", sa.Float(), nullable=True))
    for table in ("issue", "issue_snapshot"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in ("issue_snapshot", "issue"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("language")
    with op.batch_alter_table("feedback_sentiment", schema=None) as batch_op:
        batch_op.drop_column("evidence_negative")
        batch_op.drop_column("evidence")
    with op.batch_alter_table("issue_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_lineage_related_issue_id"))
    op.drop_table("issue_lineage")
