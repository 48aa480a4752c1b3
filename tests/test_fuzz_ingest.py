"""Fuzzing the way in: any bytes in a CSV or JSON Lines export, and any records given to normalise.

Every row is loaded or quarantined, no exception escapes, and what lands in the warehouse reads back
as it was written, on SQLite and on PostgreSQL alike (scores are fakes: no model runs). Bounded and
derandomised, so CI sees the same examples every run: 100 per test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from cx_nlp.config import FileSourceConfig
from cx_nlp.feedback import normalise
from cx_nlp.records import RawRecord, ScoredDocument, SentimentScore, SourceRecord, TouchpointAssignment
from cx_nlp.sources.exports import read_rows
from cx_nlp.sources.ingest import LoadResult, load_source
from cx_nlp.warehouse import rows, store
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, upgrade

pytestmark = pytest.mark.fuzz

START, END = date(2026, 10, 1), date(2026, 11, 1)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = {"id": "id", "text": "body", "title": "title", "created_at": "when", "rating": "stars"}

# -- what hostile files and records are made of -----------------------------------------------------------

# Characters that have broken something somewhere: quotes, delimiters, line ends, NUL, lone surrogates,
# markup and entities, invisible and bidirectional marks, emoji; mixed with any character at all.
NASTY = ['"', ",", "\n", "\r", "\r\n", "\x00", "\ud83d", "\udce9", "\ufffd", "\ufeff", "\u2028", "\u202e", "é", "😀"]
NASTY += [
    "<p>",
    "</div>",
    "<br>",
    "&nbsp;",
    "&#0;",
    "&#xd83d;",
    "<script>x</script>",
    "> quoted",
    "-- ",
    "On Mon wrote:",
]
WORDS = ["parcel", "late", "refund", "never", "arrived", "great", "staff", "the", "was", "again", "sofa", "broken"]


def mostly(common: st.SearchStrategy, rare: st.SearchStrategy) -> st.SearchStrategy:
    """`common` four times in five: hostile values among ordinary ones, so rows also load and land."""
    return st.integers(0, 4).flatmap(lambda n: rare if n == 4 else common)


words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
nasty = st.lists(st.sampled_from(NASTY) | st.characters(), max_size=8).map("".join)
text = mostly(words, nasty | st.tuples(words, nasty, words).map("".join))
good_dates = st.sampled_from(["2026-10-20", "2026-10-21T09:30:00+01:00", "2026-10-31T23:59:59Z"])
bad_dates = st.sampled_from(["2026-12-01", "31/02/2026", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00", ""])
dates = mostly(good_dates, bad_dates | nasty)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
good_ids = st.sampled_from(["t1", "t2", "t3", "0", "A-17"]) | st.integers(0, 10**6)
ids = mostly(good_ids, st.sampled_from(["", " ", "x" * 201, "r\x002"]) | text | json_value)


def encoded(value: str) -> bytes:
    # Lone surrogates written as the bytes they stand for: invalid UTF-8, as a broken export has them.
    return value.encode("utf-8", errors="surrogatepass")


def csv_line(fields: list[str], quoting: str) -> bytes:
    if quoting == "none":  # as a careless export writes them: delimiters and quotes left as they are
        return b",".join(map(encoded, fields))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="", quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL).writerow(
        fields
    )
    return encoded(buffer.getvalue())


stars = mostly(st.sampled_from(["1", "5", "4", ""]), st.sampled_from(["7", "five", "nan", "1e999"]))
csv_fields = mostly(
    st.tuples(ids.map(str), text, text, dates, stars, text).map(list), st.lists(text | dates, max_size=8)
)
csv_row = st.builds(csv_line, csv_fields, st.sampled_from(["none", "minimal", "all"]))
csv_file = st.builds(
    lambda header, body, end: header + b"".join(row + end for row in body),
    mostly(st.just(b"id,title,body,when,stars,platform\n"), st.binary(max_size=40)),
    st.lists(mostly(csv_row, st.binary(max_size=60)), max_size=20),
    st.sampled_from([b"\n", b"\r\n", b"\r", b""]),
)
ticket = st.fixed_dictionaries(
    {"id": ids, "body": mostly(text, json_value), "when": dates},
    optional={
        "title": text,
        "stars": mostly(st.sampled_from([3, "4", 5]), json_value | st.just(1e400)),
        "platform": mostly(text, json_value),
    },
)
json_line = mostly(
    ticket.map(lambda row: json.dumps(row).encode()),  # lone surrogates as JSON escapes ("\ud83d")
    ticket.map(lambda row: encoded(json.dumps(row, ensure_ascii=False)))  # ... and as raw bytes
    | st.builds(lambda depth: b'{"id": "deep", "x": ' + b"[" * depth + b"]" * depth + b"}", st.integers(1, 3000))
    | st.builds(lambda digits: b'{"id": "big", "n": ' + b"9" * digits + b"}", st.integers(300, 5000))
    | st.binary(max_size=80),
)
jsonl_file = st.lists(json_line, max_size=20).map(lambda lines: b"\n".join(lines))

record = st.builds(
    lambda external_id, body, day, rating, metadata: (external_id, body, day, rating, metadata),
    mostly(good_ids.map(str), text.filter(bool) | st.sampled_from(["x" * 201, "r\x002"])),
    text | text.map(lambda body: f"<p>{body}</p>"),
    st.integers(0, 40),
    mostly(st.none() | st.floats(1, 5), st.floats()),
    st.dictionaries(text, json_value, max_size=3),
)

# -- one warehouse for all the examples of a test ------------------------------------------------------------


@pytest.fixture
def warehouse(warehouse_url):
    engine = make_engine(warehouse_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def fake_scored(feedback) -> list[ScoredDocument]:
    sentiment = SentimentScore("neutral", 0.2, 0.6, 0.2, 0.0, 1, "fake-sentiment", "0")
    touchpoint = [TouchpointAssignment("other", 1.0, "fallback")]
    return [ScoredDocument(f, sentiment, touchpoint) for f in feedback]


def same(stored, written) -> bool:
    """Equal as JSON: PostgreSQL's jsonb gives 1e300 back as the integer 10**300."""
    if isinstance(written, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == written.keys()
            and all(same(stored[k], v) for k, v in written.items())
        )
    if isinstance(written, list):
        return isinstance(stored, list) and len(stored) == len(written) and all(map(same, stored, written))
    if isinstance(written, bool) or isinstance(stored, bool) or not isinstance(written, (int, float)):
        return stored == written and type(stored) is type(written)
    return (
        stored == written if isinstance(stored, int) and isinstance(written, int) else float(stored) == float(written)
    )


def land(engine, loads: list[LoadResult], normalised) -> None:
    """Write as `ingest_interval` does, then read every row back as it was written."""
    scored = fake_scored(normalised.feedback)
    write = rows.ingest_write("fuzz", START, END, loads, normalised, scored)
    with engine.begin() as connection:
        for table in (t.feedback_touchpoint, t.feedback_sentiment, t.feedback, t.quarantine, t.raw_record):
            connection.execute(delete(table))
        stored_raw = store.write_ingest(connection, write)
    with engine.connect() as connection:
        raw = {(r.source, r.record_key): r for r in connection.execute(select(t.raw_record))}
        quarantine = {(r.source, r.record_key, r.field): r for r in connection.execute(select(t.quarantine))}
        feedback = {r.feedback_id: r for r in connection.execute(select(t.feedback))}
    written = [row for part in write.scored.parts() for row in part["feedback"]]
    delivered = list(write.raw_records(lambda wanted: ()))  # every row with its payload
    assert len(raw) == len({(r["source"], r["record_key"]) for r in delivered}) == stored_raw
    assert len(feedback) == len(written) == len(write.scored)
    for row in delivered:
        stored = raw[row["source"], row["record_key"]]
        assert same(stored.payload, row["payload"]) and (stored.external_id, stored.status) == (
            row["external_id"],
            row["status"],
        )
    for row in write.quarantine:
        stored = quarantine[row["source"], row["record_key"], row["field"]]
        assert same(stored.payload, row["payload"]) and stored.reason == row["reason"]
    for row in written:
        stored = feedback[row["feedback_id"]]
        assert (stored.text, stored.external_id, stored.content_hash) == (
            row["text"],
            row["external_id"],
            row["content_hash"],
        )
        assert same(stored.metadata, row["metadata"])


def load_file(tmp_path, fmt: str, content: bytes) -> LoadResult:
    path = tmp_path / f"fuzz.{fmt}"
    path.write_bytes(content)
    config = {"name": "fuzz", "path": str(path), "source_kind": "review", "fields": FIELDS, "rating_scale": [1, 5]}
    result = load_source(FileSourceConfig.model_validate(config | {"metadata": ["platform"]}), tmp_path, START, END)
    # Every row read is loaded, quarantined or outside the interval: nothing is lost on the way.
    assert len(result.raw) == len(result.records) + len(result.quarantined)
    assert len(result.raw) + result.outside_interval == len(list(read_rows(path, fmt)))
    return result


def assert_every_record_accounted_for(records: list[SourceRecord], normalised) -> None:
    keys = {r.raw_record_key for r in records}
    landed = {f.raw_record_key for f in normalised.feedback} | {q.record_key for q in normalised.quarantined}
    assert keys == landed | {key for _, key, _ in normalised.duplicates} | set(normalised.superseded)


# -- the tests ----------------------------------------------------------------------------------------------


@FUZZ
@given(content=csv_file)
def test_any_csv_file_lands_loaded_or_quarantined(warehouse, tmp_path, content):
    result = load_file(tmp_path, "csv", content)
    normalised = normalise(result.records, {})
    assert_every_record_accounted_for(result.records, normalised)
    land(warehouse, [result], normalised)


@FUZZ
@given(content=jsonl_file)
def test_any_json_lines_file_lands_loaded_or_quarantined(warehouse, tmp_path, content):
    result = load_file(tmp_path, "jsonl", content)
    normalised = normalise(result.records, {})
    assert_every_record_accounted_for(result.records, normalised)
    land(warehouse, [result], normalised)


@FUZZ
@given(drawn=st.lists(record, max_size=12))
def test_normalise_takes_any_records_and_the_warehouse_stores_them(warehouse, drawn):
    records, raw = [], []
    for position, (external_id, body, day, rating, metadata) in enumerate(drawn, start=1):
        key = hashlib.sha256(repr((position, external_id, body)).encode("utf-8", "surrogatepass")).hexdigest()[:32]
        created_at = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=day)
        records.append(SourceRecord("fuzz", external_id, "review", body, created_at, rating, metadata, key))
        raw.append(RawRecord("fuzz", key, {"id": external_id, "body": body} | metadata, position))
    payloads = {(r.source, r.record_key): r.payload for r in raw}
    normalised = normalise(records, payloads)
    assert_every_record_accounted_for(records, normalised)
    land(warehouse, [LoadResult(raw=raw, records=records, id_column="id", source="fuzz")], normalised)
