"""Writes generated documents (bench/generate.py) as the file exports `config/sources.yaml` reads.

One file per channel, streamed (a million documents never sit in memory at once): `reviews.csv`,
`social.jsonl`, `tickets.jsonl`, `complaints.csv` (the CFPB layout), `surveys.parquet`; a
`sources.yaml` that points at them with absolute paths, and `truth.csv` with each document's
planted touchpoint, topic and tone.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

from cx_nlp.sources.connectors.cfpb import CSV_COLUMNS

# The CFPB export's header, in order: the layout the connector reads.
CFPB_COLUMNS = list(CSV_COLUMNS)
SURVEY_BATCH = 50_000

SOURCES = {
    "portal_reviews": {
        "path": "reviews.csv",
        "format": "csv",
        "source_kind": "review",
        "fields": {"id": "review_id", "text": "body", "title": "title", "created_at": "posted_at", "rating": "stars"},
        "rating_scale": [1, 5],
        "metadata": ["platform", "store_location"],
    },
    "social_posts": {
        "path": "social.jsonl",
        "format": "jsonl",
        "source_kind": "review",
        "fields": {"id": "post_id", "text": "text", "created_at": "created_at"},
        "metadata": ["platform"],
    },
    "support_tickets": {
        "path": "tickets.jsonl",
        "format": "jsonl",
        "source_kind": "ticket",
        "fields": {"id": "ticket_id", "text": "description", "title": "subject", "created_at": "created"},
        "metadata": ["category", "channel", "priority"],
    },
    "cfpb_complaints": {
        "path": "complaints.csv",
        "format": "csv",
        "source_kind": "complaint",
        "fields": {"id": "Complaint ID", "text": "Consumer complaint narrative", "created_at": "Date received"},
        "date_format": "%m/%d/%Y",
        "metadata": ["Product", "Submitted via"],
    },
    "nps_surveys": {
        "path": "surveys.parquet",
        "format": "parquet",
        "source_kind": "survey",
        "fields": {"id": "response_id", "text": "verbatim", "created_at": "submitted_at", "rating": "nps"},
        "rating_scale": [0, 10],
        "score_type": "nps",
        "metadata": ["journey_step"],
    },
}


def sources_config(folder: Path) -> dict:
    """The `sources.yaml` content for files written into `folder` (absolute paths)."""
    entries = []
    for name, spec in SOURCES.items():
        entries.append({"name": name, "kind": "file", **spec, "path": str((folder / spec["path"]).resolve())})
    return {"sources": entries}


def _iso(doc) -> str:
    return doc.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(doc) -> tuple[str, dict | list]:
    """(file, row) of one document in its channel's layout."""
    meta = doc.metadata
    if doc.channel == "review":
        row = {"review_id": doc.id, "platform": meta["platform"], "posted_at": _iso(doc), "stars": doc.rating}
        row |= {"title": doc.title, "body": doc.text, "store_location": meta["store_location"]}
        return "reviews.csv", row
    if doc.channel == "social":
        return "social.jsonl", {"post_id": doc.id, "created_at": _iso(doc), "text": doc.text, **meta}
    if doc.channel == "ticket":
        created = doc.created_at.isoformat(timespec="seconds")
        return "tickets.jsonl", {
            "ticket_id": doc.id,
            "created": created,
            "subject": doc.title,
            "description": doc.text,
            **meta,
        }
    if doc.channel == "complaint":
        day = doc.created_at.strftime("%m/%d/%Y")
        row = dict.fromkeys(CFPB_COLUMNS, "")
        row |= {"Date received": day, "Date sent to company": day, "Company": "Northwind Home", "Submitted via": "Web"}
        row |= {"Consumer complaint narrative": doc.text, "Complaint ID": doc.id.split("-")[1], **doc.metadata}
        row |= {
            "Consumer consent provided?": "Consent provided",
            "Company response to consumer": "Closed with explanation",
        }
        return "complaints.csv", row
    return "surveys.parquet", {"response_id": doc.id, "submitted_at": doc.created_at, "nps": doc.rating}


def _survey_writer(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("response_id", pa.string()),
            ("submitted_at", pa.timestamp("us", tz="UTC")),
            ("nps", pa.int64()),
            ("verbatim", pa.string()),
            ("journey_step", pa.string()),
        ]
    )
    writer = pq.ParquetWriter(path, schema)

    def flush(rows: list[dict]) -> None:
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            rows.clear()

    return writer, flush


def write_files(documents: Iterable, folder: Path) -> Counter:
    """Writes each document into its channel's file; returns documents per file."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    counts: Counter = Counter()
    surveys: list[dict] = []
    with ExitStack() as stack:
        handles = {
            name: stack.enter_context((folder / name).open("w", encoding="utf-8", newline=""))
            for name in ("reviews.csv", "social.jsonl", "tickets.jsonl", "complaints.csv", "truth.csv")
        }
        reviews = csv.DictWriter(
            handles["reviews.csv"], ["review_id", "platform", "posted_at", "stars", "title", "body", "store_location"]
        )
        complaints = csv.DictWriter(handles["complaints.csv"], CFPB_COLUMNS)
        truth = csv.writer(handles["truth.csv"])
        for writer in (reviews, complaints):
            writer.writeheader()
        truth.writerow(["id", "channel", "touchpoint", "topic", "tone", "created_at"])
        parquet, flush = _survey_writer(folder / "surveys.parquet")
        stack.callback(parquet.close)
        stack.callback(flush, surveys)
        for doc in documents:
            name, row = _row(doc)
            counts[name] += 1
            truth.writerow([doc.id, doc.channel, doc.touchpoint, doc.topic, doc.tone, _iso(doc)])
            if name == "reviews.csv":
                reviews.writerow(row)
            elif name == "complaints.csv":
                complaints.writerow(row)
            elif name.endswith(".jsonl"):
                handles[name].write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                surveys.append(row | {"verbatim": doc.text, "journey_step": doc.metadata["journey_step"]})
                if len(surveys) >= SURVEY_BATCH:
                    flush(surveys)
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources_config(folder), sort_keys=False), encoding="utf-8")
    return counts
