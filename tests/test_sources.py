"""File source: CSV / JSON Lines / Parquet mapping, and bad rows quarantined with a reason."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cx_nlp.config import FileSourceConfig
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.fields import parse_timestamp, payload_key
from cx_nlp.sources.ingest import LoadResult, load_source
from cx_nlp.sources.streams import SourceError
from cx_nlp.warehouse.rows import storable


def export(tmp_path: Path, name: str, content: bytes, **overrides) -> FileSourceConfig:
    """A file source written to `tmp_path`; tests load it as ingest loads every source (`load_source`)."""
    path = tmp_path / name
    path.write_bytes(content)
    config = {
        "name": "test_source",
        "path": str(path),
        "source_kind": "review",
        "fields": {"id": "id", "text": "body", "title": "title", "created_at": "when", "rating": "stars"},
        "rating_scale": [1, 5],
        "metadata": ["platform"],
    }
    config.update(overrides)
    return FileSourceConfig.model_validate(config)


def october(config: FileSourceConfig, home: Path) -> LoadResult:
    return load_source(config, home, date(2026, 10, 1), date(2026, 11, 1))


CSV = (
    b"id,title,body,when,stars,platform\n"
    b"r1,Late,Parcel came a week late,2026-10-20T10:00:00Z,1,google\n"
    b"r2,,Lovely sofa,2026-10-21,5,yelp\n"
    b",,no id here,2026-10-21,3,yelp\n"
    b"r4,,   ,2026-10-21,3,yelp\n"
    b"r5,,bad date,31/02/2026,3,yelp\n"
    b"r6,,out of range,2026-10-21,7,yelp\n"
    b"r7,,not a number,2026-10-21,five,yelp\n"
    b"r8,,outside the interval,2026-12-01,4,yelp\n"
)


def test_csv_rows_map_to_records_and_bad_rows_are_quarantined_with_reason(tmp_path):
    result = october(export(tmp_path, "reviews.csv", CSV), tmp_path)
    by_id = {r.external_id: r for r in result.records}
    assert sorted(by_id) == ["r1", "r2"]
    assert by_id["r1"].text == "Late. Parcel came a week late"
    assert by_id["r1"].rating == 1.0
    assert by_id["r1"].created_at == datetime(2026, 10, 20, 10, tzinfo=UTC)
    assert by_id["r1"].metadata == {"platform": "google"}
    assert by_id["r2"].created_at == datetime(2026, 10, 21, tzinfo=UTC)
    reasons = {(q.field, q.reason) for q in result.quarantined}
    assert ("id", "row 3: missing id") in reasons
    assert ("body", "record 'r4': empty text") in reasons
    assert ("when", "record 'r5': unparseable date '31/02/2026'") in reasons
    assert ("stars", "record 'r6': rating '7' outside 1..5") in reasons
    assert ("stars", "record 'r7': rating 'five' is not a number") in reasons
    assert result.outside_interval == 1
    # Nothing is lost: every row in the interval, valid or not, is kept raw.
    assert len(result.raw) == len(result.records) + len(result.quarantined) == 7
    quarantined = next(q for q in result.quarantined if q.field == "stars" and "five" in q.reason)
    assert quarantined.payload["stars"] == "five"


def test_bytes_that_are_not_utf8_are_quarantined_not_fatal(tmp_path):
    content = (
        b"id,title,body,when,stars,platform\nr1,,caf\xe9 was closed,2026-10-20,2,google\nr2,,fine,2026-10-20,4,google\n"
    )
    result = october(export(tmp_path, "reviews.csv", content), tmp_path)
    assert [r.external_id for r in result.records] == ["r2"]
    [bad] = result.quarantined
    assert bad.field == "body" and "not valid utf-8" in bad.reason
    assert bad.payload["body"] == "caf\udce9 was closed"  # kept as read: the warehouse shows it replaced
    assert storable(bad.payload)["body"] == "caf\ufffd was closed"
    assert storable(bad.payload)["__replaced__"] == ["body"]
    json.dumps(bad.payload)


def test_jsonl_invalid_line_is_quarantined_and_the_rest_loads(tmp_path):
    lines = [
        json.dumps({"id": "t1", "body": "<p>Refund missing</p>", "when": "2026-10-20T09:00:00+01:00"}),
        '{"id": "t2", "body": "truncated',
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "t3", "body": "Charged twice", "when": "2026-10-21T09:00:00Z"}),
    ]
    fields = {"id": "id", "text": "body", "created_at": "when"}
    config = export(tmp_path, "tickets.jsonl", "\n".join(lines).encode(), fields=fields)
    result = october(config, tmp_path)
    assert [r.external_id for r in result.records] == ["t1", "t3"]
    assert result.records[0].created_at == datetime(2026, 10, 20, 8, tzinfo=UTC)
    assert sorted(q.reason.split(":")[0] for q in result.quarantined) == ["line 2", "line 3"]
    assert all(q.field == "(row)" for q in result.quarantined)


def test_parquet_source_with_timestamps(tmp_path):
    import pandas as pd

    frame = pd.DataFrame(
        {
            "rid": ["s1", "s2"],
            "verbatim": ["Checkout kept rejecting my code", "Great store staff"],
            "at": pd.to_datetime(["2026-10-20 08:00", "2026-10-22 17:30"], utc=True),
            "nps": [2, 10],
        }
    )
    path = tmp_path / "surveys.parquet"
    frame.to_parquet(path)
    config = FileSourceConfig.model_validate(
        {
            "name": "surveys",
            "path": str(path),
            "source_kind": "survey",
            "fields": {"id": "rid", "text": "verbatim", "created_at": "at", "rating": "nps"},
            "rating_scale": [0, 10],
        }
    )
    result = load_source(config, tmp_path, date(2026, 10, 21), date(2026, 11, 1))
    assert [r.external_id for r in result.records] == ["s2"]
    assert isinstance(result.records[0], SourceRecord) and result.records[0].rating == 10
    assert result.outside_interval == 1
    assert isinstance(result.raw[0].payload["at"], str)  # JSON-able payload


def test_parquet_rows_are_read_in_batches_across_row_groups(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cx_nlp.sources import exports

    table = pa.table({"rid": [f"s{n}" for n in range(11)], "nps": [None if n % 4 == 0 else n for n in range(11)]})
    path = tmp_path / "surveys.parquet"
    pq.write_table(table, path, row_group_size=4)  # three row groups: 4, 4 and 3 rows
    expected = table.to_pylist()
    monkeypatch.setattr(exports, "PARQUET_BATCH_ROWS", 3)
    batches: list[int] = []

    class CountedBatches(pq.ParquetFile):
        def iter_batches(self, *args, **kwargs):
            for batch in super().iter_batches(*args, **kwargs):
                batches.append(batch.num_rows)
                yield batch

    monkeypatch.setattr(pq, "ParquetFile", CountedBatches)

    assert list(exports.read_rows(path, "parquet")) == expected
    assert max(batches) <= 3 and sum(batches) == 11


def test_payload_key_is_stable_and_content_sensitive():
    assert payload_key({"a": 1, "b": "x"}) == payload_key({"b": "x", "a": 1})
    assert payload_key({"a": 1}) != payload_key({"a": 2})


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2026-10-21T14:03:00Z", None, datetime(2026, 10, 21, 14, 3, tzinfo=UTC)),
        ("2026-10-21T14:03:00+02:00", None, datetime(2026, 10, 21, 12, 3, tzinfo=UTC)),
        ("10/21/2026", "%m/%d/%Y", datetime(2026, 10, 21, tzinfo=UTC)),
        ("not a date", None, None),
        ("", None, None),
    ],
)
def test_parse_timestamp(value, fmt, expected):
    assert parse_timestamp(value, fmt) == expected


def test_missing_file_names_the_source(tmp_path):
    config = export(tmp_path, "reviews.csv", CSV).model_copy(update={"path": tmp_path / "gone.csv"})
    with pytest.raises(SourceError, match=r"source test_source: file .*gone\.csv not found"):
        october(config, tmp_path)


def test_quarantined_record_type():
    record = QuarantinedRecord("s", "k", "f", "why", {})
    assert record.reason == "why"
