"""Survey exports (CSV or JSON Lines): one response per row, a score on a known scale and a verbatim.

`score_type` names the question (NPS 0-10, CSAT 1-5, CES 1-7); a score off that scale is quarantined
rather than clipped, because it usually means the export mixed questions. The score is kept as the
record's rating with `score_type` in metadata, so `cx_nlp.kpis` can compute the KPI from the records.

Responses with a score but no comment are quarantined as "empty text" like any textless row: a KPI
computed from the records alone covers the customers who commented, not all who answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cx_nlp.kpis import SCORE_RANGES
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.exports import ERROR_KEY, read_rows
from cx_nlp.sources.fields import SOURCE_NAME, infer_format, parse_timestamp, payload_key, storable_text
from cx_nlp.sources.streams import SourceError, Stream, SyncContext


class SurveyFields(BaseModel):
    """Column names of the export; the defaults are the layout `SurveyResponsesStream.schema` documents."""

    model_config = ConfigDict(extra="forbid")

    id: str = "response_id"
    score: str = "score"
    text: str = "comment"
    created_at: str = "submitted_at"


class SurveyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="survey_responses", pattern=SOURCE_NAME)
    kind: Literal["survey_responses"] = "survey_responses"
    path: Path
    format: Literal["csv", "jsonl"] | None = None
    score_type: Literal["nps", "csat", "ces"]
    fields: SurveyFields = Field(default_factory=SurveyFields)
    date_format: str | None = None
    encoding: str = "utf-8"
    # Further columns copied into metadata (e.g. "touchpoint", "store").
    metadata: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _format_from_suffix(self) -> SurveyConfig:
        if self.format is None:
            self.format = infer_format(self.path, ("csv", "jsonl"))  # type: ignore[assignment]
        return self


class SurveyResponsesStream(Stream):
    name = "survey_responses"
    primary_keys = ("response_id",)
    replication_key = "submitted_at"
    source_kind = "survey"
    config_model = SurveyConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["response_id", "score", "submitted_at"],
        "properties": {
            "response_id": {"type": ["string", "integer"]},
            "score": {"type": ["string", "number", "null"]},
            "comment": {"type": ["string", "null"]},
            "submitted_at": {"type": "string"},
        },
        "additionalProperties": True,
    }

    config: SurveyConfig

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        path = Path.cwd() / self.config.path
        if not path.is_file():
            raise SourceError(self.name, f"{path}: survey export not found")
        assert self.config.format is not None  # the config's validator sets it from the suffix
        # The file source's reader: CSV and JSON Lines read the same way everywhere (bad lines kept
        # as rows that name their error); only the validation differs here.
        yield from read_rows(path, self.config.format, self.config.encoding)

    def replication_value(self, payload: dict) -> datetime | None:
        return parse_timestamp(payload.get(self.config.fields.created_at), self.config.date_format)

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        if ERROR_KEY in payload:
            reason = storable_text(str(payload[ERROR_KEY]))
            return QuarantinedRecord(self.name, payload_key(payload), "(row)", reason, payload)
        fields = self.config.fields
        metadata = {"score_type": self.config.score_type}
        metadata.update({column: payload.get(column) for column in self.config.metadata if column in payload})
        return self.build_record(
            payload,
            id_field=fields.id,
            text_field=fields.text,
            created_at_field=fields.created_at,
            text=payload.get(fields.text),
            created_at=payload.get(fields.created_at),
            date_format=self.config.date_format,
            rating_field=fields.score,
            rating=payload.get(fields.score),
            rating_range=SCORE_RANGES[self.config.score_type],
            metadata=metadata,
        )
