"""What a rerun reads back instead of computing it again: feedback as it was normalised, and raw
payloads as they were redacted (cx_nlp.feedback: `normalised_key`, `payload_digest`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, bindparam, select, update

from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.statements import chunks


def stored_feedback(connection: Connection, feedback_ids: Sequence[str]) -> dict[str, dict]:
    """The stored rows of these feedback ids that carry a `normalised_key`, by id."""
    f = t.feedback
    columns = (
        f.c.feedback_id,
        f.c.normalised_key,
        f.c.text,
        f.c.content_hash,
        f.c.language,
        f.c.language_confidence,
        f.c.metadata,
        f.c.pii_redactions,
    )
    out: dict[str, dict] = {}
    for part in chunks(feedback_ids):
        query = select(*columns).where(f.c.feedback_id.in_(part), f.c.normalised_key.is_not(None))
        out.update((row["feedback_id"], dict(row)) for row in connection.execute(query).mappings())
    return out


def redacted_payloads(connection: Connection, wanted: Collection[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """Of the (source, record key, redaction digest) asked for, the (source, record key) of raw records
    stored with that digest: their stored payload is the delivered one redacted as it would be now."""
    r = t.raw_record
    digests = {(source, key): digest for source, key, digest in wanted}
    found: set[tuple[str, str]] = set()
    for source in sorted({source for source, _ in digests}):
        keys = [key for s, key in digests if s == source]
        for part in chunks(keys):
            query = select(r.c.record_key, r.c.redacted_by).where(r.c.source == source, r.c.record_key.in_(part))
            found.update((source, key) for key, digest in connection.execute(query) if digest == digests[source, key])
    return found


# Everything of a raw record a rerun may change but its payload (and the run that first stored it).
_TOUCHED = ("external_id", "position", "status", "feedback_id", "last_run_id")


def touch_raw_records(connection: Connection, rows: Sequence[dict]) -> None:
    """Update raw records whose stored payload is kept: what became of each row in this run."""
    if not rows:
        return
    r = t.raw_record
    statement = (
        update(r)
        .where(r.c.source == bindparam("key_source"), r.c.record_key == bindparam("key_record"))
        .values({name: bindparam(f"new_{name}") for name in _TOUCHED})
    )
    for part in chunks(rows):
        connection.execute(
            statement,
            [
                {"key_source": row["source"], "key_record": row["record_key"]}
                | {f"new_{name}": row[name] for name in _TOUCHED}
                for row in part
            ],
        )
