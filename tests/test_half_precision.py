"""A large mining fit holds its vectors as float16 (`HalfPrecisionRows`) and reads them back as float32:
half the memory, the same geometry to float16's precision, and no change below `half_precision_from`.

Planted synthetic embeddings (`synthetic.py`) and seeded random matrices."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import TEMPLATES_MERGE_SIMILARITY, planted_embeddings

from cx_nlp.issues import HDBSCANClusterer, IssueMiner, clustering
from cx_nlp.issues.clustering import HalfPrecisionRows, label_sums, nearest_centre, normalise_rows, row_cosines


def _matrix(rows: int = 300, seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, 384)).astype(np.float32) * 3  # not unit length


def test_rows_are_held_as_float16_and_read_back_as_float32_unit_vectors():
    matrix = _matrix()
    held = HalfPrecisionRows.unit_length(matrix)
    assert held.rows.dtype == np.float16 and held.rows.nbytes == matrix.nbytes // 2
    assert held.shape == matrix.shape and len(held) == len(matrix)
    exact = normalise_rows(matrix)
    for read in (held[:], held[np.arange(0, 300, 7)], held[5:9]):
        assert read.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(held[:], axis=1), 1, atol=1e-3)
    cosines = np.einsum("ij,ij->i", held[:], exact)
    assert cosines.min() > 0.9999
    np.testing.assert_array_equal(matrix, _matrix())  # the float32 matrix given is left as it was


def test_a_float16_matrix_is_divided_where_it_is_only_when_asked():
    raw = _matrix().astype(np.float16)
    kept = raw.copy()
    copied = HalfPrecisionRows.unit_length(raw)
    assert not np.shares_memory(copied.rows, raw)
    np.testing.assert_array_equal(raw, kept)
    in_place = HalfPrecisionRows.unit_length(raw, in_place=True)
    assert in_place.rows is raw
    np.testing.assert_array_equal(raw, copied.rows)
    again = HalfPrecisionRows.unit_length(in_place, in_place=True)
    assert again is in_place  # already held: divided again where it is


def test_only_a_two_dimensional_float16_matrix_is_held():
    with pytest.raises(ValueError, match="2-D float16 matrix, not 2-D float32"):
        HalfPrecisionRows(_matrix())
    with pytest.raises(ValueError, match="not 1-D float16"):
        HalfPrecisionRows(np.zeros(4, dtype=np.float16))


def test_sums_and_cosines_over_held_rows_match_float32_across_block_boundaries(monkeypatch):
    monkeypatch.setattr(clustering, "BLOCK_ROWS", 7)  # many blocks, and a last one that is short
    exact = normalise_rows(_matrix())
    held = HalfPrecisionRows.unit_length(exact)
    labels = np.random.default_rng(1).integers(-1, 5, len(exact))
    groups = np.arange(5)
    sums, sizes = label_sums(held, labels, groups)
    exact_sums, exact_sizes = label_sums(exact, labels, groups)
    assert sums.dtype == np.float64 and sizes.tolist() == exact_sizes.tolist()
    np.testing.assert_allclose(sums, exact_sums, atol=2e-3)
    centres = normalise_rows(exact_sums)
    nearest, best = nearest_centre(held, centres)
    exact_nearest, exact_best = nearest_centre(exact, centres)
    assert (nearest == exact_nearest).mean() > 0.95 and np.abs(best - exact_best).max() < 1e-3
    rows = np.flatnonzero(labels >= 0)
    np.testing.assert_allclose(
        row_cosines(held, rows, centres, labels[rows]), row_cosines(exact, rows, centres, labels[rows]), atol=1e-3
    )


def test_a_groups_centre_and_cosines_read_in_blocks_are_those_of_its_rows_read_whole(monkeypatch):
    """A large issue's rows are read GROUP_READ_ROWS at a time for its centre and its members' cosines,
    bit for bit what reading them whole gives, held in float32 or float16 alike."""
    exact = normalise_rows(_matrix(rows=1000, seed=7))
    members = np.sort(np.random.default_rng(2).choice(1000, 613, replace=False))
    for vectors in (exact, HalfPrecisionRows.unit_length(exact)):
        whole = vectors[members]
        centroid = clustering.centre(whole)
        monkeypatch.setattr(clustering, "GROUP_READ_ROWS", 64)  # ten blocks, the last one short
        read = []
        counted = _Counted(vectors, read)
        blocked_centre, blocked_cosines = clustering.centre_and_cosines(counted, members)
        assert read and max(read) <= 64 and sum(read) == 2 * len(members)  # two passes, a block at a time
        np.testing.assert_array_equal(blocked_centre, centroid)
        np.testing.assert_array_equal(blocked_cosines, whole @ centroid)
        np.testing.assert_array_equal(clustering.group_cosines(vectors, members, centroid), whole @ centroid)
        monkeypatch.setattr(clustering, "GROUP_READ_ROWS", 10_000)  # one block: read once
        read.clear()
        one_read = clustering.centre_and_cosines(counted, members)
        assert read == [len(members)]
        np.testing.assert_array_equal(one_read[0], centroid)
        np.testing.assert_array_equal(one_read[1], whole @ centroid)


class _Counted:
    """Rows read by index from `vectors`, each read's size noted."""

    def __init__(self, vectors, read: list[int]):
        self.vectors, self.read = vectors, read

    def __getitem__(self, index):
        self.read.append(len(index))
        return self.vectors[index]


def _planted():
    problems = np.repeat(np.arange(4), 100)
    embeddings = planted_embeddings(problems, np.arange(400) % 5, seed=3)
    return [f"problem {p} report {i}" for i, p in enumerate(problems)], embeddings, problems


def _miner(half_precision_from, seen=None, **options):
    class Recording(HDBSCANClusterer):
        def fit_predict(self, points):
            if seen is not None:
                seen.append(points.dtype)
            return super().fit_predict(points)

    return IssueMiner(
        clusterer=Recording(min_cluster_size=5),
        merge_similarity=TEMPLATES_MERGE_SIMILARITY,
        half_precision_from=half_precision_from,
        **options,
    )


def test_a_fit_of_half_precision_from_units_or_more_finds_the_planted_issues_in_float32_arithmetic():
    texts, embeddings, problems = _planted()
    seen = []
    half = _miner(400, seen).fit(texts, embeddings)
    exact = _miner(None).fit(texts, embeddings)
    assert _miner(400).half_rows(400) and not _miner(401).half_rows(400) and not _miner(None).half_rows(10**9)
    assert not _miner(0).half_rows(0) and _miner(0).fit([], np.zeros((0, 384), dtype=np.float32)).clusters_ == []
    assert seen and set(seen) == {np.dtype(np.float32)}  # reduced and clustered in float32, never float16
    assert len(half.clusters_) == len(exact.clusters_) == 4
    assert half.labels_.tolist() == exact.labels_.tolist()
    for ours, theirs in zip(half.clusters_, exact.clusters_):
        assert len(set(problems[ours.members].tolist())) == 1
        assert ours.centroid.dtype == np.float32 and float(ours.centroid @ theirs.centroid) > 0.9999
        np.testing.assert_allclose(ours.similarities, theirs.similarities, atol=1e-3)
        assert ours.keywords == theirs.keywords and ours.representatives == theirs.representatives


def test_a_next_night_in_half_precision_continues_the_known_issues_as_float32_does():
    """Known centres, last night's issues and what is new, as the tracker hands them on a night: the
    same units join, stay and are clustered either way."""
    texts, embeddings, problems = _planted()
    cold = _miner(None).fit(texts[:300], embeddings[:300])
    known = np.array([c.centroid for c in cold.clusters_])
    previous = np.full(400, -1)
    for index, cluster in enumerate(cold.clusters_):
        previous[cluster.members] = index
    new = np.arange(400) >= 300

    def night(half_precision_from):
        miner = _miner(half_precision_from, full_residual_limit=10, split_similarity=0.99)
        return miner.fit(texts, embeddings, known_centroids=known, previous=previous, new=new)

    half, exact = night(400), night(None)
    assert half.labels_.tolist() == exact.labels_.tolist()
    assert [(c.known, c.split_from, len(c.members)) for c in half.clusters_] == [
        (c.known, c.split_from, len(c.members)) for c in exact.clusters_
    ]
    assert {c.known for c in half.clusters_} == {*range(len(known)), None}  # each known one, and the new problem
    assert half.residual_size_ == exact.residual_size_ == 100
    (arrived,) = [c for c in half.clusters_ if c.known is None]
    assert set(problems[arrived.members].tolist()) == {3} and len(arrived.members) == 100


def test_below_half_precision_from_a_fit_is_float32_as_before():
    texts, embeddings, _ = _planted()
    below = _miner(401).fit(texts, embeddings)
    exact = _miner(None).fit(texts, embeddings)
    assert below.labels_.tolist() == exact.labels_.tolist()
    for ours, theirs in zip(below.clusters_, exact.clusters_):
        np.testing.assert_array_equal(ours.similarities, theirs.similarities)
        np.testing.assert_array_equal(ours.centroid, theirs.centroid)


def test_a_fit_divides_a_float16_matrix_it_is_handed_in_place_when_it_may():
    texts, embeddings, _ = _planted()
    given = (embeddings * 2).astype(np.float16)
    _miner(0, copy_embeddings=True).fit(texts, given)
    assert np.abs(np.linalg.norm(given.astype(np.float32), axis=1) - 2).max() < 1e-2  # a copy was divided
    _miner(0, copy_embeddings=False).fit(texts, given)
    np.testing.assert_allclose(np.linalg.norm(given.astype(np.float32), axis=1), 1, atol=1e-3)
    held = HalfPrecisionRows((embeddings * 2).astype(np.float16))
    assert len(_miner(None, copy_embeddings=False).fit(texts, held).clusters_) == 4  # held rows: always float16
    np.testing.assert_allclose(np.linalg.norm(held[:], axis=1), 1, atol=1e-3)


def test_the_pipeline_holds_fits_of_its_setting_or_more_in_half_precision(tmp_path):
    from cx_nlp.issues.miner import HALF_PRECISION_FROM
    from cx_nlp.pipeline import PipelineContext, _tracker, mining_settings
    from cx_nlp.settings import Settings

    url = f"sqlite:///{tmp_path / 'w.db'}"
    default = PipelineContext.from_settings(Settings(warehouse_url=url))
    assert _tracker(default).miner_factory().half_precision_from == HALF_PRECISION_FROM == 50_000
    told = PipelineContext.from_settings(Settings(warehouse_url=url, issue_half_precision_from=1000))
    assert _tracker(told).miner_factory().half_precision_from == 1000
    # Another bar may give other issues: a rerun under it mines the window again.
    assert mining_settings(told)["issue_half_precision_from"] == 1000
    assert mining_settings(default)["issue_half_precision_from"] == 50_000
