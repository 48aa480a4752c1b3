"""A feedback's segments packed as the pipeline's issue window holds them (`cx_nlp.packed_segments`)
read back as the records they were packed from, and mined the same."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from cx_nlp.issues.units import MiningUnit, problem_units
from cx_nlp.packed_segments import PackedSegments, SegmentNames, pack_segments
from cx_nlp.records import NOT_READ, TEXT_NOT_READ, WindowDocument, WindowSegment


def _segment(position: int, label: str, score: float, touchpoint: str = "delivery", stored: bool = True):
    content_hash = hashlib.sha256(f"segment {position}".encode()).digest()
    return WindowSegment(position, TEXT_NOT_READ, content_hash, label, score, touchpoint, NOT_READ if stored else None)


SEGMENTS = (
    _segment(0, "positive", 0.8125),
    _segment(2, "negative", -0.6180339887498949, "billing"),
    _segment(3, "neutral", 0.0, stored=False),
    _segment(70_000, "negative", -1e-300, "other"),
)


def test_packed_segments_read_back_as_the_records_they_were_packed_from():
    packed = pack_segments(SEGMENTS, SegmentNames())

    assert isinstance(packed, PackedSegments)
    assert len(packed) == 4 and tuple(packed) == SEGMENTS and packed == SEGMENTS and SEGMENTS == tuple(packed)
    assert packed[1] == SEGMENTS[1] and packed[-1] == SEGMENTS[3] and packed[1:3] == SEGMENTS[1:3]
    assert packed[2].embedding is None and packed[0].embedding is NOT_READ
    assert packed.score(1) == -0.6180339887498949 and packed.position(3) == 70_000
    assert packed.touchpoint(3) == "other" and packed.label(2) == "neutral"
    assert packed.content_hash(0) == SEGMENTS[0].content_hash
    with pytest.raises(IndexError):
        packed[4]
    assert packed != SEGMENTS[:3] and packed != (*SEGMENTS[:3], _segment(70_000, "negative", -1e-300))


def test_four_segments_take_a_third_of_their_records_memory():
    packed = pack_segments(SEGMENTS, SegmentNames())
    held = sys.getsizeof(packed) + sys.getsizeof(packed._rows)
    as_records = sys.getsizeof(SEGMENTS) + sum(
        sys.getsizeof(s) + sys.getsizeof(s.content_hash) + sys.getsizeof(s.score) for s in SEGMENTS
    )
    assert held < as_records / 2.5, (held, as_records)


@pytest.mark.parametrize(
    "odd",
    [
        WindowSegment(1, "a text read", hashlib.sha256(b"x").digest(), "negative", -0.5, "delivery", NOT_READ),
        WindowSegment(1, TEXT_NOT_READ, "a hash kept as text", "negative", -0.5, "delivery", NOT_READ),
        WindowSegment(1, TEXT_NOT_READ, hashlib.sha256(b"x").digest(), "negative", -0.5, "delivery", np.ones(3)),
    ],
    ids=["text read", "text hash", "vector read"],
)
def test_segments_a_row_does_not_hold_stay_records(odd):
    kept = pack_segments((SEGMENTS[0], odd), SegmentNames())
    assert isinstance(kept, tuple) and kept == (SEGMENTS[0], odd)


def test_more_names_than_a_byte_codes_stay_records():
    names = SegmentNames()
    for n in range(254):
        names.code(f"touchpoint {n}")
    assert isinstance(pack_segments(SEGMENTS[:1], names), PackedSegments)  # 256 names: the last code
    assert isinstance(pack_segments(SEGMENTS[1:2], names), tuple)


def test_a_feedback_of_packed_segments_is_mined_as_one_of_records():
    def document(segments):
        return WindowDocument(
            "f1", TEXT_NOT_READ, hashlib.sha256(b"f1").digest(), date(2026, 11, 3), 2.0, "review", "negative",
            -0.4, "delivery", NOT_READ, None, "en", segments, 120, 1,
        )  # fmt: skip

    stored = tuple(replace(s, embedding=NOT_READ) for s in SEGMENTS)  # one without a vector: mined whole
    as_records = document(stored)
    packed = document(pack_segments(stored, SegmentNames()))

    units, packed_units = problem_units(as_records), problem_units(packed)
    assert [u.part for u in packed_units] == [u.part for u in units] == [1, 2, 3]

    def read(unit: MiningUnit) -> tuple:
        member = unit.as_member()
        return (unit.key, unit.position, unit.text, unit.content_hash, unit.label, unit.score, unit.touchpoint,
                unit.segment, member.label, member.score)  # fmt: skip

    assert [read(u) for u in packed_units] == [read(u) for u in units]
    assert packed_units[2].score == -1e-300 and packed_units[0].touchpoint == "billing"
    assert packed_units[1].embedding is NOT_READ
    assert [u.part for u in problem_units(document(pack_segments(SEGMENTS, SegmentNames())))] == [None]
    assert packed == as_records
