"""The `file` source: CSV, JSON Lines or Parquet exports mapped to feedback fields by config.

A file is a snapshot stream: read whole each run and cut to the run's interval by `sync`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from cx_nlp.records import SOURCE_KINDS, QuarantinedRecord, RawRecord, SourceRecord
from cx_nlp.sources.exports import ERROR_KEY, read_rows
from cx_nlp.sources.fields import check_fields, parse_timestamp, payload_key, storable_text
from cx_nlp.sources.source_config import FileSourceConfig
from cx_nlp.sources.streams import SourceError, Stream, SyncContext


def _has_bad_bytes(value: object) -> bool:
    # Undecodable bytes survive reading as lone surrogates (errors="surrogateescape").
    return isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value)


def _column(name: str) -> str:
    # A payload's own key names the field of a rejection: the warehouse keeps 100 storable characters.
    name = storable_text(name)
    return name if len(name) <= 100 else name[:99] + "\u2026"


class FileStream(Stream):
    """A file export read as a snapshot stream: every row keyed by its payload, validated field by field."""

    incremental = False
    config: FileSourceConfig

    def __init__(self, config: FileSourceConfig, home: Path):
        super().__init__(config)
        self.path = config.path if config.path.is_absolute() else home / config.path
        self.primary_keys = (config.fields.id,)
        self.replication_key = config.fields.created_at

    def check(self) -> None:
        if not self.path.is_file():
            raise SourceError(self.name, f"file {self.path} not found")

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        self.check()
        assert self.config.format is not None  # the config's validator sets it from the suffix
        yield from read_rows(self.path, self.config.format, self.config.encoding)

    def replication_value(self, payload: dict) -> datetime | None:
        return parse_timestamp(payload.get(self.config.fields.created_at), self.config.date_format)

    def validate(self, raw: RawRecord) -> SourceRecord | QuarantinedRecord:
        # Reasons point at the row's number in the file, which is how a person finds it.
        return self._record(raw.payload, raw.record_key, where=f"row {raw.position}")

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        key = payload_key(payload)
        return self._record(payload, key, where=f"record with key {key}")

    def _record(self, payload: dict, key: str, *, where: str) -> SourceRecord | QuarantinedRecord:
        mapping = self.config.fields

        def reject(column: str, reason: str) -> QuarantinedRecord:
            # The payload as read: the warehouse shows what it cannot store as U+FFFD, with a note.
            return QuarantinedRecord(self.name, key, column, reason, payload)

        if ERROR_KEY in payload:
            return reject("(row)", storable_text(str(payload[ERROR_KEY])))
        for column, value in payload.items():
            if _has_bad_bytes(value):
                return reject(_column(column), f"{where}: bytes that are not valid {self.config.encoding}")

        checked = check_fields(
            reject,
            unnamed=where,
            id_field=mapping.id,
            id_value=payload.get(mapping.id),
            text_field=mapping.text,
            text=payload.get(mapping.text),
            title=payload.get(mapping.title) if mapping.title else "",
            created_at_field=mapping.created_at,
            created_at=payload.get(mapping.created_at),
            date_format=self.config.date_format,
            rating_field=mapping.rating,
            rating=payload.get(mapping.rating) if mapping.rating else None,
            rating_range=self.config.rating_scale,
        )
        if isinstance(checked, QuarantinedRecord):
            return checked
        external_id, text, created_at, rating = checked

        source_kind = self.config.source_kind
        if mapping.source_kind and payload.get(mapping.source_kind):
            source_kind = str(payload[mapping.source_kind]).strip().lower()
            if source_kind not in SOURCE_KINDS:
                return reject(mapping.source_kind, f"record {external_id!r}: unknown source kind {source_kind!r}")

        score = {"score_type": self.config.score_type} if self.config.score_type and rating is not None else {}
        return SourceRecord(
            source=self.name,
            external_id=external_id,
            source_kind=source_kind,
            text=text,
            created_at=created_at,
            rating=rating,
            metadata={k: payload.get(k) for k in self.config.metadata if k in payload} | score,
            raw_record_key=key,
        )
