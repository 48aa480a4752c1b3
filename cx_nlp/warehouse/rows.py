"""Typed records as warehouse rows: one builder per table, next to the schema they fill."""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial

import numpy as np

from cx_nlp.embeddings import from_bytes, to_bytes
from cx_nlp.feedback import NormaliseResult, payload_digest
from cx_nlp.issues.records import DayFigures, Issue, IssueMember, MinedWindow, PriorIssue, TouchpointDay, Verbatim
from cx_nlp.pii import names_enabled, redact_payload, redact_pii
from cx_nlp.records import QuarantinedRecord, ScoredDocument
from cx_nlp.sources.fields import MAX_ID_CHARS, storable_text
from cx_nlp.sources.ingest import LoadResult
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.spool import ScoredRowSpool
from cx_nlp.warehouse.statements import chunks
from cx_nlp.warehouse.store import IngestWrite, IssuesWrite, KeptPayloads

# The key a stored payload lists, under it, where it shows replaced what no warehouse stores.
REPLACED_KEY = "__replaced__"


def storable(value):
    """JSON columns take only JSON that both warehouses store alike: dates and other objects become strings.

    PostgreSQL's jsonb rejects what SQLite keeps (NUL, lone surrogates, NaN and infinities), and one
    such value would fail the whole write; so both are given the same copy, characters shown as U+FFFD
    and numbers as null, and a dict lists under REPLACED_KEY where (`body`, `meta.tags[2]`, a key).
    """
    replaced: list[str] = []
    clean = _replace_unstorable(json.loads(json.dumps(value, default=str)), "", replaced)
    if replaced and isinstance(clean, dict):
        clean[REPLACED_KEY] = list(dict.fromkeys(replaced))
    return clean


def _replace_unstorable(value, path: str, replaced: list[str]):
    if isinstance(value, str):
        clean = storable_text(value)
        if clean != value:
            replaced.append(path)
        return clean
    if isinstance(value, float) and not math.isfinite(value):
        replaced.append(path)
        return None
    if isinstance(value, list):
        return [_replace_unstorable(item, f"{path}[{i}]", replaced) for i, item in enumerate(value)]
    if isinstance(value, dict):
        clean = {}
        for key, item in value.items():
            name = storable_text(key)
            where = f"{path}.{name}" if path else name
            if name != key:
                replaced.append(where)
            clean[name] = _replace_unstorable(item, where, replaced)
        return clean
    return value


def columns(record) -> dict:
    """A dataclass as one flat row: nested figures (tone, KPIs, impact) become columns of their own."""
    row = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            row.update(columns(value))
        else:
            row[item.name] = value
    return row


def _external_id(payload: dict, id_column: str) -> str | None:
    # Any id as delivered, a quarantined one too: shown as the warehouse can keep it (no NUL, 200 characters).
    value = payload.get(id_column)
    return storable_text(str(value))[:MAX_ID_CHARS] if value not in (None, "") else None


# ---------------------------------------------------------------- ingest


def ingest_write(
    run_id: str,
    start: date,
    end: date,
    loads: Sequence[LoadResult],
    normalised: NormaliseResult,
    scored: ScoredRowSpool | Sequence[ScoredDocument],
) -> IngestWrite:
    """Everything one ingest of an interval writes (the vectors are in the embedding cache already:
    `cx_nlp.enrichment.enrich_interval`). `scored`: the interval's scored feedback, or the spool its
    chunks' rows were set aside in as the models finished them (`scored_row_spool`). The raw rows are
    made as the write reads them (`raw_rows`)."""
    if not isinstance(scored, ScoredRowSpool):
        documents, scored = scored, scored_row_spool(run_id)
        scored.add(documents)
    quarantined = [q for load in loads for q in load.quarantined] + normalised.quarantined
    return IngestWrite(
        run_id=run_id,
        interval_start=start,
        interval_end=end,
        raw_records=partial(raw_rows, loads, normalised, quarantined, scored.loaded_feedback_ids, run_id),
        quarantine=quarantine_rows(loads, quarantined, run_id),
        scored=scored,
        snapshot_sources=sorted(load.source for load in loads if not load.incremental),
        source_states={load.source: load.state for load in loads if load.incremental and load.state is not None},
    )


def scored_row_spool(run_id: str) -> ScoredRowSpool:
    """A spool for an interval's scored rows, built by `scored_table_rows`."""
    return ScoredRowSpool(run_id, scored_table_rows)


def scored_table_rows(scored: Sequence[ScoredDocument], run_id: str) -> dict[str, list[dict]]:
    """The rows of `feedback`, `feedback_sentiment`, `feedback_touchpoint` and `feedback_segment`, by
    table name (what `store.write_ingest` inserts them into)."""
    feedback, sentiment, touchpoints = scored_rows(scored, run_id)
    return {
        t.feedback.name: feedback,
        t.feedback_sentiment.name: sentiment,
        t.feedback_touchpoint.name: touchpoints,
        t.feedback_segment.name: segment_rows(scored),
    }


def _stored_payload(payload: dict, id_column: str) -> dict:
    """A payload as the warehouse keeps it: personal data redacted by the rules of the text
    (`cx_nlp.pii.redact_payload`), the id column as delivered. Record keys are hashes of the payload
    as delivered, computed at load, so a rerun lands on the same rows with the same redacted payload."""
    return storable(redact_payload(payload, keep={id_column}))


def raw_rows(
    loads: Sequence[LoadResult],
    normalised: NormaliseResult,
    quarantined: Sequence[QuarantinedRecord],
    loaded_feedback_ids: Callable[[list[tuple[str, str]]], Mapping[tuple[str, str], str]],
    run_id: str,
    kept_payloads: KeptPayloads = lambda wanted: (),
) -> Iterator[dict]:
    """Every row as a source delivered it, in order, with what became of it: loaded, duplicate,
    superseded or quarantined; without its payload where `kept_payloads` keeps the stored one (stored
    already, redacted as it would be now: a rerun does not redact it again). `loaded_feedback_ids` and
    `kept_payloads` are asked about `_ROWS_PER_LOOKUP` rows at a time: the feedback id each (source,
    record key) became (`ScoredRowSpool.loaded_feedback_ids`), and which stored payloads stay (the
    write asks the warehouse: `store.write_ingest`). Made as they are read (a payload redacted for
    storage is a copy of it); a row delivered twice comes twice, and lands once."""
    quarantined_keys = {(q.source, q.record_key) for q in quarantined}
    duplicate_of = {raw_key: owner for _, raw_key, owner in normalised.duplicates}
    superseded = set(normalised.superseded)
    names = names_enabled()
    for load in loads:
        digest = payload_digest(load.id_column, names)
        for part in chunks(load.raw, _ROWS_PER_LOOKUP):
            keys = [(raw.source, raw.record_key) for raw in part]
            loaded = loaded_feedback_ids(keys)
            kept = kept_payloads([(source, record_key, digest) for source, record_key in keys])
            for raw in part:
                key = (raw.source, raw.record_key)
                if key in quarantined_keys:
                    status, feedback_id = "quarantined", None
                elif raw.record_key in duplicate_of:
                    status, feedback_id = "duplicate", duplicate_of[raw.record_key]
                elif raw.record_key in superseded:
                    status, feedback_id = "superseded", None
                else:
                    status, feedback_id = "loaded", loaded.get(key)
                row = {
                    "source": raw.source,
                    "record_key": raw.record_key,
                    "external_id": _external_id(raw.payload, load.id_column),
                    "position": raw.position,
                    "status": status,
                    "feedback_id": feedback_id,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                    "redacted_by": digest,
                }
                if key not in kept:
                    row["payload"] = _stored_payload(raw.payload, load.id_column)
                yield row


# Raw rows whose feedback ids are asked for at once (the spool's map may be on disk).
_ROWS_PER_LOOKUP = 2_000


def quarantine_rows(loads: Sequence[LoadResult], quarantined: Sequence[QuarantinedRecord], run_id: str) -> list[dict]:
    id_columns = {load.raw[0].source: load.id_column for load in loads if load.raw}
    rows = {
        (q.source, q.record_key, q.field): {
            "source": q.source,
            "record_key": q.record_key,
            "field": q.field,
            "reason": redact_pii(q.reason, names=False).text,
            "external_id": _external_id(q.payload, id_columns.get(q.source, "")),
            "payload": _stored_payload(q.payload, id_columns.get(q.source, "")),
            "run_id": run_id,
        }
        for q in quarantined
    }
    return list(rows.values())


def segment_rows(scored: Sequence[ScoredDocument]) -> list[dict]:
    """Rows of `feedback_segment`: each segment with its tone and touchpoint."""
    return [
        {
            "feedback_id": document.feedback.feedback_id,
            "position": part.segment.position,
            "text": part.segment.text,
            "content_hash": part.content_hash,
            "char_start": part.segment.start,
            "char_end": part.segment.end,
            "label": part.sentiment.label,
            "p_negative": round(part.sentiment.negative, 6),
            "p_neutral": round(part.sentiment.neutral, 6),
            "p_positive": round(part.sentiment.positive, 6),
            "score": round(part.sentiment.score, 6),
            "touchpoint": part.touchpoint.touchpoint,
            "touchpoint_confidence": part.touchpoint.confidence,
            "touchpoint_method": part.touchpoint.method,
            "model_name": part.sentiment.model_name,
            "model_version": part.sentiment.model_version,
        }
        for document in scored
        for part in document.segments
    ]


def scored_rows(scored: Sequence[ScoredDocument], run_id: str) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of `feedback`, `feedback_sentiment` and `feedback_touchpoint`."""
    feedback_rows, sentiment_rows, touchpoint_rows = [], [], []
    for document in scored:
        f, s = document.feedback, document.sentiment
        feedback_rows.append(
            {
                "feedback_id": f.feedback_id,
                "source": f.source,
                "external_id": f.external_id,
                "source_kind": f.source_kind,
                "text": f.text,
                "content_hash": f.content_hash,
                "language": f.language,
                "language_confidence": f.language_confidence,
                "created_at": f.created_at,
                "created_day": f.created_at.date(),
                "rating": f.rating,
                "metadata": storable(f.metadata),
                "pii_redactions": f.pii_redactions,
                "raw_record_key": f.raw_record_key,
                "normalised_key": f.normalised_key or None,
                "run_id": run_id,
            }
        )
        sentiment_rows.append(
            {
                "feedback_id": f.feedback_id,
                "content_hash": f.content_hash,
                "label": s.label,
                "p_negative": round(s.negative, 6),
                "p_neutral": round(s.neutral, 6),
                "p_positive": round(s.positive, 6),
                "score": round(s.score, 6),
                "chunks": s.chunks,
                "evidence": s.evidence,
                "evidence_negative": s.evidence_negative,
                "model_name": s.model_name,
                "model_version": s.model_version,
            }
        )
        touchpoint_rows.extend(
            {
                "feedback_id": f.feedback_id,
                "touchpoint": assignment.touchpoint,
                "confidence": assignment.confidence,
                "method": assignment.method,
                "is_primary": position == 0,
            }
            for position, assignment in enumerate(document.touchpoints)
        )
    return feedback_rows, sentiment_rows, touchpoint_rows


def embedding_rows(new_vectors: dict[str, np.ndarray], embedding_ref: tuple[str, str]) -> list[dict]:
    return [
        {
            "content_hash": content_hash,
            "model_name": embedding_ref[0],
            "model_version": embedding_ref[1],
            "dimensions": int(vector.shape[0]),
            "vector": to_bytes(vector),
        }
        for content_hash, vector in sorted(new_vectors.items())
    ]


# ---------------------------------------------------------------- issues


def issue_row(issue: Issue) -> dict:
    row = columns(issue)
    row["representatives"] = [dataclasses.asdict(v) for v in issue.representatives]
    row["centroid"] = to_bytes(issue.centroid)
    return row


def from_columns(cls, row: dict):
    """The inverse of `columns`: a dataclass, its nested figures included, from one flat row."""
    hints = typing.get_type_hints(cls)
    values = {}
    for item in dataclasses.fields(cls):
        kind = hints[item.name]
        if dataclasses.is_dataclass(kind):
            values[item.name] = from_columns(kind, row)
        elif item.name in row:
            values[item.name] = row[item.name]
    return cls(**values)


def issue_from_row(row: dict) -> Issue:
    """An issue as `issue_row` stored it."""
    representatives = [Verbatim(**verbatim) for verbatim in row["representatives"]]
    return from_columns(Issue, row | {"representatives": representatives, "centroid": from_bytes(row["centroid"])})


def snapshot_row(issue: Issue | PriorIssue, window_end: date, status: str | None = None) -> dict:
    """An issue as the window ending `window_end` leaves it: where the next night starts from."""
    return {
        "issue_id": issue.issue_id,
        "touchpoint": issue.touchpoint,
        "language": issue.language,
        "label": issue.label,
        "centroid": to_bytes(issue.centroid),
        "volume": issue.figures.volume if isinstance(issue, Issue) else issue.volume,
        "status": status or (issue.figures.status if isinstance(issue, Issue) else issue.status),
        "first_seen": issue.first_seen,
        "window_end": window_end,
    }


def day_row(key: dict, day: DayFigures) -> dict:
    return key | columns(day)


def touchpoint_day_row(day: TouchpointDay) -> dict:
    return columns(day)


def issues_write(
    window_start: date,
    window_end: date,
    mined: MinedWindow,
    prior: Sequence[PriorIssue],
    touchpoint_days: Sequence[TouchpointDay],
    mined_row: dict | None = None,
) -> IssuesWrite:
    """The issue tables of one window: issues, snapshots, memberships, daily figures and lineage;
    `mined_row` the issue_window row (inputs digest, stats, run id)."""
    issues = [m.issue for m in mined.issues]
    merged_away = [p for p in prior if p.issue_id in mined.merged]
    return IssuesWrite(
        window_start=window_start,
        window_end=window_end,
        issues=[issue_row(issue) for issue in issues],
        snapshots=[snapshot_row(i, window_end) for i in issues]
        + [snapshot_row(p, window_end, status="merged") for p in merged_away],
        resolved_issue_ids=mined.silent,
        merged_issue_ids=[p.issue_id for p in merged_away],
        issue_members=(member_row(member) for m in mined.issues for member in m.members),
        issue_daily=[day_row({"issue_id": m.issue.issue_id}, day) for m in mined.issues for day in m.daily],
        touchpoint_daily=[touchpoint_day_row(day) for day in touchpoint_days],
        lineage=[dataclasses.asdict(event) for event in mined.lineage],
        mined=mined_row,
    )


_MEMBER_FIELDS = tuple(f.name for f in dataclasses.fields(IssueMember))


def member_row(member: IssueMember) -> dict:
    """A membership as its row: its fields as they are (`dataclasses.asdict` deep-copies each, ten
    times the cost over a million-document window's 2.4 million memberships: 20 s against 2)."""
    return {name: getattr(member, name) for name in _MEMBER_FIELDS}
