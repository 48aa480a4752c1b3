"""The CFPB Consumer Complaint Database export (CSV or JSON), optionally narrowed to some companies.

The CSV export titles its columns for people ("Consumer complaint narrative"); the JSON export and
the CFPB API use snake_case field names (`complaint_what_happened`). CSV rows are delivered under
the JSON names, values untouched, so both formats land in the warehouse in one shape.

The bookmark is `date_received`. The CFPB publishes a complaint only after the company has answered
or 15 days have passed, so a complaint can appear after later-received ones were loaded; reload in
full now and then (clear the stream's state) to pick those up.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.exports import raise_csv_field_limit
from cx_nlp.sources.fields import SOURCE_NAME, infer_format
from cx_nlp.sources.streams import SourceError, Stream, SyncContext

log = logging.getLogger(__name__)

CSV_COLUMNS = {
    "Date received": "date_received",
    "Product": "product",
    "Sub-product": "sub_product",
    "Issue": "issue",
    "Sub-issue": "sub_issue",
    "Consumer complaint narrative": "complaint_what_happened",
    "Company public response": "company_public_response",
    "Company": "company",
    "State": "state",
    "ZIP code": "zip_code",
    "Tags": "tags",
    "Consumer consent provided?": "consumer_consent_provided",
    "Submitted via": "submitted_via",
    "Date sent to company": "date_sent_to_company",
    "Company response to consumer": "company_response",
    "Timely response?": "timely",
    "Consumer disputed?": "consumer_disputed",
    "Complaint ID": "complaint_id",
}
METADATA_FIELDS = (
    "product",
    "sub_product",
    "issue",
    "sub_issue",
    "company",
    "state",
    "tags",
    "submitted_via",
    "company_response",
    "company_public_response",
    "timely",
    "consumer_disputed",
)


def received_at(value: object) -> datetime | None:
    """`date_received` as midnight UTC: `MM/DD/YYYY` in the CSV, ISO (often with a noon time) in JSON."""
    text = str(value or "").strip()
    try:
        if "/" in text:
            day = datetime.strptime(text, "%m/%d/%Y").date()
        else:
            # The JSON export stamps every date at noon US Eastern; only the day means anything.
            day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class CfpbConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="cfpb_complaints", pattern=SOURCE_NAME)
    kind: Literal["cfpb_complaints"] = "cfpb_complaints"
    path: Path
    format: Literal["csv", "json"] | None = None
    # Company names as the CFPB spells them ("ACME BANK, N.A."), matched ignoring case; empty keeps all.
    companies: list[str] = Field(default_factory=list)
    encoding: str = "utf-8-sig"

    @model_validator(mode="after")
    def _format_from_suffix(self) -> CfpbConfig:
        if self.format is None:
            self.format = infer_format(self.path, ("csv", "json"))  # type: ignore[assignment]
        return self


class CfpbComplaintsStream(Stream):
    name = "cfpb_complaints"
    primary_keys = ("complaint_id",)
    replication_key = "date_received"
    source_kind = "complaint"
    config_model = CfpbConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["complaint_id", "date_received"],
        "properties": {
            "complaint_id": {"type": ["string", "integer"]},
            "date_received": {"type": "string"},
            "complaint_what_happened": {"type": ["string", "null"]},
            **{field: {"type": ["string", "null"]} for field in METADATA_FIELDS if field != "tags"},
            "tags": {"type": ["string", "array", "null"]},
            "zip_code": {"type": ["string", "null"]},
            "consumer_consent_provided": {"type": ["string", "null"]},
            "date_sent_to_company": {"type": ["string", "null"]},
        },
        "additionalProperties": True,
    }

    config: CfpbConfig

    def __init__(self, config: CfpbConfig):
        super().__init__(config)
        self._companies = {c.strip().casefold() for c in config.companies}

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        path = self.config.path
        if not path.is_file():
            raise SourceError(self.name, f"{path}: export file not found")
        rows = self._csv_rows(path) if self.config.format == "csv" else self._json_rows(path)
        skipped = 0
        for row in rows:
            if self._companies and str(row.get("company") or "").strip().casefold() not in self._companies:
                skipped += 1
                continue
            yield row
        if skipped:
            log.info("source %s: %d complaints about other companies skipped", self.name, skipped)

    def _csv_rows(self, path: Path) -> Iterator[dict]:
        # Narratives can be long; what no file source fails on, this one does not either.
        raise_csv_field_limit()
        with path.open(encoding=self.config.encoding, newline="") as handle:
            # strict: a download cut off inside a quoted narrative must fail, not become one short row:
            # the stream is incremental, and a bookmark moved past the cut would skip those complaints.
            reader = csv.DictReader(handle, strict=True)
            try:
                for row in reader:
                    yield {CSV_COLUMNS.get(k, k): v for k, v in row.items() if k is not None}
            except csv.Error as exc:
                raise SourceError(self.name, f"{path}, line {reader.line_num}: malformed CSV: {exc}") from exc

    def _json_rows(self, path: Path) -> Iterator[dict]:
        try:
            with path.open(encoding=self.config.encoding) as handle:
                data = json.load(handle)
        except RecursionError as exc:
            raise SourceError(self.name, f"{path}: invalid JSON: nested too deeply") from exc
        except ValueError as exc:  # JSONDecodeError, and integers too long for Python
            raise SourceError(self.name, f"{path}: invalid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise SourceError(self.name, f"{path}: expected a JSON array of complaints")
        for item in data:
            # The bulk file wraps each complaint as a search hit ({"_source": {...}}); API pages may not.
            row = item.get("_source", item) if isinstance(item, dict) else None
            if isinstance(row, dict):
                yield row

    def replication_value(self, payload: dict) -> datetime | None:
        return received_at(payload.get("date_received"))

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="complaint_id",
            text_field="complaint_what_happened",
            created_at_field="date_received",
            text=payload.get("complaint_what_happened"),
            created_at=received_at(payload.get("date_received")) or payload.get("date_received"),
            metadata={field: payload.get(field) for field in METADATA_FIELDS if field in payload},
        )
