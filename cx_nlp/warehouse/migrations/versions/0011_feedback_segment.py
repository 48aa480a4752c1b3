"""feedback segments; the segment that put a feedback in an issue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_segment",
        sa.Column("feedback_id", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("char_end", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("p_negative", sa.Float(), nullable=False),
        sa.Column("p_neutral", sa.Float(), nullable=False),
        sa.Column("p_positive", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("touchpoint_confidence", sa.Float(), nullable=False),
        sa.Column("touchpoint_method", sa.String(length=16), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.feedback_id"],
            name=op.f("fk_feedback_segment_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", "position", name=op.f("pk_feedback_segment")),
    )
    op.create_index(
        op.f("ix_feedback_segment_content_hash_model_name_model_version"),
        "feedback_segment",
        ["content_hash", "model_name", "model_version"],
        unique=False,
    )
    with op.batch_alter_table("issue_member") as batch:
        batch.add_column(sa.Column("segment_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issue_member") as batch:
        batch.drop_column("segment_position")
    op.drop_index(op.f("ix_feedback_segment_content_hash_model_name_model_version"), table_name="feedback_segment")
    op.drop_table("feedback_segment")
