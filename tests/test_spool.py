"""The scored rows of an interval set aside chunk by chunk (`cx_nlp.warehouse.spool`): read back as
built, one chunk at a time, with the keys the write needs before them, and written as the rows of one
pass would be."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from cx_nlp import spooled
from cx_nlp.feedback import NormaliseResult
from cx_nlp.records import UNSCORED, Feedback, ScoredDocument, ScoredSegment, SentimentScore, TouchpointAssignment
from cx_nlp.segments import Segment
from cx_nlp.warehouse import rows, store
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, migrate
from cx_nlp.warehouse.spool import FeedbackKey

TABLES = ("feedback", "feedback_sentiment", "feedback_touchpoint", "feedback_segment")  # the spool's parts

ROOT = Path(__file__).resolve().parent.parent
START, END = date(2026, 11, 2), date(2026, 11, 3)


def scored(number: int, label: str = "negative") -> ScoredDocument:
    text = f"Parcel {number} came late. The box was crushed."
    feedback = Feedback(
        feedback_id=f"fb-{number}",
        source="reviews" if number % 2 else "tickets",
        external_id=str(number),
        source_kind="review",
        text=text,
        content_hash=f"hash-{number}",
        language="en",
        language_confidence=0.99,
        created_at=datetime(2026, 11, 2, 9, number % 60, tzinfo=UTC),
        rating=2.0,
        metadata={"store": f"S{number % 3}", "tags": ["late", number]},
        raw_record_key=f"raw-{number}",
    )
    tone = SentimentScore(label, 0.7, 0.2, 0.1, -0.6, 1, "sentiment", "1")
    touchpoint = TouchpointAssignment("delivery", 0.8, "embedding")
    parts = [
        ScoredSegment(Segment(0, f"Parcel {number} came late.", 0, 20), f"seg-{number}-0", tone, touchpoint),
        ScoredSegment(Segment(1, "The box was crushed.", 21, 41), "seg-crushed", tone, touchpoint),
    ]
    return ScoredDocument(feedback, tone, [touchpoint, TouchpointAssignment("store", 0.3, "embedding")], parts)


def test_chunks_read_back_as_built_one_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr(spooled, "MAPPING_SPILL_FROM", 4)  # the raw records' feedback ids on disk
    chunks = [[scored(n) for n in range(0, 3)], [], [scored(n) for n in range(3, 8)], [scored(8, UNSCORED)]]
    documents = [d for chunk in chunks for d in chunk]
    raw_keys = [(d.feedback.source, f"raw-{i}") for i, d in enumerate(documents)]
    with rows.scored_row_spool("run-1") as spool:
        for chunk in chunks:
            spool.add(chunk)
        parts = list(spool.parts())
        keys = list(spool.key_parts())
        again = list(spool.parts())
        asked = [*raw_keys[::-2], ("reviews", "raw-99"), ("tickets", "raw-1")]  # the last two were not loaded
        loaded = spool.loaded_feedback_ids(asked)
        assert spool._loaded_by_raw.on_disk

    built = [rows.scored_table_rows(chunk, "run-1") for chunk in chunks if chunk]
    # Each chunk's keys lie before its rows in the file, and read apart from them.
    assert parts == again == built and len(parts) == 3
    assert all(set(part) == set(TABLES) for part in parts)
    assert [len(part["feedback"]) for part in parts] == [3, 5, 1] == [len(part) for part in keys]
    assert [key for part in keys for key in part] == [
        FeedbackKey(d.feedback.feedback_id, d.feedback.source, d.feedback.content_hash) for d in documents
    ]
    assert loaded == {key: f"fb-{key[1][4:]}" for key in raw_keys[::-2]}
    assert len(spool) == 9 and spool.segments == 18 and spool.unscored_language == 1
    assert [sum(len(part[table]) for part in parts) for table in TABLES] == [9, 9, 18, 18]
    assert spool._file.closed


def test_an_interval_written_from_its_spool_holds_the_rows_of_one_pass(tmp_path, warehouse_url):
    documents = [scored(n) for n in range(12)]
    engine = make_engine(warehouse_url)
    migrate(engine, ROOT / "sql")
    found = {}
    for name, chunk_size in (("one pass", 12), ("chunks of 5", 5)):
        with rows.scored_row_spool("run-1") as spool:
            for offset in range(0, len(documents), chunk_size):
                spool.add(documents[offset : offset + chunk_size])
            write = rows.ingest_write("run-1", START, END, [], NormaliseResult(), spool)
            with engine.begin() as connection:
                store.write_ingest(connection, write)
        with engine.connect() as connection:
            found[name] = {
                table.name: sorted(tuple(row) for row in connection.execute(select(table)))
                for table in (t.feedback, t.feedback_sentiment, t.feedback_touchpoint, t.feedback_segment)
            }
    engine.dispose()
    # The second write replaced the first (same feedback delivered again), with the same rows.
    assert found["chunks of 5"] == found["one pass"]
    assert [len(found["one pass"][name]) for name in found["one pass"]] == [12, 12, 24, 24]


def test_raw_rows_land_a_few_thousand_at_a_time_and_a_repeat_once(tmp_path, warehouse_url, monkeypatch):
    """The raw rows are made and written RAW_ROWS_PER_WRITE at a time: a row delivered twice, in two
    parts of the write, lands once with its last delivery's position, and counts once."""
    from cx_nlp.records import RawRecord
    from cx_nlp.sources.fields import payload_key
    from cx_nlp.sources.ingest import LoadResult
    from cx_nlp.spooled import SpooledList

    monkeypatch.setattr(store, "RAW_ROWS_PER_WRITE", 3)
    payloads = [{"id": str(n), "body": f"Parcel {n} came late."} for n in range(7)]
    delivered = [*payloads, payloads[1], payloads[5]]  # two exact repeats, rows 9 and 10 of the file
    raw = SpooledList(
        (RawRecord("reviews", payload_key(p), p, position) for position, p in enumerate(delivered, 1)), spill_from=4
    )
    load = LoadResult(raw=raw, id_column="id", source="reviews")
    engine = make_engine(warehouse_url)
    migrate(engine, ROOT / "sql")
    with rows.scored_row_spool("run-1") as spool:
        write = rows.ingest_write("run-1", START, END, [load], NormaliseResult(), spool)
        with engine.begin() as connection:
            stored = store.write_ingest(connection, write)
    with engine.connect() as connection:
        found = {row.external_id: row for row in connection.execute(select(t.raw_record))}
    engine.dispose()

    assert stored == 7 and sorted(found) == [str(n) for n in range(7)]
    assert {n: found[n].position for n in ("0", "1", "5", "6")} == {"0": 1, "1": 8, "5": 9, "6": 7}
    assert found["3"].payload == payloads[3] and found["3"].status == "loaded"


def _written(engine, documents: list[ScoredDocument], loads=()) -> None:
    with rows.scored_row_spool("run-1") as spool:
        for offset in range(0, len(documents), 400):
            spool.add(documents[offset : offset + 400])
        write = rows.ingest_write("run-1", START, END, list(loads), NormaliseResult(), spool)
        with engine.begin() as connection:
            store.write_ingest(connection, write)


def test_a_large_redelivery_is_replaced_in_bounded_statements_and_keeps_unchanged_members(warehouse_url):
    """An incremental source delivering again more feedback than one statement may name (PostgreSQL
    takes 65,535 parameters) is replaced a few hundred keys at a time; the feedback that comes back
    with the same text keeps its issue memberships, a changed text loses them; a snapshot source's
    interval is rewritten whole."""
    from dataclasses import replace

    from sqlalchemy import event

    from cx_nlp.sources.ingest import LoadResult

    engine = make_engine(warehouse_url)
    migrate(engine, ROOT / "sql")
    documents = [scored(n) for n in range(1_300)]  # odd numbers from "reviews", even from "tickets"
    _written(engine, documents)
    issue = {
        "issue_id": "delivery-0001", "touchpoint": "delivery", "label": "late", "keywords": [],
        "representatives": [], "centroid": b"\x00" * 16, "volume": 1_300, "volume_last_7_days": 1_300,
        "negative_share": 1.0, "mean_sentiment": -0.5, "first_seen": START, "last_seen": START,
        "status": "active", "window_end": END, "run_id": "r",
    }  # fmt: skip
    with engine.begin() as connection:
        connection.execute(t.issue.insert(), [issue])
        member = {"issue_id": "delivery-0001", "similarity": 0.9, "method": "cluster"}
        connection.execute(t.issue_member.insert(), [member | {"feedback_id": f"fb-{n}"} for n in range(1_300)])

    # Again, with every third text changed and "tickets" now read whole (a snapshot) without fb-0.
    again = [
        replace(d, feedback=replace(d.feedback, content_hash=f"changed-{n}")) if n % 3 == 0 else d
        for n, d in enumerate(documents)
        if n != 0
    ]
    parameters: list[tuple[str, int]] = []

    def count(conn, cursor, statement, params, context, executemany):
        if not executemany and statement.lstrip().startswith(("DELETE", "SELECT")):
            parameters.append((statement.split()[0], len(params)))

    event.listen(engine, "before_cursor_execute", count)
    _written(engine, again, [LoadResult(raw=[], source="tickets", incremental=False)])
    event.remove(engine, "before_cursor_execute", count)
    with engine.connect() as connection:
        kept = set(connection.execute(select(t.issue_member.c.feedback_id)).scalars())
        stored = {i: h for i, h in connection.execute(select(t.feedback.c.feedback_id, t.feedback.c.content_hash))}
    engine.dispose()

    assert max(size for _, size in parameters) <= 500 + 10 and any(w == "DELETE" for w, _ in parameters)
    assert kept == {f"fb-{n}" for n in range(1, 1_300) if n % 3}
    assert sorted(stored) == sorted(d.feedback.feedback_id for d in again)  # fb-0 went with its snapshot
    assert stored["fb-3"] == "changed-3" and stored["fb-4"] == "hash-4"
