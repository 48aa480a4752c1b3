"""Files and connectors behind one Stream contract: one path through ingest, and the catalog the CLI prints."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cx_nlp.config import SourcesConfig
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.catalog import SourceRow, check_sources, describe_sources
from cx_nlp.sources.file import FileStream
from cx_nlp.sources.ingest import LoadResult, ingest, load_source, open_stream
from cx_nlp.sources.source_config import FileSourceConfig
from cx_nlp.sources.streams import MemoryStateStore, Stream, StreamState, SyncContext, sync

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"id": "id", "text": "body", "created_at": "when", "rating": "stars"}
CSV = (
    "id,body,when,stars\n"
    "a1,Parcel was late,2026-10-20,2\n"  # row 1
    "a0,Old news,2026-09-01,3\n"  # row 2: before the interval
    "a1,Parcel was late,2026-10-20,2\n"  # row 3: the same row again
    ",no id and no date,,4\n"  # row 4: invalid, kept whatever its date
    "a2,Much later,2026-12-24,5\n"  # row 5: after the interval
    "a3,Refund at last,2026-10-31,4\n"  # row 6
)


def file_source(tmp_path: Path, name: str = "reviews", content: str = CSV, **extra) -> FileSourceConfig:
    (tmp_path / f"{name}.csv").write_text(content)
    values = {"name": name, "path": f"{name}.csv", "source_kind": "review", "fields": FIELDS} | extra
    return FileSourceConfig.model_validate(values)


class NoStateStore:
    """A state store a snapshot must never read from."""

    def get(self, stream_name: str) -> dict | None:
        raise AssertionError(f"a snapshot stream asked for the bookmark of {stream_name}")

    def set(self, stream_name: str, state: dict) -> None:
        raise AssertionError("sync never writes state")


def test_a_file_stream_declares_the_stream_contract(tmp_path):
    stream = open_stream(file_source(tmp_path), tmp_path)
    assert isinstance(stream, FileStream) and isinstance(stream, Stream)
    assert (stream.name, stream.primary_keys, stream.replication_key) == ("reviews", ("id",), "when")
    assert stream.incremental is False

    payloads = list(stream.get_records(SyncContext(stream="reviews", state=StreamState(), start=None)))
    assert payloads[0] == {"id": "a1", "body": "Parcel was late", "when": "2026-10-20", "stars": "2"}
    record = stream.to_source_record(payloads[0])
    assert isinstance(record, SourceRecord) and record.rating == 2.0
    assert record.created_at == datetime(2026, 10, 20, tzinfo=UTC)
    missing = stream.to_source_record(payloads[3])
    assert isinstance(missing, QuarantinedRecord) and missing.reason.endswith(": missing id")


def test_a_snapshot_keeps_the_interval_and_every_invalid_row_numbered_as_in_the_file(tmp_path):
    stream = open_stream(file_source(tmp_path), tmp_path)
    october = {"since": datetime(2026, 10, 1, tzinfo=UTC), "until": datetime(2026, 11, 1, tzinfo=UTC)}
    result = sync(stream, NoStateStore(), **october)

    assert [r.position for r in result.raw] == [1, 3, 4, 6]
    # Both copies of the repeated row are handed over: the warehouse keys raw rows, the run counts the repeat.
    assert result.raw[0].record_key == result.raw[1].record_key and result.duplicates == 0
    assert [r.external_id for r in result.records] == ["a1", "a1", "a3"]
    [invalid] = result.quarantined
    assert (invalid.field, invalid.reason) == ("id", "row 4: missing id")
    assert result.outside_interval == 2 and result.state is None


def test_ingest_reads_files_and_connectors_through_one_path(tmp_path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "complaints.mbox").write_bytes((ROOT / "tests" / "fixtures" / "complaints.mbox").read_bytes())
    file_source(tmp_path)
    sources = SourcesConfig.model_validate(
        {
            "sources": [
                {"name": "reviews", "path": "reviews.csv", "source_kind": "review", "fields": FIELDS},
                {"name": "inbox", "kind": "email_mbox", "options": {"path": "mail/complaints.mbox"}},
                {"name": "gone", "path": "gone.csv", "source_kind": "review", "fields": FIELDS},
            ]
        }
    )
    loads, failures = ingest(sources, tmp_path, date(2026, 10, 1), date(2026, 11, 1))

    reviews, inbox = loads
    assert isinstance(reviews, LoadResult)
    assert (reviews.source, reviews.id_column, reviews.incremental, reviews.state) == ("reviews", "id", False, None)
    assert len(reviews.raw) == 4 and reviews.outside_interval == 2
    assert (inbox.source, inbox.id_column, inbox.incremental) == ("inbox", "id", True)
    assert StreamState.from_dict(inbox.state).bookmark is not None and inbox.records
    assert failures == {"gone": f"SourceError: source gone: file {tmp_path / 'gone.csv'} not found"}


def test_a_connector_resumes_from_its_bookmark_and_ignores_the_interval_end(tmp_path):
    source = SourcesConfig.model_validate(
        {"sources": [{"name": "inbox", "kind": "email_mbox", "options": {"path": "tests/fixtures/complaints.mbox"}}]}
    ).sources[0]
    first = load_source(source, ROOT, date(2026, 10, 1), date(2026, 10, 2))
    # What is new since `start`, not cut at `end`: an incremental source has no interval end.
    assert any(r.created_at.date() >= date(2026, 10, 2) for r in first.records)
    store = MemoryStateStore({"inbox": first.state})
    again = load_source(source, ROOT, date(2026, 10, 1), date(2026, 11, 1), store)
    assert again.raw == [] and again.state == first.state


# -- the catalog `cx-nlp sources list` and `cx-nlp sources check` print ---------------------------------


def test_describe_sources_names_what_each_reads_and_where_it_stands(tmp_path):
    sources = SourcesConfig.model_validate(
        {
            "sources": [
                {"name": "reviews", "path": "data/r.csv", "source_kind": "review", "fields": FIELDS},
                {"name": "inbox", "kind": "email_mbox", "options": {"path": "x.mbox"}},
                {"name": "helpdesk", "kind": "zendesk_tickets", "options": {}},
            ]
        }
    ).sources
    rows = describe_sources(sources, {"inbox": {"replication_key_value": "2026-10-22T16:00:00+00:00"}})
    assert rows == [
        SourceRow("reviews", "file", "data/r.csv (review)", "whole file each run"),
        SourceRow("inbox", "email_mbox", "connector", "2026-10-22T16:00:00+00:00"),
        SourceRow("helpdesk", "zendesk_tickets", "connector", "not loaded yet"),
    ]


def test_check_sources_reports_each_problem_without_fetching(tmp_path, monkeypatch):
    monkeypatch.delenv("CX_NO_SUCH_TOKEN", raising=False)
    file_source(tmp_path)
    token = {"base_url": "https://acme.zendesk.example", "email": "a@acme.example", "api_token": "${CX_NO_SUCH_TOKEN}"}
    sources = SourcesConfig.model_validate(
        {
            "sources": [
                {"name": "reviews", "path": "reviews.csv", "source_kind": "review", "fields": FIELDS},
                {"name": "gone", "path": "gone.csv", "source_kind": "review", "fields": FIELDS},
                {"name": "helpdesk", "kind": "zendesk_tickets", "options": token},
                {"name": "shop", "kind": "yelp_reviews", "options": {"api_key": "k"}},
            ]
        }
    ).sources
    problems = dict(check_sources(sources, tmp_path))
    assert problems["reviews"] is None
    assert problems["gone"] == f"file {tmp_path / 'gone.csv'} not found"
    assert "CX_NO_SUCH_TOKEN is not set" in problems["helpdesk"]
    assert "business_id" in problems["shop"]


# -- the import direction between configuration and sources ---------------------------------------------


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "cx_nlp" / "sources").rglob("*.py")), ids=lambda p: p.name)
def test_no_sources_module_imports_the_configuration(path):
    # Function-level imports count too: config imports the sources' models, never the reverse.
    assert not any(name == "cx_nlp.config" or name.startswith("cx_nlp.config.") for name in _imports(path))
