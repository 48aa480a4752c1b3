"""Planted personal data through the real stages that store text, on SQLite and PostgreSQL: nothing of it
may be left in any table or in the report.

Two sources carry every value of `pii_cases.PLANTED` in their text, titles, free-text metadata, an
`author` column and nested payload fields, plus rows that fail validation (so they land in
`quarantine`) and ordinary feedback whose numbers must survive. `run_interval` runs load, normalise,
write, issue mining and the report; the fast test gives it stand-in models (a hashed bag of words for
embeddings, a sentiment that keeps a sentence as evidence, as the real one does), the `models` test
the real ones.
"""

from __future__ import annotations

import html
import json
import re
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pii_cases import CLEAN, NAMES, PLANTED, leaked
from sqlalchemy import select

from cx_nlp.pipeline import PipelineContext, run_interval
from cx_nlp.records import SentimentScore
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, migrate

START, END = date(2026, 10, 20), date(2026, 10, 28)
AUTHORS = [p.value for p in NAMES]


def _day(i: int) -> str:
    return f"2026-10-{20 + i % 7:02d}T{8 + i % 10:02d}:15:00Z"


def write_sources(folder: Path) -> Path:
    """reviews.csv and tickets.jsonl full of planted values; returns the sources config."""
    reviews, tickets = [], []
    for i, planted in enumerate(PLANTED):
        if i % 2 == 0:
            title = planted.text if i % 4 == 0 else "Still waiting"
            notes = planted.text if i % 3 == 0 else "called twice"
            reviews.append(
                {"review_id": f"RV-{i}", "posted_at": _day(i), "stars": 1 + i % 3, "title": title,
                 "body": planted.text, "author": AUTHORS[i % len(AUTHORS)], "store_location": "Leeds", "notes": notes}
            )  # fmt: skip
        else:
            tickets.append(
                {"ticket_id": f"ZD-{i}", "created": _day(i), "description": planted.text, "category": "billing",
                 "requester": {"name": AUTHORS[i % len(AUTHORS)], "email": f"user{i}@example.org", "id": i},
                 "custom": {"callback": planted.text}}
            )  # fmt: skip
    for i, text in enumerate(CLEAN):
        reviews.append(
            {"review_id": f"OK-{i}", "posted_at": _day(i), "stars": 2, "title": "", "body": text,
             "author": "", "store_location": "York", "notes": ""}
        )  # fmt: skip
    # Rows that fail validation: kept whole in quarantine, planted values and all.
    for i, planted in enumerate(PLANTED[::12]):
        bad = {"stars": "five"} if i % 2 else {"posted_at": f"call {PLANTED[40].value}"}
        reviews.append(
            {"review_id": f"BAD-{i}", "posted_at": _day(i), "stars": 1, "title": "", "body": planted.text,
             "author": AUTHORS[i], "store_location": "Hull", "notes": planted.text} | bad
        )  # fmt: skip
    pd.DataFrame(reviews).to_csv(folder / "reviews.csv", index=False)
    (folder / "tickets.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in tickets))
    config = {
        "sources": [
            {"name": "reviews", "path": str(folder / "reviews.csv"), "source_kind": "review",
             "fields": {"id": "review_id", "text": "body", "title": "title", "created_at": "posted_at",
                        "rating": "stars"},
             "rating_scale": [1, 5], "metadata": ["store_location", "notes", "author"]},
            {"name": "tickets", "path": str(folder / "tickets.jsonl"), "source_kind": "ticket",
             "fields": {"id": "ticket_id", "text": "description", "created_at": "created"},
             "metadata": ["category", "requester"]},
        ]
    }  # fmt: skip
    path = folder / "sources.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


class _Sentiment:
    """Stands in for the classifier: negative, with the longest sentence as evidence (the real model keeps
    the most negative one of a text of two or more)."""

    def score(self, texts, progress=None):
        scores = []
        for text in texts:
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
            evidence = max(sentences, key=len) if len(sentences) > 1 else None
            scores.append(SentimentScore("negative", 0.8, 0.15, 0.05, -0.75, 1, "stand-in", "1", evidence, 0.8))
        if progress:
            progress(len(texts))
        return scores


class _Embedder:
    """Stands in for the encoder: a hashed bag of words, so texts of one template cluster together."""

    def encode(self, texts, progress=None):
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % 384] += 1.0
        if progress:
            progress(len(texts))
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


class _StandInModels:
    sentiment = _Sentiment()
    embedder = _Embedder()
    tone_calibration = None  # document tones stay the stand-in's own


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def stored_texts(engine, report_html: str) -> dict[str, list[str]]:
    """Every string the run left, by where it lies."""
    columns = {
        "feedback.text": t.feedback.c.text,
        "feedback.metadata": t.feedback.c.metadata,
        "raw_record.payload": t.raw_record.c.payload,
        "quarantine.payload": t.quarantine.c.payload,
        "quarantine.reason": t.quarantine.c.reason,
        "feedback_sentiment.evidence": t.feedback_sentiment.c.evidence,
        "feedback_segment.text": t.feedback_segment.c.text,
        "issue.representatives": t.issue.c.representatives,
        "issue.label": t.issue.c.label,
        "issue.keywords": t.issue.c.keywords,
    }
    with engine.connect() as connection:
        found = {
            name: [s for v in connection.execute(select(c)).scalars() for s in _strings(v)]
            for name, c in columns.items()
        }
    found["report"] = [html.unescape(report_html)]
    return found


def leak_counts(found: dict[str, list[str]], planted=PLANTED) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for where, texts in found.items():
        for item in planted:
            hits = sum(leaked(item, text) for text in texts)
            if hits:
                counts[(where, f"{item.kind}:{item.value}")] = hits
    return counts


def _run(tmp_path: Path, settings_factory, warehouse_url: str, models):
    settings = settings_factory(warehouse_url=warehouse_url, sources_config=write_sources(tmp_path))
    context = PipelineContext.from_settings(settings, models=models)
    engine = make_engine(warehouse_url)
    migrate(engine, settings.path(settings.sql_dir))
    result = run_interval(context, engine, START, END)
    return engine, result, Path(result.report_path).read_text(encoding="utf-8")


@pytest.fixture
def stored(tmp_path, settings_factory, warehouse_url):
    engine, result, report = _run(tmp_path, settings_factory, warehouse_url, _StandInModels())
    yield engine, result, stored_texts(engine, report)
    engine.dispose()


def test_no_planted_value_is_left_in_any_table_or_the_report(stored):
    _, result, found = stored
    without_metadata = {where: texts for where, texts in found.items() if where != "feedback.metadata"}

    assert leak_counts(without_metadata) == {}
    # The places were really written: the planted rows, the bad ones, evidence, issues, the report.
    # (Redacted texts of one template are one content: the rest are stored as duplicates of it.)
    assert len(found["feedback.text"]) >= len(CLEAN) + 20 and result.stats["raw"] >= len(PLANTED) + len(CLEAN)
    assert found["quarantine.payload"] and found["feedback_sentiment.evidence"] and found["issue.representatives"]
    assert result.stats["quarantined"] >= 10 and result.stats["issues"] >= 1
    # Segments are cut from the redacted text: the placeholders are in them, the values nowhere.
    assert any(token in text for text in found["feedback_segment.text"] for token in ("[PHONE]", "[EMAIL]", "[CARD]"))
    assert "<blockquote>" in found["report"][0]


def test_authors_are_kept_out_of_the_raw_payloads(stored):
    _, _, found = stored
    surnames = [p for p in NAMES if any(p.value == a for a in AUTHORS)]
    payloads = {k: v for k, v in found.items() if k in ("raw_record.payload", "quarantine.payload")}

    assert leak_counts(payloads, surnames) == {}
    assert "[NAME]" in found["raw_record.payload"]


def test_feedback_metadata_keeps_names_and_planted_values_out(stored):
    _, _, found = stored
    metadata = {"feedback.metadata": found["feedback.metadata"]}

    assert leak_counts(metadata, PLANTED + NAMES) == {}


def test_ordinary_numbers_come_through_unchanged(stored):
    engine, _, _ = stored
    with engine.connect() as connection:
        texts = dict(
            connection.execute(
                select(t.feedback.c.external_id, t.feedback.c.text).where(t.feedback.c.source == "reviews")
            ).all()
        )
    assert [texts.get(f"OK-{i}") for i in range(len(CLEAN))] == CLEAN


def test_a_rerun_lands_on_the_same_rows(tmp_path, settings_factory, warehouse_url):
    engine, _, _ = _run(tmp_path, settings_factory, warehouse_url, _StandInModels())
    with engine.connect() as connection:
        first = sorted(
            map(tuple, connection.execute(select(t.raw_record.c.record_key, t.raw_record.c.payload)).all()), key=str
        )
    engine.dispose()

    engine, _, _ = _run(tmp_path, settings_factory, warehouse_url, _StandInModels())
    with engine.connect() as connection:
        again = sorted(
            map(tuple, connection.execute(select(t.raw_record.c.record_key, t.raw_record.c.payload)).all()), key=str
        )
        quarantined = connection.execute(select(t.quarantine.c.record_key)).scalars().all()
    engine.dispose()

    assert again == first and len(quarantined) == len(set(quarantined))


def test_the_real_models_read_and_store_only_redacted_text(tmp_path, settings_factory, warehouse_url, models):
    engine, _, report = _run(tmp_path, settings_factory, warehouse_url, models)
    found = stored_texts(engine, report)
    engine.dispose()

    assert leak_counts({k: v for k, v in found.items() if k != "feedback.metadata"}) == {}
    assert found["feedback_sentiment.evidence"]
