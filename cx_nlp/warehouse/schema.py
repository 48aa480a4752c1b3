"""The one place the warehouse schema is defined; Alembic migrations are generated from it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSONB on PostgreSQL so analysts can index and query metadata; plain JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")
Timestamp = DateTime(timezone=True)


def survey_kpi_columns() -> list[Column]:
    """NPS, CSAT and CES with their response counts, so BI tools can weight them when rolling up."""
    columns = []
    for kind in ("nps", "csat", "ces"):
        columns += [Column(kind, Float), Column(f"{kind}_responses", Integer, nullable=False, server_default="0")]
    return columns


pipeline_run = Table(
    "pipeline_run",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("interval_start", Date, nullable=False),
    Column("interval_end", Date, nullable=False),
    Column("window_start", Date, nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    Column("stats", Json, nullable=False, default=dict),
    Column("sentiment_model", String(200)),
    Column("embedding_model", String(200)),
    Column("report_path", Text),
    # Which process runs it: a run still `running` whose process on this host is gone was killed.
    Column("host", String(255)),
    Column("pid", Integer),
)

raw_record = Table(
    "raw_record",
    metadata,
    Column("source", String(100), primary_key=True),
    # Hash of the payload: the same row delivered twice lands once, a changed row lands again.
    Column("record_key", String(64), primary_key=True),
    Column("external_id", String(200)),
    Column("position", Integer, nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(16), nullable=False),  # loaded | duplicate | quarantined
    Column("feedback_id", String(300)),
    # Digest of the redaction that made `payload` (cx_nlp.feedback.payload_digest): a rerun under the
    # same one keeps the stored payload instead of redacting the delivered one again.
    Column("redacted_by", String(64)),
    Column("first_run_id", String(64), nullable=False),
    Column("last_run_id", String(64), nullable=False),
    Index(None, "source", "external_id"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("record_key", String(64), primary_key=True),
    Column("field", String(100), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("external_id", String(200)),
    Column("payload", Json, nullable=False),
    Column("run_id", String(64), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("feedback_id", String(300), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("language_confidence", Float, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("created_day", Date, nullable=False),
    Column("rating", Float),
    Column("metadata", Json, nullable=False, default=dict),
    Column("pii_redactions", Json, nullable=False, default=dict),
    Column("raw_record_key", String(64), nullable=False),
    # Digest of the source record and of the code and settings that normalised it
    # (cx_nlp.feedback.normalised_key): a rerun reuses the row instead of normalising the record again.
    Column("normalised_key", String(64)),
    Column("run_id", String(64), nullable=False),
    Index(None, "created_day"),
    Index(None, "content_hash"),
)

feedback_sentiment = Table(
    "feedback_sentiment",
    metadata,
    Column("feedback_id", String(300), ForeignKey("feedback.feedback_id", ondelete="CASCADE"), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("label", String(16), nullable=False),
    Column("p_negative", Float, nullable=False),
    Column("p_neutral", Float, nullable=False),
    Column("p_positive", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("chunks", Integer, nullable=False),
    # A multi-sentence text's most negative salient sentence and its negative probability: why a
    # ticket that thanks the agent but complains about a refund reads as negative.
    Column("evidence", Text),
    Column("evidence_negative", Float),
    Column("model_name", String(200), nullable=False),
    Column("model_version", String(100), nullable=False),
    Index(None, "content_hash", "model_name", "model_version"),
)

feedback_segment = Table(
    "feedback_segment",
    metadata,
    # The segments a feedback is read in (cx_nlp/segments.py): each sentence, or each side of a contrast
    # that joins two verdicts, with its own tone and touchpoint. Issues are mined from these.
    Column("feedback_id", String(300), ForeignKey("feedback.feedback_id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("char_start", Integer, nullable=False),
    Column("char_end", Integer, nullable=False),
    Column("label", String(16), nullable=False),
    Column("p_negative", Float, nullable=False),
    Column("p_neutral", Float, nullable=False),
    Column("p_positive", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("touchpoint", String(100), nullable=False),
    Column("touchpoint_confidence", Float, nullable=False),
    Column("touchpoint_method", String(16), nullable=False),
    Column("model_name", String(200), nullable=False),
    Column("model_version", String(100), nullable=False),
    Index(None, "content_hash", "model_name", "model_version"),
)

embedding = Table(
    "embedding",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("model_name", String(200), primary_key=True),
    Column("model_version", String(100), primary_key=True),
    Column("dimensions", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian
)

feedback_touchpoint = Table(
    "feedback_touchpoint",
    metadata,
    Column("feedback_id", String(300), ForeignKey("feedback.feedback_id", ondelete="CASCADE"), primary_key=True),
    Column("touchpoint", String(100), primary_key=True),
    Column("confidence", Float, nullable=False),
    Column("method", String(16), nullable=False),  # metadata | similarity | fallback
    Column("is_primary", Boolean, nullable=False),
)

issue = Table(
    "issue",
    metadata,
    Column("issue_id", String(120), primary_key=True),
    Column("touchpoint", String(100), nullable=False),
    # The language group it was mined in: the embedding model's own language(s) ("en"), another
    # language clustered on its own ("fr"), or "multi" when a multilingual model embeds them all.
    Column("language", String(16)),
    Column("label", Text, nullable=False),
    Column("keywords", Json, nullable=False),
    Column("representatives", Json, nullable=False),  # [{"feedback_id", "text"}]
    Column("centroid", LargeBinary, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("volume_last_7_days", Integer, nullable=False),
    Column("negative_share", Float, nullable=False),
    Column("mean_sentiment", Float, nullable=False),
    Column("mean_rating", Float),
    *survey_kpi_columns(),
    # Score change of the touchpoint if this issue's feedback were gone: mean stars, NPS points, CSAT
    # percentage points, CES points (1-7, higher is easier). Positive: the issue costs that much.
    Column("rating_impact", Float),
    Column("nps_impact", Float),
    Column("csat_impact", Float),
    Column("ces_impact", Float),
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("status", String(16), nullable=False),  # active | emerging | resolved | merged
    Column("window_end", Date, nullable=False),
    Column("run_id", String(64), nullable=False),
    Index(None, "touchpoint"),
)

issue_member = Table(
    "issue_member",
    metadata,
    Column("issue_id", String(120), ForeignKey("issue.issue_id", ondelete="CASCADE"), primary_key=True),
    Column("feedback_id", String(300), ForeignKey("feedback.feedback_id", ondelete="CASCADE"), primary_key=True),
    Column("similarity", Float, nullable=False),
    Column("method", String(16), nullable=False),  # known (joined a prior issue) | cluster | nearest
    # The feedback's segment that put it in the issue (its closest one); None: the whole feedback.
    Column("segment_position", Integer, nullable=True),
    # Every segment of the feedback that the issue holds (a JSON list, segment_position among them), so
    # the next night keeps each in its issue; NULL: the whole feedback is the unit, or the row predates it.
    Column("segment_positions", JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")),
    Index(None, "feedback_id"),
)

issue_daily = Table(
    "issue_daily",
    metadata,
    Column("issue_id", String(120), ForeignKey("issue.issue_id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("volume", Integer, nullable=False),
    Column("negative_share", Float, nullable=False),
    Column("mean_sentiment", Float, nullable=False),
)

touchpoint_daily = Table(
    "touchpoint_daily",
    metadata,
    Column("touchpoint", String(100), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("volume", Integer, nullable=False),
    Column("negative_share", Float, nullable=False),
    Column("mean_sentiment", Float, nullable=False),
    Column("mean_rating", Float),
    *survey_kpi_columns(),
)

source_state = Table(
    "source_state",
    metadata,
    # One bookmark per stream, moved in the same transaction that commits the stream's records:
    # never ahead of what is stored (at-least-once), and deduplicated on the primary key downstream.
    Column("stream", String(100), primary_key=True),
    Column("state", Json, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("run_id", String(64)),
)

issue_snapshot = Table(
    "issue_snapshot",
    metadata,
    # Each issue as one window left it. Mining a window starts from the state of the window before,
    # never from its own earlier attempt, so a rerun or backfill of a night gives the same issues.
    Column("issue_id", String(120), ForeignKey("issue.issue_id", ondelete="CASCADE"), primary_key=True),
    Column("window_end", Date, primary_key=True),
    Column("touchpoint", String(100), nullable=False),
    Column("language", String(16)),
    Column("label", Text, nullable=False),
    Column("centroid", LargeBinary, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("first_seen", Date, nullable=False),
)

issue_window = Table(
    "issue_window",
    metadata,
    # Each mined window: a digest of what its mining read (cx_nlp.issues.inputs) and the figures it
    # gave, so that a rerun of the latest window whose inputs did not change keeps its issues as mined.
    Column("window_end", Date, primary_key=True),
    Column("window_start", Date, nullable=False),
    Column("inputs_digest", String(64), nullable=False),
    Column("stats", Json, nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("mined_at", Timestamp, nullable=False),
)

issue_label = Table(
    "issue_label",
    metadata,
    # An analyst's name for an issue (`cx-nlp issues label`), shown instead of the keyword label. Kept
    # apart from `issue`, which every night rewrites, and without a foreign key: a rerun that drops and
    # finds an issue again must not take the analyst's name with it.
    Column("issue_id", String(120), primary_key=True),
    Column("label", Text, nullable=False),
    Column("set_at", Timestamp, nullable=False),
)

issue_merge = Table(
    "issue_merge",
    metadata,
    # An analyst's merge (`cx-nlp issues merge`): from the next night on, the feedback of `issue_id`
    # counts under `merged_into`, across touchpoints too. Like `issue_label`, outside the nightly rewrite.
    Column("issue_id", String(120), primary_key=True),
    Column("merged_into", String(120), nullable=False),
    Column("set_at", Timestamp, nullable=False),
)

issue_lineage = Table(
    "issue_lineage",
    metadata,
    # How issues became other issues: `issue_id` merged_into `related_issue_id`, or `issue_id`
    # split_from `related_issue_id`, in the window ending `window_end`.
    Column("issue_id", String(120), ForeignKey("issue.issue_id", ondelete="CASCADE"), primary_key=True),
    Column("related_issue_id", String(120), ForeignKey("issue.issue_id", ondelete="CASCADE"), primary_key=True),
    Column("event", String(16), primary_key=True),
    Column("window_end", Date, nullable=False),
    Column("run_id", String(64), nullable=False),
    Index(None, "related_issue_id"),
)
