"""A very large mining fit keeps its float16 vectors in a temporary file (`SpilledRows`): the same
values as `HalfPrecisionRows`, so the same issues, while the process holds only what it reads.

Seeded random matrices and planted synthetic embeddings (`synthetic.py`); RSS from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from synthetic import TEMPLATES_MERGE_SIMILARITY, planted_embeddings

from cx_nlp.issues import HDBSCANClusterer, IssueMiner, clustering
from cx_nlp.issues.clustering import (
    SPILLED_READ_ROWS,
    HalfPrecisionRows,
    SpilledRows,
    label_sums,
    nearest_centre,
    normalise_rows,
)


def _matrix(rows: int = 300, seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(rows, 384)).astype(np.float32) * 3  # not unit length


def _mapped_file_mib() -> float:
    """Pages of files mapped into this process (RssFile, /proc/self/status), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssFile in /proc/self/status")


def test_spilled_rows_hold_what_half_precision_rows_hold_in_an_unnamed_file_of_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(clustering, "BLOCK_ROWS", 7)  # divided a block at a time, the last one short
    matrix = _matrix()
    spilled = SpilledRows.unit_length(matrix, folder=tmp_path)
    held = HalfPrecisionRows.unit_length(matrix)
    assert isinstance(spilled, SpilledRows) and spilled.shape == held.shape and len(spilled) == len(held)
    np.testing.assert_array_equal(spilled.rows, held.rows)
    for index in (slice(None), np.arange(0, 300, 7), slice(5, 9), 4):
        read = spilled[index]
        assert read.dtype == np.float32
        np.testing.assert_array_equal(read, held[index])
    np.testing.assert_array_equal(matrix, _matrix())  # the float32 matrix given is left as it was
    # The file has no name (nothing is left behind, even if the process dies) and lies in the folder.
    assert list(tmp_path.iterdir()) == []
    descriptor = spilled._file.fileno()
    assert os.readlink(f"/proc/self/fd/{descriptor}").startswith(str(tmp_path))
    assert os.fstat(descriptor).st_size == matrix.size * 2
    # Rows written are kept; rows already held are divided where they are.
    spilled[3:5] = matrix[3:5]
    held[3:5] = matrix[3:5]
    assert np.abs(spilled[3:5] - held[3:5]).max() == 0 and np.abs(spilled[3:5] - matrix[3:5]).max() < 1e-2
    again = SpilledRows.unit_length(spilled, in_place=True)
    assert again is spilled and HalfPrecisionRows.unit_length(held, in_place=True) is held
    np.testing.assert_array_equal(spilled.rows, held.rows)
    np.testing.assert_allclose(np.linalg.norm(spilled[3:5], axis=1), 1, atol=1e-3)
    # Sums and nearest centres read the file a block at a time, as they read rows in memory.
    labels = np.random.default_rng(1).integers(-1, 5, len(matrix))
    sums, sizes = label_sums(spilled, labels, np.arange(5))
    held_sums, held_sizes = label_sums(held, labels, np.arange(5))
    np.testing.assert_array_equal(sums, held_sums)
    assert sizes.tolist() == held_sizes.tolist()
    centres = normalise_rows(sums)
    assert [a.tolist() for a in nearest_centre(spilled, centres)] == [b.tolist() for b in nearest_centre(held, centres)]


class _Watched(SpilledRows):
    """SpilledRows that note the file pages mapped into the process each time they let them go."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapped: list[float] = []

    def release(self) -> None:
        self.mapped.append(_mapped_file_mib())
        super().release()


def test_what_the_process_reads_or_writes_of_the_file_is_let_go_after_each_access(tmp_path):
    """64 MiB of rows: written and read through the rows, in blocks or scattered, the process's mapped
    file pages stay far below the file at every step; read past them (the raw mapping), they grow
    by the file, until released. Scattered rows map the pages around each one (fault-around), so
    they are read a few at a time."""
    count, dimensions = 87_382, 384  # 64 MiB of float16
    spilled = _Watched(count, dimensions, folder=tmp_path)
    block = np.full((8_192, dimensions), 0.05, dtype=np.float32)
    before = _mapped_file_mib()
    for start in range(0, count, len(block)):
        spilled[start : start + len(block)] = block[: count - start]
    for start in range(0, count, len(block)):
        assert float(spilled[start : start + len(block)].sum()) > 0
    scattered = np.arange(0, count, 16)  # a row every eight pages
    assert float(spilled[scattered].mean()) == np.float32(np.float16(0.05))
    assert spilled[scattered > -1].shape == (len(scattered), dimensions)  # a mask reads its rows
    assert len(spilled.mapped) > count // 8_192 * 2 + len(scattered) // SPILLED_READ_ROWS
    assert max(spilled.mapped) - before < 24 and _mapped_file_mib() - before < 8
    assert float(spilled.rows[scattered].astype(np.float32).sum()) > 0  # the mapping read, not the rows
    assert _mapped_file_mib() - before > 56
    spilled.release()
    assert _mapped_file_mib() - before < 8


def _planted():
    problems = np.repeat(np.arange(4), 100)
    embeddings = planted_embeddings(problems, np.arange(400) % 5, seed=3)
    return [f"problem {p} report {i}" for i, p in enumerate(problems)], embeddings


def _miner(spill_from, half_precision_from=0, **options):
    return IssueMiner(
        clusterer=HDBSCANClusterer(min_cluster_size=5),
        merge_similarity=TEMPLATES_MERGE_SIMILARITY,
        half_precision_from=half_precision_from,
        spill_from=spill_from,
        **options,
    )


def _night(miner: IssueMiner, texts, vectors, known=None, previous=None, new=None) -> list:
    fitted = miner.fit(texts, vectors, known_centroids=known, previous=previous, new=new)
    return [
        (c.members.tolist(), c.similarities.tolist(), c.centroid.tolist(), c.keywords, c.representatives, c.known)
        for c in fitted.clusters_
    ]


def test_a_fit_of_spill_from_units_or_more_finds_what_a_half_precision_fit_finds(tmp_path):
    texts, embeddings = _planted()
    spilled = _night(_miner(400, spill_folder=tmp_path), texts, embeddings)
    assert spilled == _night(_miner(None), texts, embeddings) and len(spilled) == 4
    assert _miner(400).spills(400) and not _miner(401).spills(400) and not _miner(None).spills(10**9)
    assert not _miner(0, half_precision_from=None).spills(10**9)  # only float16 rows go to a file
    assert not _miner(0, half_precision_from=500).spills(400)
    assert isinstance(_miner(400, spill_folder=tmp_path).empty_rows((400, 384)), SpilledRows)
    assert type(_miner(401).empty_rows((400, 384))) is HalfPrecisionRows
    assert _miner(None, half_precision_from=401).empty_rows((400, 384)).dtype == np.float32
    # The next night, with known issues, last night's members and what is new: the same again, and
    # the rows the tracker read into a file are divided there, not copied.
    cold = _night(_miner(None, half_precision_from=None), texts[:300], embeddings[:300])
    known = np.array([centroid for *_, centroid, _, _, _ in cold])
    previous = np.full(400, -1)
    for index, (members, *_) in enumerate(cold):
        previous[members] = index
    new = np.arange(400) >= 300
    options = {"full_residual_limit": 10, "split_similarity": 0.99, "copy_embeddings": False}
    rows, held = SpilledRows.empty((400, 384), folder=tmp_path), HalfPrecisionRows.empty((400, 384))
    rows[:] = held[:] = embeddings * 2
    night = _night(_miner(400, **options), texts, rows, known, previous, new)
    assert night == _night(_miner(None, **options), texts, held, known, previous, new)
    assert {k for *_, k in night} == {0, 1, 2, None}
    np.testing.assert_allclose(np.linalg.norm(rows[:], axis=1), 1, atol=1e-3)


def test_the_pipeline_spills_fits_of_its_setting_or_more_and_mines_nothing_again_for_it(tmp_path):
    from cx_nlp.issues.miner import SPILL_FROM
    from cx_nlp.pipeline import PipelineContext, _tracker, mining_settings
    from cx_nlp.settings import Settings

    url = f"sqlite:///{tmp_path / 'w.db'}"
    default = PipelineContext.from_settings(Settings(warehouse_url=url))
    miner = _tracker(default).miner_factory()
    assert miner.spill_from == SPILL_FROM == 500_000 and miner.spill_folder is None
    told = PipelineContext.from_settings(
        Settings(warehouse_url=url, issue_spill_from=1000, issue_spill_folder=tmp_path)
    )
    miner = _tracker(told).miner_factory()
    assert miner.spill_from == 1000 and miner.spill_folder == tmp_path
    # The same values give the same issues: a window mined before is not mined again for the setting.
    assert mining_settings(told) == mining_settings(default)
    # A folder that is not there stops the run as it starts, naming the setting.
    with pytest.raises(ValidationError, match="issue_spill_folder"):
        Settings(warehouse_url=url, issue_spill_folder=tmp_path / "missing")
