"""The `file` source: CSV, JSON Lines or Parquet exports mapped to feedback fields by config."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from cx_nlp.config import FileSourceConfig
from cx_nlp.records import QuarantinedRecord, RawRecord, SourceRecord


def _json_safe(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return value


def payload_key(payload: dict) -> str:
    """Stable key of a raw row: the same row delivered twice lands once; an edited row lands again."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def _has_bad_bytes(value: object) -> bool:
    # Undecodable bytes survive reading as lone surrogates (errors="surrogateescape").
    return isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value)


def _clean_payload(payload: dict) -> dict:
    """JSON columns cannot hold lone surrogates: show undecodable bytes as U+FFFD in the kept payload."""
    return {
        k: (v.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_bad_bytes(v) else v)
        for k, v in payload.items()
    }


@dataclass
class LoadResult:
    raw: list[RawRecord] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    outside_interval: int = 0
    id_column: str = ""
    source: str = ""
    # Incremental sources deliver only what is new since their bookmark: their feedback is upserted,
    # not rewritten per interval, and `state` is the bookmark to commit with the records.
    incremental: bool = False
    state: dict | None = None


class FileStream:
    """A file export read as a stream: every row keyed by its payload, validated field by field."""

    primary_keys = ("external_id",)
    replication_key = "created_at"

    def __init__(self, config: FileSourceConfig, home: Path):
        self.config = config
        self.name = config.name
        self.path = config.path if config.path.is_absolute() else home / config.path

    def read_raw(self) -> Iterator[RawRecord]:
        if not self.path.is_file():
            raise FileNotFoundError(f"source {self.name}: file {self.path} not found")
        for position, payload in enumerate(self._rows(), start=1):
            payload = {str(k): _json_safe(v) for k, v in payload.items()}
            yield RawRecord(self.name, payload_key(payload), payload, position)

    def _rows(self) -> Iterator[dict]:
        fmt = self.config.format
        if fmt == "csv":
            with self.path.open(encoding=self.config.encoding, errors="surrogateescape", newline="") as handle:
                yield from csv.DictReader(handle)
        elif fmt == "jsonl":
            with self.path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    text = line.decode(self.config.encoding, errors="surrogateescape")
                    try:
                        row = json.loads(text)
                    except json.JSONDecodeError as exc:
                        # Kept as a row of its own so validation quarantines it with the reason.
                        row = {"__unparsed__": text.rstrip("\n"), "__error__": f"line {number}: invalid JSON: {exc.msg}"}
                    if not isinstance(row, dict):
                        row = {"__unparsed__": text.rstrip("\n"), "__error__": f"line {number}: not a JSON object"}
                    yield row
        else:
            import pyarrow.parquet as pq

            yield from pq.read_table(self.path).to_pylist()

    def validate(self, raw: RawRecord) -> SourceRecord | QuarantinedRecord:
        mapping = self.config.fields
        payload = raw.payload

        def reject(column: str, reason: str) -> QuarantinedRecord:
            return QuarantinedRecord(self.name, raw.record_key, column, reason, _clean_payload(payload))

        if "__error__" in payload:
            return reject("(row)", str(payload["__error__"]))
        for column, value in payload.items():
            if _has_bad_bytes(value):
                return reject(column, f"row {raw.position}: bytes that are not valid {self.config.encoding}")

        external_id = str(payload.get(mapping.id) or "").strip()
        if not external_id:
            return reject(mapping.id, f"row {raw.position}: missing id")
        where = f"record {external_id!r}"

        body = str(payload.get(mapping.text) or "").strip()
        title = str(payload.get(mapping.title) or "").strip() if mapping.title else ""
        text = f"{title}. {body}" if title and body else (title or body)
        if not text:
            return reject(mapping.text, f"{where}: empty text")

        created_raw = payload.get(mapping.created_at)
        created_at = parse_timestamp(created_raw, self.config.date_format)
        if created_at is None:
            return reject(mapping.created_at, f"{where}: unparseable date {created_raw!r}")

        rating = None
        if mapping.rating and payload.get(mapping.rating) not in (None, ""):
            value = payload[mapping.rating]
            try:
                rating = float(value)
            except (TypeError, ValueError):
                return reject(mapping.rating, f"{where}: rating {value!r} is not a number")
            scale = self.config.rating_scale
            if scale and not scale[0] <= rating <= scale[1]:
                return reject(mapping.rating, f"{where}: rating {value!r} outside {scale[0]:g}..{scale[1]:g}")

        source_kind = self.config.source_kind
        if mapping.source_kind and payload.get(mapping.source_kind):
            source_kind = str(payload[mapping.source_kind]).strip().lower()
            if source_kind not in ("review", "ticket", "complaint", "survey"):
                return reject(mapping.source_kind, f"{where}: unknown source kind {source_kind!r}")

        return SourceRecord(
            source=self.name,
            external_id=external_id,
            source_kind=source_kind,
            text=text,
            created_at=created_at,
            rating=rating,
            metadata={k: payload.get(k) for k in self.config.metadata if k in payload}
            | ({"score_type": self.config.score_type} if self.config.score_type and rating is not None else {}),
            raw_record_key=raw.record_key,
        )

    def load_interval(self, start: date, end: date) -> LoadResult:
        """Rows created in [start, end), plus every invalid row (no date can place it elsewhere)."""
        result = LoadResult(id_column=self.config.fields.id, source=self.name)
        for raw in self.read_raw():
            outcome = self.validate(raw)
            if isinstance(outcome, QuarantinedRecord):
                result.raw.append(raw)
                result.quarantined.append(outcome)
            elif start <= outcome.created_at.date() < end:
                result.raw.append(raw)
                result.records.append(outcome)
            else:
                result.outside_interval += 1
        return result


def parse_timestamp(value: object, date_format: str | None = None) -> datetime | None:
    """Parse to an aware UTC datetime; naive values are taken as UTC, bare dates as midnight."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    else:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            parsed = datetime.strptime(text, date_format) if date_format else datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
