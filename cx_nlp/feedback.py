"""The normalise stage: source records become feedback (clean, redact PII, hash, detect language,
de-duplicate on the record id and on the content)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from cx_nlp.digests import code_digest, library_version
from cx_nlp.normalise import clean_text, content_hash, detect_language
from cx_nlp.pii import names_enabled, redact_metadata, redact_pii
from cx_nlp.pii_entities import SPACY_MODEL
from cx_nlp.records import Feedback, QuarantinedRecord, SourceRecord, hex_hash, packed_hex
from cx_nlp.sources.fields import MAX_ID_CHARS, id_problem, not_unicode
from cx_nlp.spooled import SpooledList

# Records normalised between two looks at the warehouse (stored rows, earlier owners of their texts).
NORMALISE_CHUNK = 2_000


@dataclass
class NormaliseResult:
    feedback: SpooledList[Feedback] = field(default_factory=SpooledList)
    # (feedback_id of the dropped record, raw key, feedback_id it duplicates). Spooled like the feedback:
    # the only strings made while normalising that outlive it, they would pin the heap's arenas.
    duplicates: SpooledList[tuple[str, str, str]] = field(default_factory=SpooledList)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # raw keys replaced by a later version of the record


def feedback_id_of(record: SourceRecord) -> str:
    return f"{record.source}:{record.external_id}"


# Normalising a record reads the record and, besides it, only this code, these libraries and whether
# names are redacted: a feedback row stored under the same `normalised_key` is the record normalised
# again, and a rerun reuses it (language detection and PII redaction were most of a rerun's time).
_PACKAGE = Path(__file__).resolve().parent
_NORMALISE_CODE = ("feedback.py", "normalise.py", "pii.py", "pii_entities.py", "pii_patterns.py", "pii_phones.py")
_NORMALISE_LIBRARIES = ("py3langid", "phonenumbers", "selectolax")
# Stored payloads: redacted by the same rules, made storable by the warehouse's rows.
_PAYLOAD_CODE = (_PACKAGE / "warehouse" / "rows.py",)


@cache
def normalise_code_digest(names: bool) -> str:
    """A digest of what normalising reads besides the record (`names`: the optional name detector)."""
    digest = hashlib.blake2b(digest_size=16)
    libraries = _NORMALISE_LIBRARIES + (("spacy", SPACY_MODEL.replace("_", "-")) if names else ())
    digest.update(
        code_digest([_PACKAGE / name for name in _NORMALISE_CODE] + [_PACKAGE / "sources" / "fields.py"]).encode()
    )
    digest.update(repr([(name, library_version(name)) for name in libraries] + [("names", names)]).encode())
    return digest.hexdigest()


def normalised_key(record: SourceRecord, code_digest: str) -> str:
    """What one record's feedback depends on: every field of the record, and the code's digest."""
    digest = hashlib.blake2b(digest_size=32)
    values = [getattr(record, item.name) for item in dataclasses.fields(record)]
    digest.update(repr([code_digest, *values]).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@cache
def payload_digest(id_column: str, names: bool) -> str:
    """How a source's raw payloads are stored: the redaction, the storable JSON, the id column kept."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(normalise_code_digest(names).encode())
    digest.update(code_digest(_PAYLOAD_CODE).encode())
    digest.update(repr(id_column).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def reused_feedback(record: SourceRecord, key: str, stored: Mapping[str, object]) -> Feedback:
    """The record's feedback from the row stored under the same key: its text as redacted, hash,
    language and redactions; everything else is the record's own (the key covers it)."""
    return Feedback(
        feedback_id=feedback_id_of(record),
        source=record.source,
        external_id=record.external_id,
        source_kind=record.source_kind,
        text=stored["text"],
        content_hash=stored["content_hash"],
        language=stored["language"],
        language_confidence=stored["language_confidence"],
        created_at=record.created_at,
        rating=record.rating,
        metadata=stored["metadata"],
        pii_redactions=stored["pii_redactions"],
        raw_record_key=record.raw_record_key,
        normalised_key=key,
    )


def normalise(
    records: Sequence[SourceRecord],
    payloads: Mapping[tuple[str, str], dict],
    earlier_owner: Callable[[Sequence[str]], dict[str, str]] = lambda hashes: {},
    stored: Callable[[Sequence[str]], Mapping[str, Mapping[str, object]]] = lambda ids: {},
) -> NormaliseResult:
    """Clean, redact PII, hash and detect language; dedupe on (source, id), then on content.

    PII is redacted here, before any text is stored in `feedback` or reaches a model.
    `payloads`: each raw record's payload by (source, record key), read for the records quarantined here.
    `earlier_owner` maps content hashes to feedback already stored for other intervals; `stored` maps
    feedback ids to their stored rows (with `normalised_key`): a record whose key matches its row's is
    not normalised again. Records are read NORMALISE_CHUNK at a time in the order of their creation, and
    the feedback and the duplicates go to `SpooledList`s: what stays in memory is a few keys a record
    while normalising (`FirstOwners`), and a file offset a feedback or duplicate after.
    """
    result = NormaliseResult()
    # The latest delivery of each record, by feedback id: its place in the order (date, source, id), its
    # index in `records` and its raw key (packed). One flat tuple, the source's name shared and the key
    # as bytes: records read back from disk bring every string as an object of its own.
    latest: dict[str, tuple[datetime, str, str, int, str | bytes]] = {}
    for index, record in enumerate(records):
        key = feedback_id_of(record)
        raw_key = packed_hex(record.raw_record_key)
        earlier = latest.get(key)
        if earlier is not None and earlier[4] != raw_key:
            # The same record delivered again with other content: the later row is the current version.
            result.superseded.append(hex_hash(earlier[4]))
        latest[key] = (record.created_at, sys.intern(record.source), record.external_id, index, raw_key)
    # No two entries share a source and id (they are the feedback id): the tuples sort by their place.
    order = array("q", (entry[3] for entry in sorted(latest.values())))
    del latest
    code = normalise_code_digest(names_enabled())
    owners = FirstOwners(result.feedback)
    for start in range(0, len(order), NORMALISE_CHUNK):
        part = order[start : start + NORMALISE_CHUNK]
        candidates = _candidates([records[index] for index in part], payloads, stored, code, result)
        unseen = [h for h in dict.fromkeys(f.content_hash for f in candidates) if owners.get(h) is None]
        if unseen:
            owners.add_stored(earlier_owner(unseen))
        for item in candidates:
            owner = owners.get(item.content_hash)
            if owner is not None and owner != item.feedback_id:
                result.duplicates.append((item.feedback_id, item.raw_record_key, owner))
                continue
            if owner is None:
                owners.add(item, len(result.feedback))
            result.feedback.append(item)
    return result


class FirstOwners:
    """The feedback that first told each content, found by its content hash.

    A dict of hashes to feedback ids held two strings a text (about 230 bytes: 200 MiB at a million)
    and, made between records that outlive normalising, kept the heap from giving their pages back.
    Here a text of this interval is 60 bits of its hash's `hash()` mapped to its place in `feedback`
    (about 100 bytes, two small ints), a hit checked against the feedback itself (read back from disk
    for a spooled one: once or twice per duplicate). Owners stored outside the interval, and the rare
    text whose 60 bits another text of the interval has already taken, are kept by their full hash.
    """

    def __init__(self, feedback: Sequence[Feedback]) -> None:
        self._feedback = feedback
        self._place: dict[int, int] = {}
        self._by_hash: dict[str, str] = {}

    def get(self, content_hash: str) -> str | None:
        owner = self._by_hash.get(content_hash)
        if owner is not None:
            return owner
        place = self._place.get(owner_key(content_hash))
        if place is None:
            return None
        first = self._feedback[place]
        return first.feedback_id if first.content_hash == content_hash else None

    def add(self, item: Feedback, place: int) -> None:
        """`item`, about to be `feedback[place]`, tells its content first (`get` found no owner)."""
        key = owner_key(item.content_hash)
        if key in self._place:
            self._by_hash[item.content_hash] = item.feedback_id
        else:
            self._place[key] = place

    def add_stored(self, owners: Mapping[str, str]) -> None:
        """Hashes whose first teller is stored outside the interval, with its feedback id."""
        self._by_hash.update(owners)


def owner_key(content_hash: str) -> int:
    """60 bits of the hash's `hash()`: an int of two digits (32 bytes), stable within a process."""
    return hash(content_hash) & _OWNER_KEY_MASK


_OWNER_KEY_MASK = (1 << 60) - 1


def _candidates(
    records: Sequence[SourceRecord],
    payloads: Mapping[tuple[str, str], dict],
    stored: Callable[[Sequence[str]], Mapping[str, Mapping[str, object]]],
    code: str,
    result: NormaliseResult,
) -> list[Feedback]:
    """Some records as feedback, in their order: reused where stored under the same key, else
    normalised; those that cannot be go to `result.quarantined`."""
    rows = stored([feedback_id_of(record) for record in records])
    candidates = []
    for record in records:
        key = normalised_key(record, code)
        row = rows.get(feedback_id_of(record))
        if row is not None and row["normalised_key"] == key:
            candidates.append(reused_feedback(record, key, row))
            continue
        outcome = to_feedback(record, {}, key)
        if isinstance(outcome, QuarantinedRecord):
            # Only a quarantined record keeps its payload here: look it up now, not for every record.
            outcome.payload = payloads.get((record.source, record.raw_record_key), {})
            result.quarantined.append(outcome)
        else:
            candidates.append(outcome)
    return candidates


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


def to_feedback(record: SourceRecord, payload: dict, key: str = "") -> Feedback | QuarantinedRecord:
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
        normalised_key=key,
    )
