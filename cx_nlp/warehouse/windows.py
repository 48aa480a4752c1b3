"""The issue window read back: stored feedback of a span of days with its scores, segments and vectors.

A full window holds every segment of every feedback (the pipeline's read leaves out the praise mining
never reads: `window_segments`), but issue mining reads the vectors of its units only
(`cx_nlp.issues.units`: negative and neutral segments, short complaints whole). `vectors_for` lets the
caller name the vectors it reads once it has seen the rest; a stored vector it does not name stays
`NOT_READ`, so a window no longer carries a 384-float vector per positive segment. The pipeline names
none (`no_vectors`) and reads each group's vectors as it mines it (`vector_reader`), straight into the
matrix the group is fitted on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import date
from itertools import groupby
from typing import NamedTuple, TypeVar

import numpy as np
from sqlalchemy import Connection, Engine, and_, null, select

from cx_nlp.embeddings import from_bytes
from cx_nlp.issues.records import VectorReader
from cx_nlp.issues.units import UnitTextReader, never_mined
from cx_nlp.packed_segments import SegmentNames, pack_segments
from cx_nlp.records import NOT_READ, TEXT_NOT_READ, WindowDocument, WindowSegment, hex_hash, packed_hash
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.statements import chunks
from cx_nlp.warehouse.store import cached_embeddings, stored_vector_bytes

# Given the window's documents (stored vectors as NOT_READ), the content hashes whose vectors to read.
VectorsFor = Callable[[Sequence[WindowDocument]], set[str | bytes]]
T = TypeVar("T")


class StoredSegments(NamedTuple):
    """The segments of a window's feedback as read, by feedback id, and how many more a feedback has
    that the read left out (only those that have some)."""

    read: dict[str, Sequence[WindowSegment]]  # packed where read as mined (`cx_nlp.packed_segments`)
    unread: dict[str, int]


def window_documents(
    connection: Connection,
    window_start: date,
    window_end: date,
    embedding_model: tuple[str, str],
    vectors_for: VectorsFor | None = None,
    as_mined: bool = False,
) -> list[WindowDocument]:
    """Stored feedback of the window with its scores, primary touchpoint, segments and embeddings.

    Without `vectors_for` every stored vector is read; with it, only those of the content hashes it
    returns (an identical text's vector is read once and shared). A text without a stored vector has
    `embedding` None either way. `as_mined` reads only what issue mining holds: every text stays in
    the warehouse (TEXT_NOT_READ; a feedback's word count is kept; `unit_text_reader` reads back what
    keywords and verbatims need), each segment mining never reads is left out, counted
    (`window_segments`), and content hashes are kept as their bytes (`packed_hash`). Labels,
    touchpoints, kinds, languages, days and ratings: one object per value."""
    lazy = vectors_for is not None
    f, s, tp, e = t.feedback, t.feedback_sentiment, t.feedback_touchpoint, t.embedding
    query = (
        select(
            f.c.feedback_id,
            f.c.text,
            f.c.content_hash,
            f.c.created_day,
            f.c.rating,
            f.c.source_kind,
            s.c.label,
            s.c.score,
            tp.c.touchpoint,
            _vector_column(e, lazy),
            f.c.metadata,
            f.c.language,
        )
        .join(s, s.c.feedback_id == f.c.feedback_id)
        .join(tp, and_(tp.c.feedback_id == f.c.feedback_id, tp.c.is_primary.is_(True)))
        .outerjoin(e, _embedding_of(e, f.c.content_hash, embedding_model))
        .where(f.c.created_day >= window_start, f.c.created_day < window_end)
        .order_by(f.c.created_at, f.c.feedback_id)
    )
    shared = _SharedValues()
    segments = window_segments(connection, window_start, window_end, embedding_model, lazy, shared, as_mined)
    documents = [
        _document(
            row, segments.read.get(row.feedback_id, ()), segments.unread.get(row.feedback_id, 0), lazy, as_mined, shared
        )
        for row in connection.execute(query)
    ]
    wanted = vectors_for(documents) if lazy else set()
    if not wanted:  # every vector read already, or none asked for: the documents are as read
        return documents
    vectors = cached_embeddings(connection, sorted({hex_hash(h) for h in wanted}), *embedding_model)
    return [_with_vectors(document, vectors) for document in documents]


def _document(
    row, segments: Sequence[WindowSegment], unread_segments: int, lazy: bool, as_mined: bool, shared: _SharedValues
):
    return WindowDocument(
        feedback_id=row.feedback_id,
        text=TEXT_NOT_READ if as_mined else row.text,
        content_hash=packed_hash(row.content_hash) if as_mined else row.content_hash,
        created_day=shared(row.created_day),
        rating=shared(row.rating),
        source_kind=shared(row.source_kind),
        label=shared(row.label),
        score=row.score,
        touchpoint=shared(row.touchpoint),
        embedding=_vector(row.vector, lazy),
        score_type=shared((row.metadata or {}).get("score_type")),
        language=shared(row.language),
        segments=segments,
        words=len(row.text.split()) if as_mined else None,
        unread_segments=unread_segments,
    )


def unit_text_reader(engine: Engine) -> UnitTextReader:
    """Unit keys, (feedback id, segment position or None for the whole feedback) -> their stored texts
    in that order (what a window read `as_mined` left in the warehouse), read in one connection of its
    own per call, a part of the feedback at a time. A key with no stored text is an error naming it."""
    f, seg = t.feedback, t.feedback_segment

    def read(keys: Sequence[tuple[str, int | None]]) -> list[str]:
        found: dict[tuple[str, int | None], str] = {}
        of_segments = sorted({feedback_id for feedback_id, position in keys if position is not None})
        of_whole = sorted({feedback_id for feedback_id, position in keys if position is None})
        with engine.connect() as connection:
            for part in chunks(of_segments):
                query = select(seg.c.feedback_id, seg.c.position, seg.c.text).where(seg.c.feedback_id.in_(part))
                found.update(((row.feedback_id, row.position), row.text) for row in connection.execute(query))
            for part in chunks(of_whole):
                query = select(f.c.feedback_id, f.c.text).where(f.c.feedback_id.in_(part))
                found.update(((row.feedback_id, None), row.text) for row in connection.execute(query))
        missing = [key for key in keys if key not in found]
        if missing:
            raise KeyError(f"no stored text for {len(missing)} units (feedback id, segment position): {missing[:3]}")
        return [found[key] for key in keys]

    return read


def no_vectors(documents: Sequence[WindowDocument]) -> set[str | bytes]:
    """`vectors_for` that reads none: every stored vector stays NOT_READ, for a `vector_reader`."""
    return set()


# Units whose vectors are read in one go: a group's hashes are turned into hex keys and looked up a
# part at a time, so a large group's units never hold every hex key and row list at once beside the
# matrix being filled (a million distinct units: 282 MiB more at the read's peak, bench_vector_read.py).
VECTOR_READ_CHUNK = 65_536


def vector_reader(engine: Engine, embedding_model: tuple[str, str], chunk: int = VECTOR_READ_CHUNK) -> VectorReader:
    """Content hashes (hex, or as `packed_hash` keeps them) -> their stored vectors as the rows of one
    matrix (float32, or the `dtype` asked: each row is converted as it is read; with `empty`, the
    matrix it makes from the shape, such as `IssueMiner.empty_rows`), in the order given (a hash given
    twice fills two rows). Each call reads in a connection of its own, `chunk` hashes at a time, and
    writes each chunk's rows into the matrix at once; a hash without a stored vector is an error naming it."""

    def read(
        hashes: Sequence[str | bytes], dtype: np.dtype | type = np.float32, empty: Callable | None = None
    ) -> np.ndarray:
        matrix = None
        with engine.connect() as connection:
            for start in range(0, len(hashes), chunk):
                part = hashes[start : start + chunk]
                rows: dict[str, list[int]] = {}
                for row, content_hash in enumerate(part):
                    rows.setdefault(hex_hash(content_hash), []).append(row)
                block = None
                for content_hash, vector in stored_vector_bytes(connection, list(rows), embedding_model):
                    values = np.frombuffer(vector, dtype="<f4")
                    if block is None:
                        block = np.empty((len(part), len(values)), dtype=dtype)
                    block[rows.pop(content_hash)] = values
                if rows:
                    missing = sorted(rows)
                    raise KeyError(
                        f"no stored {embedding_model[0]} {embedding_model[1]} vector for {len(missing)} texts: "
                        f"{missing[:3]}"
                    )
                if matrix is None:  # a part is never empty, and every hash of it was found
                    shape = (len(hashes), block.shape[1])
                    matrix = empty(shape) if empty is not None else np.empty(shape, dtype=dtype)
                matrix[start : start + len(block)] = block
        return matrix if matrix is not None else np.empty((0, 0), dtype=dtype)

    return read


def window_segments(
    connection: Connection,
    window_start: date,
    window_end: date,
    embedding_model: tuple[str, str],
    lazy: bool = False,
    shared: _SharedValues | None = None,
    as_mined: bool = False,
) -> StoredSegments:
    """The segments of the window's feedback with their tone, touchpoint and embedding, in order, and
    how many were left unread (`lazy`: a stored vector as NOT_READ; `shared`: where repeated labels are
    kept once). Read `as_mined`, a segment mining never reads (praise in scored feedback) is left out
    and counted where it has a vector, and kept where it has none (then the feedback is mined whole,
    and a missing vector is what says so); every text read `as_mined` is TEXT_NOT_READ
    (`unit_text_reader` reads it back)."""
    shared = shared or _SharedValues()
    f, seg, e, s = t.feedback, t.feedback_segment, t.embedding, t.feedback_sentiment
    query = select(
        seg.c.feedback_id,
        seg.c.position,
        (null() if as_mined else seg.c.text).label("text"),
        seg.c.content_hash,
        seg.c.label,
        seg.c.score,
        seg.c.touchpoint,
        _vector_column(e, lazy),
        (s.c.label if as_mined else null()).label("document_label"),
    ).join(f, f.c.feedback_id == seg.c.feedback_id)
    if as_mined:  # the feedback's tone decides which segments mining never reads: joined only then
        query = query.outerjoin(s, s.c.feedback_id == seg.c.feedback_id)
    query = (
        query.outerjoin(e, _embedding_of(e, seg.c.content_hash, embedding_model))
        .where(f.c.created_day >= window_start, f.c.created_day < window_end)
        .order_by(seg.c.feedback_id, seg.c.position)
    )
    found: dict[str, Sequence[WindowSegment]] = {}
    unread: dict[str, int] = {}
    # Read as mined, each feedback's segments are packed as soon as its rows are read (they come in
    # feedback order): the window never holds a million feedback's segments as records at once.
    names = SegmentNames()
    for feedback_id, rows in groupby(connection.execute(query), key=lambda row: row.feedback_id):
        parts = []
        for row in rows:
            if as_mined and never_mined(row.document_label, row.label) and row.vector is not None:
                unread[feedback_id] = unread.get(feedback_id, 0) + 1
            else:
                parts.append(_segment(row, lazy, shared, as_mined))
        found[feedback_id] = pack_segments(parts, names) if as_mined else tuple(parts)
    return StoredSegments(found, unread)


def _segment(row, lazy: bool, shared: _SharedValues, as_mined: bool) -> WindowSegment:
    return WindowSegment(
        position=row.position,
        text=TEXT_NOT_READ if as_mined else row.text,
        content_hash=packed_hash(row.content_hash) if as_mined else row.content_hash,
        label=shared(row.label),
        score=row.score,
        touchpoint=shared(row.touchpoint),
        embedding=_vector(row.vector, lazy),
    )


class _SharedValues:
    """One object per distinct value of a column of few values (tone labels, touchpoints, source kinds,
    languages, days, star ratings). The database driver hands each row its own copy, about 55 bytes a
    string; at three to five segments a document that was 0.7 of the window's 3.4 KiB a document
    (bench/bench_window.py)."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Hashable] = {}

    def __call__(self, value: T) -> T:
        if value is None or value != value:  # NaN equals nothing: kept as read
            return value
        return self._values.setdefault(value, value)


def _embedding_of(e, content_hash, embedding_model: tuple[str, str]):
    return and_(
        e.c.content_hash == content_hash, e.c.model_name == embedding_model[0], e.c.model_version == embedding_model[1]
    )


def _vector_column(e, lazy: bool):
    # Lazy: whether a vector is stored (its key), not its bytes.
    return (e.c.content_hash if lazy else e.c.vector).label("vector")


def _vector(value, lazy: bool) -> np.ndarray | None:
    if value is None:
        return None
    return NOT_READ if lazy else from_bytes(value)


def _with_vectors(document: WindowDocument, vectors: dict[str, np.ndarray]) -> WindowDocument:
    def read(content_hash: str | bytes, embedding: np.ndarray | None) -> np.ndarray | None:
        return vectors.get(hex_hash(content_hash), embedding) if embedding is NOT_READ else embedding

    segments = tuple(replace(s, embedding=read(s.content_hash, s.embedding)) for s in document.segments)
    return replace(document, embedding=read(document.content_hash, document.embedding), segments=segments)
