"""The normalise stage: source records become feedback (clean, redact PII, hash, detect language,
de-duplicate on the record id and on the content)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cx_nlp.normalise import clean_text, content_hash, detect_language
from cx_nlp.pii import redact_metadata, redact_pii
from cx_nlp.records import Feedback, QuarantinedRecord, SourceRecord
from cx_nlp.sources.fields import MAX_ID_CHARS, id_problem, not_unicode


@dataclass
class NormaliseResult:
    feedback: list[Feedback] = field(default_factory=list)
    # (feedback_id of the dropped record, raw key, feedback_id it duplicates)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # raw keys replaced by a later version of the record


def feedback_id_of(record: SourceRecord) -> str:
    return f"{record.source}:{record.external_id}"


def normalise(
    records: Sequence[SourceRecord],
    payloads: dict[tuple[str, str], dict],
    earlier_owner: Callable[[Sequence[str]], dict[str, str]] = lambda hashes: {},
) -> NormaliseResult:
    """Clean, redact PII, hash and detect language; dedupe on (source, id), then on content.

    PII is redacted here, before any text is stored in `feedback` or reaches a model.
    `earlier_owner` maps content hashes to feedback already stored for other intervals.
    """
    result = NormaliseResult()
    latest: dict[str, SourceRecord] = {}
    for record in records:
        key = feedback_id_of(record)
        if key in latest and latest[key].raw_record_key != record.raw_record_key:
            # The same record delivered again with other content: the later row is the current version.
            result.superseded.append(latest[key].raw_record_key)
        latest[key] = record
    candidates: list[Feedback] = []
    for record in sorted(latest.values(), key=lambda r: (r.created_at, r.source, r.external_id)):
        outcome = to_feedback(record, payloads.get((record.source, record.raw_record_key), {}))
        if isinstance(outcome, QuarantinedRecord):
            result.quarantined.append(outcome)
        else:
            candidates.append(outcome)
    owners = dict(earlier_owner([f.content_hash for f in candidates]))
    for item in candidates:
        owner = owners.get(item.content_hash)
        if owner is not None and owner != item.feedback_id:
            result.duplicates.append((item.feedback_id, item.raw_record_key, owner))
            continue
        owners[item.content_hash] = item.feedback_id
        result.feedback.append(item)
    return result


def unfit(record: SourceRecord) -> tuple[str, str] | None:
    """(field, reason) when no warehouse can hold the record as it is, whatever source built it: an id
    it cannot store, text that is not Unicode (no hash, no model reads it), a rating that is no number."""
    bad_id = id_problem(record.external_id)
    if bad_id:
        too_long = len(record.external_id) > MAX_ID_CHARS
        where = f"record with key {record.raw_record_key}" if too_long else f"record {record.external_id!r}"
        return "id", f"{where}: {bad_id}"
    invalid = not_unicode(record.text)
    if invalid:
        return "text", f"record {record.external_id!r}: {invalid}"
    if record.rating is not None and not math.isfinite(record.rating):
        return "rating", f"record {record.external_id!r}: rating {record.rating} is not a number"
    return None


def to_feedback(record: SourceRecord, payload: dict) -> Feedback | QuarantinedRecord:
    """One record cleaned, redacted, hashed and its language detected; quarantined if no text is left."""
    problem = unfit(record)
    if problem:
        return QuarantinedRecord(record.source, record.raw_record_key, *problem, payload)
    cleaned = clean_text(record.text)
    if not cleaned:
        return QuarantinedRecord(
            record.source,
            record.raw_record_key,
            "text",
            f"record {record.external_id!r}: no text left after removing markup and quoted replies",
            payload,
        )
    redaction = redact_pii(cleaned)
    language, confidence = detect_language(redaction.text)
    return Feedback(
        feedback_id=feedback_id_of(record),
        source=record.source,
        external_id=record.external_id,
        source_kind=record.source_kind,
        text=redaction.text,
        content_hash=content_hash(redaction.text),
        language=language,
        language_confidence=round(float(confidence), 4),
        created_at=record.created_at,
        rating=record.rating,
        # Free-text metadata and the people it names (an author, a requester) are redacted like the text.
        metadata=redact_metadata(record.metadata),
        pii_redactions=dict(redaction.counts),
        raw_record_key=record.raw_record_key,
    )
