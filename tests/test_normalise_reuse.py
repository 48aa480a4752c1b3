"""A rerun of an interval reuses what normalising and redacting stored the first time: records delivered
again unchanged keep their feedback (text as redacted, language, hash) and their raw payloads as redacted,
without running language detection or PII redaction again. A changed record, another normalising code
or another redaction setting normalises afresh. Run on the planted-PII sources of test_pii_pipeline, on
SQLite and PostgreSQL, so reuse can never bring back a value that redaction took out."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import select
from test_pii_pipeline import END, START, _StandInModels, leak_counts, stored_texts, write_sources

from cx_nlp import feedback as feedback_module
from cx_nlp.pipeline import PipelineContext, run_interval
from cx_nlp.records import SourceRecord
from cx_nlp.warehouse import rows as rows_module
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, migrate


def _counting(monkeypatch) -> dict[str, int]:
    calls = {"redact_pii": 0, "detect_language": 0, "stored_payload": 0}
    for module, name in (
        (feedback_module, "redact_pii"),
        (feedback_module, "detect_language"),
        (rows_module, "_stored_payload"),
    ):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name.lstrip("_")] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def _tables(engine) -> dict[str, list[dict]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (dict(row) for row in connection.execute(select(table)).mappings()),
                key=lambda row: json.dumps(row, sort_keys=True, default=str),
            )
            for table in (t.feedback, t.raw_record, t.quarantine)
        }


@pytest.fixture
def pipeline(tmp_path, settings_factory, warehouse_url):
    settings = settings_factory(warehouse_url=warehouse_url, sources_config=write_sources(tmp_path))
    context = PipelineContext.from_settings(settings, models=_StandInModels())
    engine = make_engine(warehouse_url)
    migrate(engine, settings.path(settings.sql_dir))
    yield context, engine, tmp_path
    engine.dispose()


def test_a_rerun_neither_normalises_nor_redacts_again_and_stores_the_same_rows(pipeline, monkeypatch):
    context, engine, _ = pipeline
    calls = _counting(monkeypatch)
    first = run_interval(context, engine, START, END)
    first_calls, before = dict(calls), _tables(engine)
    assert (
        first_calls["redact_pii"] >= first.stats["feedback"]
        and first_calls["detect_language"] >= first.stats["feedback"]
    )
    assert all(row["normalised_key"] for row in before["feedback"])
    assert all(row["redacted_by"] for row in before["raw_record"])

    calls.update(dict.fromkeys(calls, 0))
    second = run_interval(context, engine, START, END)
    # Content duplicates have no feedback row of their own: they alone are normalised again.
    duplicates = sum(row["status"] == "duplicate" for row in before["raw_record"])
    assert duplicates > 0
    assert calls["redact_pii"] == calls["detect_language"] == duplicates
    # Only the quarantined rows' payloads are redacted again (they have no stored feedback to key on).
    assert calls["stored_payload"] == first_calls["stored_payload"] - first.stats["raw"]
    assert _tables(engine) == before
    assert {k: second.stats[k] for k in ("raw", "feedback", "duplicates", "quarantined", "pii_redactions")} == {
        k: first.stats[k] for k in ("raw", "feedback", "duplicates", "quarantined", "pii_redactions")
    }
    found = stored_texts(engine, open(second.report_path, encoding="utf-8").read())
    assert leak_counts({where: texts for where, texts in found.items() if where != "feedback.metadata"}) == {}


def test_a_changed_record_or_changed_normalising_code_normalises_afresh(pipeline, monkeypatch):
    context, engine, folder = pipeline
    run_interval(context, engine, START, END)
    duplicates = sum(row["status"] == "duplicate" for row in _tables(engine)["raw_record"])
    reviews = pd.read_csv(folder / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[reviews["review_id"] == "OK-0", "body"] += " Edited later."
    reviews.to_csv(folder / "reviews.csv", index=False)

    calls = _counting(monkeypatch)
    run_interval(context, engine, START, END)
    assert calls["detect_language"] == duplicates + 1  # the edited review and, as ever, the duplicates

    calls.update(dict.fromkeys(calls, 0))
    monkeypatch.setattr(feedback_module, "normalise_code_digest", lambda names: "another version of the code")
    monkeypatch.setattr(rows_module, "payload_digest", lambda id_column, names: "another redaction")
    second = run_interval(context, engine, START, END)
    assert calls["detect_language"] >= second.stats["feedback"]
    assert calls["stored_payload"] >= second.stats["raw"]


def test_the_key_covers_every_field_of_the_record_and_the_code():
    record = SourceRecord(
        "reviews", "RV-1", "review", "Parcel late", datetime(2026, 10, 20, tzinfo=UTC), 2.0, {"a": "b"}, "k1"
    )
    key = feedback_module.normalised_key(record, "code")
    assert key == feedback_module.normalised_key(dataclasses.replace(record), "code")
    assert feedback_module.normalised_key(record, "other code") != key
    changes = {"source": "x", "external_id": "x", "source_kind": "ticket", "text": "Parcel later",
               "created_at": datetime(2026, 10, 21, tzinfo=UTC), "rating": 3.0, "metadata": {"a": "c"}, "raw_record_key": "k2"}  # fmt: skip
    assert set(changes) == {f.name for f in dataclasses.fields(SourceRecord)}
    for name, value in changes.items():
        assert feedback_module.normalised_key(dataclasses.replace(record, **{name: value}), "code") != key, name
    assert feedback_module.normalise_code_digest(True) != feedback_module.normalise_code_digest(False)
    assert feedback_module.payload_digest("id", False) != feedback_module.payload_digest("review_id", False)
