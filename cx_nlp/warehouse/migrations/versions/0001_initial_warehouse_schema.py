"""initial warehouse schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:28:42.012935
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("content_hash", "model_name", "model_version", name=op.f("pk_embedding")),
    )
    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("language_confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "pii_redactions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("raw_record_key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_created_day"), ["created_day"], unique=False)

    op.create_table(
        "issue",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column(
            "keywords", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "representatives",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("volume_last_7_days", sa.Integer(), nullable=False),
        sa.Column("negative_share", sa.Float(), nullable=False),
        sa.Column("mean_sentiment", sa.Float(), nullable=False),
        sa.Column("mean_rating", sa.Float(), nullable=True),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_issue")),
    )
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_touchpoint"), ["touchpoint"], unique=False)

    op.create_table(
        "pipeline_run",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("interval_start", sa.Date(), nullable=False),
        sa.Column("interval_end", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "stats", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("sentiment_model", sa.String(length=200), nullable=True),
        sa.Column("embedding_model", sa.String(length=200), nullable=True),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_pipeline_run")),
    )
    op.create_table(
        "quarantine",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_key", "field", name=op.f("pk_quarantine")),
    )
    op.create_table(
        "raw_record",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("feedback_id", sa.String(length=300), nullable=True),
        sa.Column("first_run_id", sa.String(length=64), nullable=False),
        sa.Column("last_run_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source", "record_key", name=op.f("pk_raw_record")),
    )
    with op.batch_alter_table("raw_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raw_record_source_external_id"), ["source", "external_id"], unique=False)

    op.create_table(
        "touchpoint_daily",
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("negative_share", sa.Float(), nullable=False),
        sa.Column("mean_sentiment", sa.Float(), nullable=False),
        sa.Column("mean_rating", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("touchpoint", "day", name=op.f("pk_touchpoint_daily")),
    )
    op.create_table(
        "feedback_sentiment",
        sa.Column("feedback_id", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=16), nullable=False),
        sa.Column("p_negative", sa.Float(), nullable=False),
        sa.Column("p_neutral", sa.Float(), nullable=False),
        sa.Column("p_positive", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.feedback_id"],
            name=op.f("fk_feedback_sentiment_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_sentiment")),
    )
    with op.batch_alter_table("feedback_sentiment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_sentiment_content_hash_model_name_model_version"),
            ["content_hash", "model_name", "model_version"],
            unique=False,
        )

    op.create_table(
        "feedback_touchpoint",
        sa.Column("feedback_id", sa.String(length=300), nullable=False),
        sa.Column("touchpoint", sa.String(length=100), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.feedback_id"],
            name=op.f("fk_feedback_touchpoint_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", "touchpoint", name=op.f("pk_feedback_touchpoint")),
    )
    op.create_table(
        "issue_daily",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("negative_share", sa.Float(), nullable=False),
        sa.Column("mean_sentiment", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.issue_id"], name=op.f("fk_issue_daily_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("issue_id", "day", name=op.f("pk_issue_daily")),
    )
    op.create_table(
        "issue_member",
        sa.Column("issue_id", sa.String(length=120), nullable=False),
        sa.Column("feedback_id", sa.String(length=300), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.feedback_id"],
            name=op.f("fk_issue_member_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.issue_id"], name=op.f("fk_issue_member_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("issue_id", "feedback_id", name=op.f("pk_issue_member")),
    )
    with op.batch_alter_table("issue_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_member_feedback_id"), ["feedback_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issue_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_member_feedback_id"))

    op.drop_table("issue_member")
    op.drop_table("issue_daily")
    op.drop_table("feedback_touchpoint")
    with op.batch_alter_table("feedback_sentiment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_sentiment_content_hash_model_name_model_version"))

    op.drop_table("feedback_sentiment")
    op.drop_table("touchpoint_daily")
    with op.batch_alter_table("raw_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_record_source_external_id"))

    op.drop_table("raw_record")
    op.drop_table("quarantine")
    op.drop_table("pipeline_run")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_touchpoint"))

    op.drop_table("issue")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_created_day"))
        batch_op.drop_index(batch_op.f("ix_feedback_content_hash"))

    op.drop_table("feedback")
    op.drop_table("embedding")
