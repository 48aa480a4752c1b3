"""The `file` source: CSV, JSON Lines or Parquet exports mapped to feedback fields by config."""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from cx_nlp.config import FileSourceConfig
from cx_nlp.records import SOURCE_KINDS, QuarantinedRecord, RawRecord, SourceRecord


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

        checked = check_fields(
            reject,
            unnamed=f"row {raw.position}",
            id_field=mapping.id,
            id_value=payload.get(mapping.id),
            text_field=mapping.text,
            text=str(payload.get(mapping.text) or ""),
            title=str(payload.get(mapping.title) or "") if mapping.title else "",
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
        where = f"record {external_id!r}"

        source_kind = self.config.source_kind
        if mapping.source_kind and payload.get(mapping.source_kind):
            source_kind = str(payload[mapping.source_kind]).strip().lower()
            if source_kind not in SOURCE_KINDS:
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


def check_fields(
    reject: Callable[[str, str], QuarantinedRecord],
    *,
    unnamed: str,
    id_field: str,
    id_value: object,
    text_field: str,
    text: str,
    title: str = "",
    created_at_field: str,
    created_at: object,
    date_format: str | None = None,
    rating_field: str | None = None,
    rating: object = None,
    rating_range: tuple[float, float] | None = None,
) -> tuple[str, str, datetime, float | None] | QuarantinedRecord:
    """The checks every source applies, with one wording: (id, text, created_at, rating) or a rejection.

    `unnamed` says where a record without an id sits (its row, or its payload key), so the
    quarantine reason still points at it.
    """
    external_id = str(id_value or "").strip()
    if not external_id:
        return reject(id_field, f"{unnamed}: missing id")
    where = f"record {external_id!r}"

    body, title = (text or "").strip(), (title or "").strip()
    combined = f"{title}. {body}" if title and body else (title or body)
    if not combined:
        return reject(text_field, f"{where}: empty text")

    created = parse_timestamp(created_at, date_format)
    if created is None:
        return reject(created_at_field, f"{where}: unparseable date {created_at!r}")

    value = None
    if rating_field and rating not in (None, ""):
        try:
            value = float(rating)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return reject(rating_field, f"{where}: rating {rating!r} is not a number")
        if rating_range and not rating_range[0] <= value <= rating_range[1]:
            low, high = rating_range
            return reject(rating_field, f"{where}: rating {rating!r} outside {low:g}..{high:g}")
    return external_id, combined, created, value


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
