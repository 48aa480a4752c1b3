"""Reads and writes of the pipeline. Every write of an interval happens inside one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import Connection, and_, delete, func, or_, select

from cx_nlp.embeddings import from_bytes
from cx_nlp.issues.records import PriorIssue
from cx_nlp.records import SentimentScore
from cx_nlp.spooled import SpooledList
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.reuse import redacted_payloads, touch_raw_records
from cx_nlp.warehouse.spool import FeedbackKey, ScoredRowSpool
from cx_nlp.warehouse.state import WarehouseStateStore
from cx_nlp.warehouse.statements import as_utc, chunks, insert_missing, upsert

# What a stored score is read back from: segments lack the chunk count and evidence (one chunk, none).
_SCORE_COLUMNS = {
    "content_hash", "label", "p_negative", "p_neutral", "p_positive", "score", "chunks", "evidence", "evidence_negative",
}  # fmt: skip


def cached_sentiment(
    connection: Connection, hashes: Sequence[str], model_name: str, model_version: str
) -> dict[str, SentimentScore]:
    """Scores already computed for the same text by the same model version, as a feedback or as a
    segment of one: a rerun re-scores nothing."""
    found: dict[str, SentimentScore] = {}
    unique = list(set(hashes))
    # Segments first: a whole feedback's score, with its chunk count and evidence, wins over a segment's
    # of the same text.
    for table in (t.feedback_segment, t.feedback_sentiment):
        columns = [c for c in table.c if c.name in _SCORE_COLUMNS]
        for part in chunks(unique):
            rows = connection.execute(
                select(*columns).where(
                    table.c.content_hash.in_(part),
                    table.c.model_name == model_name,
                    table.c.model_version == model_version,
                )
            ).mappings()
            for row in rows:
                found[row["content_hash"]] = SentimentScore(
                    label=row["label"],
                    negative=row["p_negative"],
                    neutral=row["p_neutral"],
                    positive=row["p_positive"],
                    score=row["score"],
                    chunks=row.get("chunks", 1),
                    model_name=model_name,
                    model_version=model_version,
                    evidence=row.get("evidence"),
                    evidence_negative=row.get("evidence_negative"),
                )
    return found


def cached_embeddings(
    connection: Connection, hashes: Sequence[str], model_name: str, model_version: str
) -> dict[str, np.ndarray]:
    return {h: from_bytes(v) for h, v in stored_vector_bytes(connection, hashes, (model_name, model_version))}


def stored_vector_bytes(
    connection: Connection, hashes: Sequence[str], embedding_model: tuple[str, str]
) -> Iterator[tuple[str, bytes]]:
    """(content hash, stored vector bytes) of those of `hashes` the cache holds for the model, read in
    chunks of hashes."""
    e = t.embedding
    for part in chunks(set(hashes)):
        yield from connection.execute(
            select(e.c.content_hash, e.c.vector).where(
                e.c.content_hash.in_(part),
                e.c.model_name == embedding_model[0],
                e.c.model_version == embedding_model[1],
            )
        ).tuples()


def write_embeddings(connection: Connection, rows: list[dict], replace: bool = False) -> None:
    """Store vectors in the embedding cache; `replace`: a forced re-score computed them again, and they
    replace the stored ones of the same text and model version (else those stay)."""
    write = upsert if replace else insert_missing
    write(connection, t.embedding, rows, ["content_hash", "model_name", "model_version"])


def content_owners_outside(connection: Connection, hashes: Sequence[str], start: date, end: date) -> dict[str, str]:
    """Feedback ids, from other intervals, that already carry these texts (cross-night duplicates)."""
    f = t.feedback
    owners: dict[str, tuple[datetime, str]] = {}
    for part in chunks(set(hashes)):
        rows = connection.execute(
            select(f.c.content_hash, f.c.created_at, f.c.feedback_id).where(
                f.c.content_hash.in_(part), ~and_(f.c.created_day >= start, f.c.created_day < end)
            )
        )
        for content_hash, created_at, feedback_id in rows:
            candidate = (as_utc(created_at), feedback_id)
            if content_hash not in owners or candidate < owners[content_hash]:
                owners[content_hash] = candidate
    return {h: owner[1] for h, owner in owners.items()}


def prior_issues(connection: Connection, window_end: date) -> list[PriorIssue]:
    """Every issue as the latest window before `window_end` left it (the state a night starts from)."""
    snap = t.issue_snapshot
    rows = connection.execute(
        select(snap).where(snap.c.window_end < window_end).order_by(snap.c.issue_id, snap.c.window_end)
    ).mappings()
    latest = {row["issue_id"]: dict(row) for row in rows}
    return [PriorIssue(**(row | {"centroid": from_bytes(row["centroid"])})) for _, row in sorted(latest.items())]


def mined_through(connection: Connection, window_end: date) -> date | None:
    """The end of the latest window before `window_end` that issue mining wrote (None: none)."""
    snap = t.issue_snapshot
    return connection.execute(select(func.max(snap.c.window_end)).where(snap.c.window_end < window_end)).scalar()


def mined_window(connection: Connection, window_end: date) -> dict | None:
    """The window ending `window_end` as its last mining left it (issue_window row), if it was mined and no
    later window has been mined since (a rerun of an older night mines again, as the history needs)."""
    snap, mined = t.issue_snapshot, t.issue_window
    later = connection.execute(select(func.max(snap.c.window_end))).scalar()
    if later is not None and later > window_end:
        return None
    row = connection.execute(select(mined).where(mined.c.window_end == window_end)).mappings().first()
    return dict(row) if row is not None else None


def window_issue_rows(connection: Connection, window_end: date) -> list[dict]:
    """The `issue` rows the window ending `window_end` mined (not those it left resolved or merged)."""
    issue = t.issue
    query = select(issue).where(issue.c.window_end == window_end, issue.c.status.not_in(("resolved", "merged")))
    return [dict(row) for row in connection.execute(query).mappings()]


def prior_memberships(connection: Connection) -> dict[tuple[str, int | None], str]:
    """Where the latest mined window put each unit: (feedback id, segment position) -> issue id."""
    m = t.issue_member
    rows = connection.execute(select(m.c.feedback_id, m.c.segment_positions, m.c.segment_position, m.c.issue_id))
    return {(feedback_id, p): issue_id for feedback_id, every, one, issue_id in rows for p in every or [one]}


def taken_issue_ids(connection: Connection, window_end: date) -> set[str]:
    """Issue ids that belong to other windows; ids first made by this window may be made again."""
    snap = t.issue_snapshot
    first_window = (
        select(snap.c.issue_id, func.min(snap.c.window_end).label("first_window")).group_by(snap.c.issue_id).subquery()
    )
    created_here = select(first_window.c.issue_id).where(first_window.c.first_window == window_end)
    return set(connection.execute(select(t.issue.c.issue_id).where(t.issue.c.issue_id.not_in(created_here))).scalars())


# (source, record key, redaction digest) of some raw records -> the (source, record key) of those the
# warehouse stores with that digest: their stored payload is the delivered one redacted as it would be now.
KeptPayloads = Callable[[list[tuple[str, str, str]]], Collection[tuple[str, str]]]


@dataclass
class IngestWrite:
    """What one ingest of an interval writes: raw records and quarantine as rows, the scored feedback's
    rows in the spool its chunks were set aside in."""

    run_id: str
    interval_start: date
    interval_end: date
    # Every delivered row, in order, made as the write reads it (`rows.raw_rows`), told which stored
    # payloads stay; a row without `payload` keeps the stored one (delivered again, redacted alike)
    # and is only brought up to date.
    raw_records: Callable[[KeptPayloads], Iterable[dict]]
    quarantine: list[dict]
    scored: ScoredRowSpool
    # Sources re-read whole each run: their partition is rewritten. Others (connectors) are upserted.
    snapshot_sources: list[str] = field(default_factory=list)
    source_states: dict[str, dict] = field(default_factory=dict)


# The tables of a spooled chunk's rows (`rows.scored_table_rows`, keyed by table name), parents first:
# a chunk's children land after its feedback rows.
_SCORED_TABLES = (t.feedback, t.feedback_sentiment, t.feedback_touchpoint, t.feedback_segment)


def write_ingest(connection: Connection, data: IngestWrite) -> int:
    """Rewrite the interval's feedback of the ingested sources; call inside `engine.begin()`. Returns
    how many raw rows it stored (a row delivered twice counts once)."""
    # Which stored payloads stay is asked of this transaction a part at a time, as the rows are made.
    raw_rows = data.raw_records(lambda wanted: redacted_payloads(connection, wanted))
    stored_raw = _write_raw_records(connection, raw_rows)
    upsert(connection, t.quarantine, data.quarantine, ["source", "record_key", "field"])

    f = t.feedback
    in_interval = and_(f.c.created_day >= data.interval_start, f.c.created_day < data.interval_end)
    # Feedback delivered again unchanged keeps its issue memberships: a rerun whose window is unchanged
    # keeps its issues without mining them again (`cx_nlp.pipeline.mine_window`); a changed text mines
    # anew. Read before their rows go; a rerun of a large interval keeps millions, so on disk past a few.
    kept_members: SpooledList[dict] = SpooledList()
    # The feedback's keys a few hundred at a time: bounded statements (PostgreSQL takes at most 65,535
    # parameters in one), and the interval's keys are never all in memory.
    for keys in chunks(key for part in data.scored.key_parts() for key in part):
        kept_members.extend(_unchanged_members(connection, keys, in_interval, data.snapshot_sources))
        # An incremental source's feedback delivered again (an edit, or a backfill from an earlier
        # bookmark) replaces its stored row wherever that lies.
        redelivered = [key.feedback_id for key in keys if key.source not in data.snapshot_sources]
        if redelivered:
            _delete_feedback(connection, f.c.feedback_id.in_(redelivered))
    # Snapshot sources are read whole: their interval is rewritten.
    _delete_feedback(connection, and_(in_interval, f.c.source.in_(data.snapshot_sources)))
    # One chunk's rows in memory at a time; each table's rows land in the order they were scored.
    for part in data.scored.parts():
        for table in _SCORED_TABLES:
            for rows in chunks(part[table.name]):
                connection.execute(table.insert(), list(rows))
    for part in chunks(kept_members):
        connection.execute(t.issue_member.insert(), part)
    kept_members.close()
    # Last, in the same transaction: a bookmark never runs ahead of the rows it stands for.
    states = WarehouseStateStore(connection, data.run_id)
    for stream, state in sorted(data.source_states.items()):
        states.set(stream, state)
    return stored_raw


def _delete_feedback(connection: Connection, which) -> None:
    """Delete the feedback rows `which` selects, children first, so the rewrite does not depend on the
    database enforcing ON DELETE CASCADE."""
    ids = select(t.feedback.c.feedback_id).where(which)
    for child in (t.issue_member, t.feedback_sentiment, t.feedback_touchpoint, t.feedback_segment):
        connection.execute(delete(child).where(child.c.feedback_id.in_(ids)))
    connection.execute(delete(t.feedback).where(which))


# Raw rows made, redacted and written at a time: their payloads are the largest thing an ingest writes.
RAW_ROWS_PER_WRITE = 2_000


def _write_raw_records(connection: Connection, raw_records: Iterable[dict]) -> int:
    """Upsert the rows that carry a payload, bring the others up to date, a few thousand at a time;
    the number of distinct rows. A row delivered twice (an exact repeat in one file) lands once, as
    its last delivery: the upsert of a later part updates what an earlier one inserted."""
    # Each distinct row counted by a 16-byte digest of its (source, key), in one buffer: with a set of
    # the keys, a million rows' write ended 19 MiB higher, 37 once free pages were given back.
    digests = bytearray()
    for part in chunks(raw_records, RAW_ROWS_PER_WRITE):
        latest = {(row["source"], row["record_key"]): row for row in part}
        for source, record_key in latest:
            digests += _row_digest(source, record_key)
        rows = list(latest.values())
        upsert(
            connection,
            t.raw_record,
            [r for r in rows if "payload" in r],
            ["source", "record_key"],
            keep=["first_run_id"],
        )
        touch_raw_records(connection, [r for r in rows if "payload" not in r])
    return len(np.unique(np.frombuffer(digests, dtype="V16"))) if digests else 0


def _row_digest(source: str, record_key: str) -> bytes:
    key = f"{source}\x00{record_key}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=16).digest()


def _unchanged_members(
    connection: Connection, keys: Sequence[FeedbackKey], in_interval, snapshot_sources: Sequence[str]
) -> list[dict]:
    """The issue_member rows of those `keys`' stored feedback that this write replaces (an incremental
    source's wherever it lies, a snapshot source's within the interval) and that comes back with the
    same text."""
    m, f = t.issue_member, t.feedback
    returning = {key.feedback_id: key.content_hash for key in keys}
    replaced = or_(f.c.source.not_in(snapshot_sources), in_interval)
    query = (
        select(m, f.c.content_hash)
        .join(f, f.c.feedback_id == m.c.feedback_id)
        .where(m.c.feedback_id.in_(list(returning)), replaced)
    )
    rows = connection.execute(query).mappings()
    return [
        {k: v for k, v in row.items() if k != "content_hash"}
        for row in rows
        if returning[row["feedback_id"]] == row["content_hash"]
    ]


@dataclass
class IssuesWrite:
    """The issue tables of one window as rows (`cx_nlp.warehouse.rows.issues_write`), recomputed from
    the feedback stored for it."""

    window_start: date
    window_end: date
    issues: list[dict]
    # Each issue as this window leaves it: those mined and those folded into another this window.
    snapshots: list[dict]
    resolved_issue_ids: list[str]
    # Prior issues folded into another this window: written with status "merged".
    merged_issue_ids: list[str]
    # Made as they are written (a generator: read once), since a large window has millions.
    issue_members: Iterable[dict]
    issue_daily: list[dict]
    touchpoint_daily: list[dict]
    lineage: list[dict] = field(default_factory=list)
    # The issue_window row: what the mining read (its digest) and the figures it gave.
    mined: dict | None = None


def write_issues(connection: Connection, data: IssuesWrite) -> None:
    """Replace the window's memberships and daily figures and upsert its issues, in one transaction."""
    window_ids = select(t.feedback.c.feedback_id).where(
        t.feedback.c.created_day >= data.window_start, t.feedback.c.created_day < data.window_end
    )
    connection.execute(delete(t.issue_member).where(t.issue_member.c.feedback_id.in_(window_ids)))
    current = [row["issue_id"] for row in data.issues]
    snap = t.issue_snapshot
    # An earlier attempt at this window may have made issues this attempt does not find: they go.
    first_window = (
        select(snap.c.issue_id, func.min(snap.c.window_end).label("first_window")).group_by(snap.c.issue_id).subquery()
    )
    stale = list(
        connection.execute(
            select(first_window.c.issue_id).where(
                first_window.c.first_window == data.window_end, first_window.c.issue_id.not_in(current)
            )
        ).scalars()
    )
    lineage = t.issue_lineage
    for part in chunks(stale):
        connection.execute(delete(lineage).where(lineage.c.related_issue_id.in_(part)))
    for table in (t.issue_member, t.issue_daily, lineage, snap, t.issue):
        for part in chunks(stale):
            connection.execute(delete(table).where(table.c.issue_id.in_(part)))
    connection.execute(delete(snap).where(snap.c.window_end == data.window_end))
    connection.execute(delete(lineage).where(lineage.c.window_end == data.window_end))
    upsert(connection, t.issue, data.issues, ["issue_id"])
    for part in chunks(data.resolved_issue_ids):
        connection.execute(t.issue.update().where(t.issue.c.issue_id.in_(part)).values(status="resolved"))
    for part in chunks(data.merged_issue_ids):
        connection.execute(t.issue.update().where(t.issue.c.issue_id.in_(part)).values(status="merged"))
    for part in chunks(data.snapshots):
        connection.execute(snap.insert(), list(part))
    for part in chunks(data.lineage):
        connection.execute(lineage.insert(), list(part))
    for part in chunks(data.issue_members):
        connection.execute(t.issue_member.insert(), part)
    for table in (t.issue_daily, t.touchpoint_daily):
        connection.execute(delete(table).where(table.c.day >= data.window_start, table.c.day < data.window_end))
    for table, rows in ((t.issue_daily, data.issue_daily), (t.touchpoint_daily, data.touchpoint_daily)):
        for part in chunks(rows):
            connection.execute(table.insert(), list(part))
    connection.execute(delete(t.issue_window).where(t.issue_window.c.window_end == data.window_end))
    if data.mined is not None:
        row = data.mined | {"window_start": data.window_start, "window_end": data.window_end}
        connection.execute(t.issue_window.insert(), [row | {"mined_at": datetime.now(UTC)}])


def start_run(
    connection: Connection,
    run_id: str,
    start: date,
    end: date,
    window_start: date,
    models: tuple[str, str],
    process: tuple[str, int],
) -> None:
    """Record a run as `running` in the process `process` (host, pid)."""
    upsert(
        connection,
        t.pipeline_run,
        [
            {
                "run_id": run_id,
                "interval_start": start,
                "interval_end": end,
                "window_start": window_start,
                "started_at": datetime.now(UTC),
                "finished_at": None,
                "status": "running",
                "error": None,
                "stats": {},
                "sentiment_model": models[0],
                "embedding_model": models[1],
                "report_path": None,
                "host": process[0],
                "pid": process[1],
            }
        ],
        ["run_id"],
    )


def running_runs(connection: Connection, host: str) -> list[tuple[str, int]]:
    """(run id, pid) of the runs recorded as running in a process of `host`."""
    run = t.pipeline_run
    query = select(run.c.run_id, run.c.pid).where(run.c.status == "running", run.c.host == host, run.c.pid.is_not(None))
    return [(run_id, pid) for run_id, pid in connection.execute(query)]


def finish_run(
    connection: Connection,
    run_id: str,
    status: str,
    stats: dict,
    error: str | None = None,
    report_path: str | None = None,
) -> None:
    connection.execute(
        t.pipeline_run.update()
        .where(t.pipeline_run.c.run_id == run_id)
        .values(
            status=status,
            finished_at=datetime.now(UTC),
            stats=stats,
            error=error,
            report_path=report_path,
        )
    )


def interval_runs(connection: Connection) -> list[dict]:
    """Every interval's run as recorded: start, end, when it (last) started, and its status."""
    run = t.pipeline_run
    rows = connection.execute(
        select(run.c.interval_start, run.c.interval_end, run.c.started_at, run.c.status).order_by(
            run.c.interval_end, run.c.interval_start
        )
    )
    return [
        {"start": start, "end": end, "started_at": as_utc(started_at), "status": status}
        for start, end, started_at, status in rows
    ]


def latest_finished_run(connection: Connection) -> str | None:
    run = t.pipeline_run
    return connection.execute(
        select(run.c.run_id)
        .where(run.c.status.in_(["succeeded", "partial"]))
        .order_by(run.c.finished_at.desc())
        .limit(1)
    ).scalar()


def table_counts(connection: Connection) -> dict[str, int]:
    return {
        name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in t.metadata.tables.items()
    }


def star_rated_reviews(connection: Connection, languages: Sequence[str] = ("en",)) -> list[tuple[str, float]]:
    """Review texts with their star rating (1-5), for fine-tuning sentiment on the business's own words."""
    f = t.feedback
    rows = connection.execute(
        select(f.c.text, f.c.rating)
        .where(f.c.source_kind == "review", f.c.rating.is_not(None), f.c.language.in_(list(languages)))
        .order_by(f.c.feedback_id)
    )
    return [(text, float(rating)) for text, rating in rows]
