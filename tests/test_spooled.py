"""What an interval loads waits on disk past `cx_nlp.spooled.SPILL_FROM` items: the same items, in the
same order, read by index, slice or iteration, and normalising in chunks gives what one pass gives."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from cx_nlp import feedback
from cx_nlp.feedback import normalise
from cx_nlp.records import RawRecord, SourceRecord
from cx_nlp.sources.ingest import LoadResult, RawPayloads
from cx_nlp.spooled import Concatenated, SpooledList


def raw(number: int) -> RawRecord:
    return RawRecord("reviews", f"key-{number}", {"id": str(number), "body": "é" * (number % 7)}, number)


@pytest.mark.parametrize("spill_from", [0, 3, 100])
def test_a_spooled_list_reads_back_what_was_appended(spill_from):
    items = [raw(n) for n in range(25)]
    spooled = SpooledList(items[:10], spill_from=spill_from)
    spooled.extend(items[10:20])
    assert spooled[4] == items[4]  # read in the middle of the appends
    for item in items[20:]:
        spooled.append(item)

    assert spooled.on_disk == (spill_from < 25)
    assert len(spooled) == 25 and list(spooled) == items and spooled == items
    assert [spooled[i] for i in (0, 7, 24, -1, -25)] == [items[i] for i in (0, 7, 24, -1, -25)]
    assert spooled[3:17:4] == items[3:17:4]
    assert spooled[5] is not items[5] or not spooled.on_disk  # read back, not kept
    with pytest.raises(IndexError):
        spooled[25]
    assert pickle.loads(pickle.dumps(spooled)) == items
    assert spooled != items[:-1] and spooled != [*items[:-1], raw(99)]
    spooled.close()


def test_the_spilled_part_keeps_offsets_not_items():
    spooled = SpooledList((raw(n) for n in range(1000)), spill_from=10)
    assert spooled._items_held is None and len(spooled._offsets) == 1000


def test_sequences_concatenated_read_as_one():
    parts = [SpooledList([raw(n) for n in range(5)], spill_from=2), [], [raw(n) for n in range(5, 9)], (raw(9),)]
    joined = Concatenated(parts)
    expected = [raw(n) for n in range(10)]
    assert len(joined) == 10 and list(joined) == expected
    assert [joined[i] for i in range(-10, 10)] == expected + expected
    assert joined[4:7] == expected[4:7]
    with pytest.raises(IndexError):
        joined[10]
    assert len(Concatenated([])) == 0 and list(Concatenated([[], []])) == []


def test_raw_payloads_are_found_in_the_loads_when_asked_for():
    first = LoadResult(raw=SpooledList([raw(n) for n in range(6)], spill_from=2), source="reviews")
    second = LoadResult(raw=[RawRecord("tickets", "t-1", {"id": "t-1"}, 1)], source="tickets")
    payloads = RawPayloads([first, second])
    assert payloads[("reviews", "key-4")] == {"id": "4", "body": "éééé"}
    assert payloads.get(("tickets", "t-1")) == {"id": "t-1"}
    assert payloads.get(("tickets", "key-4"), {}) == {}
    assert len(payloads) == 7 and ("reviews", "key-5") in payloads and ("reviews", "key-6") not in payloads


def test_raw_payloads_tell_apart_rows_whose_key_hashes_collide(monkeypatch):
    """The index holds 64-bit hashes of the keys: rows whose hashes collide are told apart by their
    own keys, wherever they lie in the loads."""
    from cx_nlp.sources import ingest

    monkeypatch.setattr(ingest, "_key_hash", lambda key: 7 if key[1] != "key-0" else -3)
    first = LoadResult(raw=SpooledList([raw(n) for n in range(6)], spill_from=2), source="reviews")
    second = LoadResult(raw=[RawRecord("tickets", "key-4", {"id": "t-4"}, 1)], source="tickets")
    payloads = RawPayloads([first, second])
    assert [payloads[("reviews", f"key-{n}")]["id"] for n in range(6)] == [str(n) for n in range(6)]
    assert payloads[("tickets", "key-4")] == {"id": "t-4"}
    assert payloads.get(("tickets", "key-5")) is None and payloads.get(("tickets", "key-0")) is None


def records(count: int) -> list[SourceRecord]:
    """Records out of date order, with a record delivered twice (edited), texts told twice across
    chunks, and empty texts to quarantine."""
    made = []
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for n in range(count):
        text = "" if n % 97 == 0 else f"Order {n % 40} arrived late and the box was crushed."
        created = start + timedelta(hours=(n * 37) % count)
        made.append(SourceRecord("reviews", f"r{n % (count - 10)}", "review", text, created, raw_record_key=f"key-{n}"))
    return made


def test_normalising_in_chunks_gives_what_one_chunk_gives(monkeypatch):
    loaded = records(500)
    payloads = {(r.source, r.raw_record_key): {"id": r.external_id} for r in loaded}
    earlier = {}

    def owners(hashes):
        # The warehouse owns one of the texts already, from another interval.
        from cx_nlp.normalise import content_hash

        known = content_hash("Order 3 arrived late and the box was crushed.")
        asked.append(len(hashes))
        return {h: "reviews:older" for h in hashes if h == known} | earlier

    asked: list[int] = []
    whole = normalise(loaded, payloads, owners)
    assert asked == [40]  # one chunk: every distinct text asked for at once
    monkeypatch.setattr(feedback, "NORMALISE_CHUNK", 7)
    asked.clear()
    spilled = SpooledList(loaded, spill_from=50)
    chunked = normalise(spilled, payloads, owners)

    assert len(asked) > 1 and sum(asked) == 40  # each text's owner asked for once
    assert list(chunked.feedback) == list(whole.feedback) and len(whole.feedback) == 39
    assert chunked.duplicates == whole.duplicates and len(whole.duplicates) > 400
    assert chunked.superseded == whole.superseded and len(whole.superseded) == 10
    assert chunked.quarantined == whole.quarantined and len(whole.quarantined) == 5
    assert all(q.payload == payloads[(q.source, q.record_key)] for q in chunked.quarantined)


def test_first_owners_hold_when_their_keys_collide_and_the_feedback_is_on_disk(monkeypatch):
    from cx_nlp import spooled

    loaded = records(500)
    payloads = {(r.source, r.raw_record_key): {"id": r.external_id} for r in loaded}
    whole = normalise(loaded, payloads)
    monkeypatch.setattr(spooled, "SPILL_FROM", 5)
    # 16 keys for the 40 texts: most owners share a key with another text's and are kept by their hash.
    monkeypatch.setattr(feedback, "owner_key", lambda content_hash: int(content_hash[0], 16))
    squeezed = normalise(loaded, payloads)

    assert squeezed.feedback.on_disk and squeezed.duplicates.on_disk
    assert list(squeezed.feedback) == list(whole.feedback) and len(whole.feedback) == 40
    assert list(squeezed.duplicates) == list(whole.duplicates) and len(whole.duplicates) > 400


@pytest.mark.parametrize("spill_from", [0, 2, 1000])
def test_a_spooled_mapping_answers_as_a_dict(spill_from):
    from cx_nlp.records import SentimentScore
    from cx_nlp.spooled import SpooledMapping

    def tone(n: int) -> SentimentScore:
        return SentimentScore("negative", 0.7, 0.2, 0.1 + n / 1000, -0.6, 1, "m", "1", evidence=f"text {n}")

    mapping: SpooledMapping[SentimentScore] = SpooledMapping(spill_from=spill_from)
    expected: dict[str, SentimentScore] = {}
    for start in range(0, 1200, 300):
        part = {f"h{n}": tone(n) for n in range(start, start + 300)}
        part["h5"] = tone(9999)  # replaced, as dict.update replaces
        mapping.update(part)
        expected.update(part)
    asked = ["h1199", "nope", "h5", "h0", "h1199", *(f"h{n}" for n in range(600, 1100))]

    assert mapping.on_disk == (spill_from < 1200)
    assert len(mapping) == len(expected) == 1200
    assert mapping.take(asked) == {key: expected[key] for key in asked if key in expected}
    assert list(mapping.take(asked))[:3] == ["h1199", "h5", "h0"]  # the order asked, each key once
    assert mapping.take([]) == {}
    mapping.close()
