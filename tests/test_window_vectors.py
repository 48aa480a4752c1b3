"""The issue window reads the vectors issue mining reads and no others: the sample, real models, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from functools import partial

import numpy as np
import pytest

from cx_nlp.issues.clustering import HalfPrecisionRows, SpilledRows
from cx_nlp.issues.units import unit_hashes, window_units
from cx_nlp.packed_segments import PackedSegments
from cx_nlp.pipeline import PipelineContext, ingest_interval
from cx_nlp.records import NOT_READ, TEXT_NOT_READ, hex_hash, packed_hash, packed_hex
from cx_nlp.warehouse import windows
from cx_nlp.warehouse.db import make_engine, migrate

START, END = date(2026, 10, 19), date(2026, 11, 16)


def _sample_processed(settings_factory, models, warehouse_url):
    """The sample's last week ingested (no mining: the tests mine what they read): its context,
    engine and embedding model."""
    context = PipelineContext.from_settings(settings_factory(warehouse_url=warehouse_url), models=models)
    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    ingest_interval(context, engine, date(2026, 11, 9), END)
    return context, engine, (context.registry.embedding.name, context.registry.embedding.version)


def test_a_window_reads_only_its_units_vectors_and_mines_the_same_units(settings_factory, models, tmp_path):
    # SQLite only: the next test reads the vectors from PostgreSQL as well.
    _, engine, model = _sample_processed(settings_factory, models, f"sqlite:///{tmp_path / 'warehouse.db'}")
    with engine.connect() as connection:
        every = windows.window_documents(connection, START, END, model)
        read = windows.window_documents(connection, START, END, model, vectors_for=unit_hashes)

    def units(documents):
        return {(u.document.feedback_id, u.position): u for u in window_units(documents)}

    mined_every, mined_read = units(every), units(read)
    assert mined_read.keys() == mined_every.keys() and len(mined_read) > 50
    for key, unit in mined_every.items():
        np.testing.assert_array_equal(mined_read[key].embedding, unit.embedding)
        assert mined_read[key].text == unit.text and mined_read[key].label == unit.label

    # What stays unread is what no unit is: praise in positive feedback, the whole of segmented
    # feedback, the sentences of a short complaint mined whole.
    texts = [(d, None) for d in read] + [(d, s) for d in read for s in d.segments]
    unread = [(d, s) for d, s in texts if (s or d).embedding is NOT_READ]
    assert len(unread) > len(texts) // 4
    assert not {(d.feedback_id, s.position if s else None) for d, s in unread} & mined_read.keys()
    negative = [d for d, s in unread if s is not None and s.label == "negative"]
    assert negative and all((d.feedback_id, None) in mined_read for d in negative)
    assert {s.label for d, s in unread if s is not None} >= {"positive"}
    # Everything else matches the full read, field by field.
    assert [(d.feedback_id, d.text, d.label, [s.text for s in d.segments]) for d in read] == [
        (d.feedback_id, d.text, d.label, [s.text for s in d.segments]) for d in every
    ]


def test_mining_reads_its_groups_vectors_from_the_warehouse_with_the_issues_of_vectors_carried(
    settings_factory, models, warehouse_url, tmp_path
):
    """The pipeline's window carries no vectors: each group's are read into the matrix it is fitted on,
    so a large window holds them once. Same issues, members and keywords as the window carrying every
    unit's vector, and the digest reads the vectors too (a changed vector mines afresh)."""
    from cx_nlp.issues import IssueWindow
    from cx_nlp.issues.inputs import window_digest
    from cx_nlp.pipeline import _tracker

    context, engine, model = _sample_processed(settings_factory, models, warehouse_url)
    with engine.connect() as connection:
        carried = windows.window_documents(connection, START, END, model, vectors_for=unit_hashes)
        bare = windows.window_documents(connection, START, END, model, vectors_for=windows.no_vectors, as_mined=True)
    assert all(d.embedding is None or d.embedding is NOT_READ for d in bare)
    # Every text stays in the warehouse, a feedback's word count kept (it decides how it is mined).
    texts = {d.feedback_id: d.text for d in carried}
    assert all(d.text is TEXT_NOT_READ and d.word_count() == len(texts[d.feedback_id].split()) for d in bare)
    assert all(s.text is TEXT_NOT_READ for d in bare for s in d.segments)
    # Each feedback's segments are packed in one bytes object, read back as records (cx_nlp.packed_segments).
    assert all(isinstance(d.segments, PackedSegments) for d in bare if d.segments)
    assert any(d.segments for d in bare)
    unread = [d for d in bare if d.word_count() >= 40]
    assert unread and sum(d.word_count() < 40 for d in bare) > 0
    # The segments mining never reads (praise, and neutral parts of positive feedback) are left out,
    # counted, so each feedback still has as many parts.
    full = {d.feedback_id: d for d in carried}
    left_out = []
    for document in bare:
        kept = {s.position for s in document.segments}
        every = full[document.feedback_id].segments
        assert document.segment_count() == len(every) and kept <= {s.position for s in every}
        left_out += [(document.label, s.label) for s in every if s.position not in kept]
    assert sum(d.unread_segments for d in bare) == len(left_out) > 0
    assert all(s == "positive" or (s == "neutral" and d == "positive") for d, s in left_out)
    # Content hashes are held as their 32 bytes, and name the same texts.
    hashes = {(d.feedback_id, s.position): s.content_hash for d in carried for s in d.segments}
    hashes |= {(d.feedback_id, None): d.content_hash for d in carried}
    packed = {(d.feedback_id, s.position): s.content_hash for d in bare for s in d.segments}
    packed |= {(d.feedback_id, None): d.content_hash for d in bare}
    assert all(isinstance(h, bytes) and len(h) == 32 for h in packed.values())
    assert {key: hex_hash(h) for key, h in packed.items()} == {key: hashes[key] for key in packed}
    # Tones, touchpoints and source kinds repeat on every row: a window holds one string per value.
    repeated = [v for d in bare for s in d.segments for v in (s.label, s.touchpoint)]
    repeated += [v for d in bare for v in (d.label, d.touchpoint, d.source_kind, d.language)]
    assert len({id(v) for v in repeated}) == len(set(repeated)) < 40
    days = [v for d in bare for v in (d.created_day, d.rating) if v is not None]
    assert len({id(v) for v in days}) == len(set(days)) < 40
    reader = windows.vector_reader(engine, model)
    read_calls = []

    def counted(hashes, dtype=np.float32, empty=None):
        matrix = reader(hashes, dtype=dtype, empty=empty)
        read_calls.append((len(hashes), np.dtype(dtype), type(matrix)))
        return matrix

    unit_texts = windows.unit_text_reader(engine)
    texts_read = []

    def counted_texts(keys):
        texts_read.append(len(keys))
        return unit_texts(keys)

    def window(documents, vectors=None, unit_texts=None):
        return IssueWindow(
            documents=documents, prior=[], start=START, end=END, run_id="r", vectors=vectors, unit_texts=unit_texts
        )

    mined = [_tracker(context).track(w) for w in (window(carried), window(bare, counted, counted_texts))]
    units = len(window_units(carried))
    assert read_calls and sum(n for n, *_ in read_calls) == units
    # Groups below half_precision_from: float32, as read.
    assert {(dtype, kind) for _, dtype, kind in read_calls} == {(np.dtype(np.float32), np.ndarray)}
    issues = [_issues(night) for night in mined]
    assert len(issues[0]) > 3 and issues[1] == issues[0]
    # Keywords and verbatims read the units' texts back a batch at a time, never one call per unit.
    assert texts_read and len(texts_read) < sum(texts_read) and max(texts_read) <= units
    # A group of `half_precision_from` units or more is read straight into float16, and each member's
    # similarity is still its float32 vector's cosine with its issue's centre, to float16's precision.
    # (Which issues UMAP and HDBSCAN draw may move: they amplify differences of 1e-7, docs/quality.md.)
    read_calls.clear()
    half = _tracker(context)
    half.miner_factory = partial(half.miner_factory, half_precision_from=1)
    halved = half.track(window(bare, counted, unit_texts))
    assert {(dtype, kind) for _, dtype, kind in read_calls} == {(np.dtype(np.float16), HalfPrecisionRows)}
    vectors = {(u.document.feedback_id, u.position): u.embedding for u in window_units(carried)}
    gaps = [
        abs(member.similarity - float(vectors[member.feedback_id, member.segment_position] @ mined.issue.centroid))
        for mined in halved.issues
        for member in mined.members
    ]
    assert len(halved.issues) > 3 and len(gaps) > 50 and max(gaps) < 2e-3
    # From `spill_from` units the rows are written into a temporary file (`SpilledRows`): the same
    # float16 values, so exactly the same issues, members, similarities, keywords and verbatims.
    read_calls.clear()
    spill = _tracker(context)
    spill.miner_factory = partial(spill.miner_factory, half_precision_from=1, spill_from=1, spill_folder=tmp_path)
    spilled = spill.track(window(bare, counted, unit_texts))
    assert {(dtype, kind) for _, dtype, kind in read_calls} == {(np.dtype(np.float16), SpilledRows)}
    assert _issues(spilled) == _issues(halved) and len(_issues(spilled)) > 3
    shown = {v.feedback_id for night in mined for m in night.issues for v in m.issue.representatives}
    assert shown & {d.feedback_id for d in unread}  # some verbatims were read back
    with pytest.raises(ValueError, match=r"left \d+ unit texts unread"):
        _tracker(context).track(window(bare, reader))
    # Unit texts come back in the order asked, segments and whole feedback alike; a missing one is named.
    keys = [u.key for u in window_units(carried)][:40]
    keys += [(d.feedback_id, None) for d in carried[:3]]
    assert unit_texts(keys[::-1]) == [_text_of(carried, key) for key in keys[::-1]]
    with pytest.raises(KeyError, match="nobody"):
        unit_texts([keys[0], ("nobody", 0)])

    # A hash given twice fills two rows; one the cache lacks is named.
    some = sorted(unit_hashes(carried))[:2]
    matrix = reader([some[0], some[1], some[0]])
    np.testing.assert_array_equal(matrix[0], matrix[2])
    assert matrix.dtype == np.float32 and matrix.shape[0] == 3
    np.testing.assert_array_equal(reader([packed_hash(some[1])])[0], matrix[1])  # as the slim window holds it
    halves = reader([some[0], some[1]], dtype=np.float16)
    assert halves.dtype == np.float16 and np.array_equal(halves, matrix[:2].astype(np.float16))
    # Into rows the caller makes (a file, for a large group), a part at a time: the same values.
    filed = windows.vector_reader(engine, model, chunk=2)(
        [some[0], some[1], some[0]], dtype=np.float16, empty=partial(SpilledRows.empty, folder=tmp_path)
    )
    assert isinstance(filed, SpilledRows) and np.array_equal(filed.rows, matrix[[0, 1, 0]].astype(np.float16))
    # Read a few hashes at a time (a large group's are), a hash repeated across parts and one missing
    # from a later part: the same rows, and the missing one named.
    in_parts = windows.vector_reader(engine, model, chunk=2)
    np.testing.assert_array_equal(
        in_parts([some[0], some[1], some[0], packed_hash(some[1]), some[0]]), matrix[[0, 1, 0, 1, 0]]
    )
    with pytest.raises(KeyError, match="0000000000"):
        in_parts([some[0], some[1], some[1], "0" * 64])
    with pytest.raises(KeyError, match=r"no stored .* vector for 1 texts"):
        reader([some[0], "0" * 64])

    # The bare window's digest reads the vectors: a stored vector changed changes it.
    settings = {"s": 1}
    before = window_digest(window(bare, reader), settings)
    assert window_digest(window(bare, reader), settings) == before
    changed = lambda hashes: reader(hashes) + np.float32(1e-3)  # noqa: E731
    assert window_digest(window(bare, changed), settings) != before


def _issues(night) -> list:
    """A mined night's issues, each with its keywords, verbatims and members' similarities."""
    return sorted(
        (
            m.issue.issue_id,
            m.issue.keywords,
            m.issue.representatives,
            sorted((d.feedback_id, d.segment_position, d.similarity) for d in m.members),
        )
        for m in night.issues
    )


def test_content_hashes_are_packed_only_where_they_are_sha256_hex():
    digest = "0123456789abcdef" * 4
    assert packed_hash(digest) == bytes.fromhex(digest) and hex_hash(packed_hash(digest)) == digest
    for other in ("s-a segment", "x" * 64, "0123"):
        assert packed_hash(other) == other and hex_hash(other) == other
    # Only lowercase hex packs: `bytes.fromhex` also reads uppercase and spaces, which would not come back.
    for unpacked in ("0123456789ABCDEF" * 4, "0123456789abcde " * 4, "ab cd", "abc"):
        assert packed_hex(unpacked) == unpacked
    assert packed_hex("ab01") == b"\xab\x01" and hex_hash(packed_hex("ab01")) == "ab01"


def _text_of(documents, key):
    feedback_id, position = key
    document = next(d for d in documents if d.feedback_id == feedback_id)
    return document.text if position is None else next(s.text for s in document.segments if s.position == position)
