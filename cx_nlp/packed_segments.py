"""A feedback's segments as the pipeline's issue window holds them: one bytes object per feedback.

Read as mined, a window holds every mined segment of a million documents, about four a feedback, each
a `WindowSegment` with its own content hash and score objects: 177 bytes a segment, 0.6 of the
window's memory. `PackedSegments` keeps a feedback's segments as one row of fixed width each in a
single bytes object (position, score, hash, tone and touchpoint codes, whether a vector is stored):
47 bytes a segment and 89 a feedback. It is a sequence of `WindowSegment`, made as each is read, and
mining reads its fields without making them (`MiningUnit`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

from cx_nlp.records import NOT_READ, TEXT_NOT_READ, MadeWhenRead, WindowSegment

# position (int32), score (float64, as stored), SHA-256 content hash, label code, touchpoint code,
# whether a vector is stored (NOT_READ) or not (None).
_ROW = struct.Struct("<id32sBBB")
_HASH_BYTES = 32


class SegmentNames:
    """The tone labels and touchpoints of a window's segments, each kept once and coded as a byte."""

    __slots__ = ("codes", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, name: str) -> int | None:
        """The name's code, or None where a byte holds no more names."""
        found = self.codes.get(name)
        if found is None and len(self.names) <= 255:
            found = self.codes[name] = len(self.names)
            self.names.append(name)
        return found


def pack_segments(segments: Sequence[WindowSegment], names: SegmentNames) -> Sequence[WindowSegment]:
    """The segments packed where each fits a row (text left unread, a SHA-256 hash as bytes, a vector
    stored unread or not at all), else as given: a window read otherwise keeps its records."""
    rows = []
    for s in segments:
        label, touchpoint = names.code(s.label), names.code(s.touchpoint)
        fits = (
            s.text is TEXT_NOT_READ
            and isinstance(s.content_hash, bytes)
            and len(s.content_hash) == _HASH_BYTES
            and (s.embedding is None or s.embedding is NOT_READ)
            and label is not None
            and touchpoint is not None
            and -(2**31) <= s.position < 2**31
        )
        if not fits:
            return tuple(segments)
        rows.append(_ROW.pack(s.position, s.score, s.content_hash, label, touchpoint, s.embedding is NOT_READ))
    return PackedSegments(b"".join(rows), names.names) if rows else ()


class PackedSegments(MadeWhenRead[WindowSegment]):
    """A feedback's segments in one bytes object (`pack_segments`); equal to the tuple it was packed from."""

    __slots__ = ("_names", "_rows")

    def __init__(self, rows: bytes, names: list[str]):
        self._rows = rows
        self._names = names

    def __len__(self) -> int:
        return len(self._rows) // _ROW.size

    def _item(self, index: int) -> WindowSegment:
        return self._segment(self._row(index))

    def _items(self, indices: range) -> tuple[WindowSegment, ...]:  # a slice is a tuple, as the records were
        return tuple(map(self._item, indices))

    def __iter__(self) -> Iterator[WindowSegment]:
        return map(self._segment, _ROW.iter_unpack(self._rows))

    def _segment(self, row: tuple) -> WindowSegment:
        position, score, content_hash, label, touchpoint, stored = row
        names = self._names
        return WindowSegment(
            position, TEXT_NOT_READ, content_hash, names[label], score, names[touchpoint], NOT_READ if stored else None
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedSegments | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedSegments({tuple(self)!r})"

    def _row(self, index: int) -> tuple:
        return _ROW.unpack_from(self._rows, index * _ROW.size)

    # What mining reads of a segment (`problem_units`, `MiningUnit`), without making it: each unpacks
    # its row directly, as these are read millions of times a night.
    def labels(self) -> list[str]:
        return [self._names[row[3]] for row in _ROW.iter_unpack(self._rows)]

    def all_stored(self) -> bool:
        return all(row[5] for row in _ROW.iter_unpack(self._rows))

    def position(self, index: int) -> int:
        return _ROW.unpack_from(self._rows, index * _ROW.size)[0]

    def score(self, index: int) -> float:
        return _ROW.unpack_from(self._rows, index * _ROW.size)[1]

    def content_hash(self, index: int) -> bytes:
        return _ROW.unpack_from(self._rows, index * _ROW.size)[2]

    def label(self, index: int) -> str:
        return self._names[_ROW.unpack_from(self._rows, index * _ROW.size)[3]]

    def touchpoint(self, index: int) -> str:
        return self._names[_ROW.unpack_from(self._rows, index * _ROW.size)[4]]


def labels_and_vectors(segments: Sequence[WindowSegment]) -> tuple[list[str], bool]:
    """Each segment's tone label, and whether every one has a stored vector: read off packed segments
    without making them (a million-document window's four million, twice a night)."""
    if isinstance(segments, PackedSegments):
        return segments.labels(), segments.all_stored()
    return [s.label for s in segments], all(s.embedding is not None for s in segments)
