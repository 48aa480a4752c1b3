"""Reduction and density clustering of embeddings, and the geometry issues are built from."""

from __future__ import annotations

import mmap
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from scipy import sparse


def normalise_rows(matrix: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Each row divided by its norm; with `out=matrix`, in place (the same values, no second copy)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, np.clip(norms, 1e-12, None), out=out)


def members_by_label(labels: np.ndarray) -> dict[int, np.ndarray]:
    """Each label's indices, in order, from one sort: a window of a million documents with hundreds of
    issues would otherwise be scanned once per issue."""
    order = np.argsort(labels, kind="stable")
    values, starts = np.unique(labels[order], return_index=True)
    return dict(zip(values.tolist(), np.split(order, starts[1:])))


# Rows per block when documents are compared with centres: a million documents against a thousand
# issues would be 4 GB of cosines at once.
BLOCK_ROWS = 65_536
# And at most this many cosines a block: 65,536 rows against the thousands of issues of a large window
# would still be gigabytes (float32, 64 MiB).
BLOCK_CELLS = 16_777_216


class HalfPrecisionRows:
    """Unit vectors held as float16, half float32's memory, and read back as float32 rows.

    A mining fit holds every unit's vector of its group at once: 1.5 KiB a unit in float32, 3.4 GiB
    for the 2.4 million units of a million generated documents. Held as float16 a vector moves by
    at most about 1e-4 in cosine (11 bits of mantissa on components of about 0.05), far inside what
    the bars separate (UMAP and HDBSCAN may still draw other clusters, as from any change of the last
    bits: real sets' NMI within that spread, docs/quality.md). Every read (`rows[index]`, a slice, an
    array of indices) returns float32, so the geometry is done in float32 as before and never as a
    float16 product. `IssueMiner` holds a group so from `half_precision_from` units.
    """

    ndim = 2

    def __init__(self, rows: np.ndarray):
        if rows.dtype != np.float16 or rows.ndim != 2:
            raise ValueError(f"HalfPrecisionRows holds a 2-D float16 matrix, not {rows.ndim}-D {rows.dtype}")
        self.rows = rows

    @classmethod
    def empty(cls, shape: tuple[int, int], folder: Path | None = None) -> HalfPrecisionRows:
        """Rows to fill (`rows[i:j] = values`); `folder` is where `SpilledRows` keeps its file."""
        return cls(np.empty(shape, dtype=np.float16))

    @classmethod
    def unit_length(
        cls, matrix: np.ndarray | HalfPrecisionRows, in_place: bool = False, folder: Path | None = None
    ) -> HalfPrecisionRows:
        """`matrix`'s rows divided by their norms (in float32, a block at a time) and kept as float16;
        with `in_place`, held rows of any kind, or a float16 array held as they are, are divided where
        they are, with no second copy; otherwise the rows go to new ones of this class."""
        if in_place and isinstance(matrix, HalfPrecisionRows):
            held = matrix
        elif in_place and cls is HalfPrecisionRows and np.asarray(matrix).dtype == np.float16:
            held = cls(np.asarray(matrix))
        else:
            held = cls.empty(matrix.shape, folder)
        for start in range(0, len(matrix), BLOCK_ROWS):
            block = np.asarray(matrix[start : start + BLOCK_ROWS], dtype=np.float32)
            held[start : start + len(block)] = normalise_rows(block)
        return held

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows.shape

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index) -> np.ndarray:
        return self.rows[index].astype(np.float32)

    def __setitem__(self, index, values: np.ndarray) -> None:
        self.rows[index] = values


# Rows of a `SpilledRows` read through its mapping at a time when they are given by index: a page
# fault maps the 16 pages around it that the page cache holds (the kernel's fault-around), so 23,018
# members of one issue spread over a million-unit file mapped all of it (732 MiB) until released.
# Where the page cache holds the file in large folios (ext4 on Linux 6.18), a fault maps the whole
# folio, about 1 MiB a row read here: 256 rows mapped up to 267 MiB between two releases, 64 rows up to
# 105 MiB, the reads about a third slower (bench/bench_spilled_reads.py, docs/benchmarks.md).
SPILLED_READ_ROWS = 64


class SpilledRows(HalfPrecisionRows):
    """`HalfPrecisionRows` kept in an unnamed temporary file instead of the process's memory.

    At a million documents the float16 matrix of every unit's vector is 1.7 GiB, most of what mining
    holds. Here it lies in a file (gone when the rows are, or the process ends) that each read maps,
    copies out as float32 and unmaps (MADV_DONTNEED): the rows stay in the operating system's page
    cache, which is shared and given back under memory pressure, and the process holds what it
    reads, a block of rows at a time (rows given by index, SPILLED_READ_ROWS at a time). Same values,
    so the same issues as `HalfPrecisionRows`; it costs 768 bytes of disk a unit, and page faults
    (docs/benchmarks.md, "A large fit's vectors in a file"). `IssueMiner` holds a group so from
    `spill_from` units.
    """

    def __init__(self, count: int, dimensions: int, folder: Path | None = None):
        self._file = tempfile.TemporaryFile(dir=folder)  # no name: the system removes it when closed
        size = count * dimensions * np.dtype(np.float16).itemsize
        self._file.truncate(max(size, 1))
        self._map = mmap.mmap(self._file.fileno(), max(size, 1))
        rows = np.frombuffer(self._map, dtype=np.float16, count=count * dimensions)
        super().__init__(rows.reshape(count, dimensions))

    @classmethod
    def empty(cls, shape: tuple[int, int], folder: Path | None = None) -> SpilledRows:
        return cls(shape[0], shape[1], folder)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, np.ndarray | list):  # rows by index: SPILLED_READ_ROWS at a time
            index = np.asarray(index)
            index = np.flatnonzero(index) if index.dtype == bool else index
            rows = np.empty((*index.shape, self.shape[1]), dtype=np.float32)
            for start in range(0, len(index), SPILLED_READ_ROWS):
                rows[start : start + SPILLED_READ_ROWS] = self.rows[index[start : start + SPILLED_READ_ROWS]]
                self.release()
            return rows
        rows = super().__getitem__(index)  # a slice or a row: pages next to one another
        self.release()
        return rows

    def __setitem__(self, index, values: np.ndarray) -> None:
        super().__setitem__(index, values)
        self.release()

    def release(self) -> None:
        """Unmap every page read or written so far: the file and the page cache keep them."""
        self._map.madvise(mmap.MADV_DONTNEED)


def unit_rows(
    embeddings: np.ndarray | HalfPrecisionRows,
    half: bool,
    in_place: bool,
    spill: bool = False,
    folder: Path | None = None,
) -> np.ndarray | HalfPrecisionRows:
    """The vectors divided by their norms, even when already unit length: HDBSCAN and UMAP amplify
    1e-7 (docs/quality.md, restaurants). Held as float16 where `half` or held so already, in a
    temporary file in `folder` (`SpilledRows`) where `spill`; `in_place`: divided where they are (a
    float32 matrix, or held rows), with no second copy."""
    if half or isinstance(embeddings, HalfPrecisionRows):
        kind = SpilledRows if spill else HalfPrecisionRows
        return kind.unit_length(embeddings, in_place=in_place, folder=folder)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    return normalise_rows(embeddings, out=embeddings if in_place else None)


def label_sums(
    vectors: np.ndarray | HalfPrecisionRows, labels: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per label (row i: `groups[i]`; -1 counts nowhere): the float64 sum of its vectors and its size."""
    index = np.searchsorted(groups, labels)
    rows = np.flatnonzero(labels >= 0)
    sizes = np.bincount(index[rows], minlength=len(groups))
    if isinstance(vectors, HalfPrecisionRows):  # summed a block of rows at a time, each read as float32
        sums = np.zeros((len(groups), vectors.shape[1]), dtype=np.float64)
        for start in range(0, len(labels), BLOCK_ROWS):
            low, high = np.searchsorted(rows, [start, start + BLOCK_ROWS])
            block = rows[low:high]
            sums += (
                _indicator(index[block], block - start, len(groups), min(BLOCK_ROWS, len(labels) - start))
                @ vectors[start : start + BLOCK_ROWS]
            )
        return sums, sizes
    return np.asarray(_indicator(index[rows], rows, len(groups), len(labels)) @ vectors, dtype=np.float64), sizes


def _indicator(groups_of: np.ndarray, rows: np.ndarray, n_groups: int, n_rows: int) -> sparse.csr_matrix:
    """A sparse (group x row) matrix with a 1 where the row is in the group. float32 ones: a float64
    indicator would copy a million embeddings to float64 (3 GB) to sum them."""
    ones = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((ones, (groups_of, rows)), shape=(n_groups, n_rows))


def centre(vectors: np.ndarray) -> np.ndarray:
    """The unit-length mean direction of a group of documents: an issue's centroid."""
    return normalise_rows(vectors.mean(0, keepdims=True))[0]


# A group's rows read at a time for its centre and its members' cosines: read whole, an issue's rows are
# 1.5 KiB of float32 a unit at once (an issue of 250,000 units: 366 MiB), three times a night; in blocks,
# 24 MiB at most (docs/benchmarks.md, "The issue stage at a million documents").
GROUP_READ_ROWS = 16_384


def group_centre(vectors: np.ndarray | HalfPrecisionRows, members: np.ndarray) -> np.ndarray:
    """`centre(vectors[members])` to the bit, the rows read GROUP_READ_ROWS at a time: numpy sums a
    matrix's rows in order, so each block's sum continues the running total."""
    if len(members) <= GROUP_READ_ROWS:
        return centre(vectors[members])
    total = None
    for start in range(0, len(members), GROUP_READ_ROWS):
        block = vectors[members[start : start + GROUP_READ_ROWS]]
        total = block.sum(0) if total is None else np.vstack([total[None], block]).sum(0)
    return normalise_rows((total / len(members))[None])[0]


def group_cosines(vectors: np.ndarray | HalfPrecisionRows, members: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """`vectors[members] @ centroid`, the rows read GROUP_READ_ROWS at a time."""
    if len(members) <= GROUP_READ_ROWS:
        return vectors[members] @ centroid
    return np.concatenate(
        [
            vectors[members[start : start + GROUP_READ_ROWS]] @ centroid
            for start in range(0, len(members), GROUP_READ_ROWS)
        ]
    )


def centre_and_cosines(vectors: np.ndarray | HalfPrecisionRows, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A group's centre and its members' cosines with it: its rows read once where they are few, in
    blocks twice where they are many (`group_centre`, `group_cosines`)."""
    if len(members) <= GROUP_READ_ROWS:
        rows = vectors[members]
        centroid = centre(rows)
        return centroid, rows @ centroid
    centroid = group_centre(vectors, members)
    return centroid, group_cosines(vectors, members, centroid)


def nearest_centre(
    vectors: np.ndarray, centres: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre (index) and its cosine, in blocks of rows (unit vectors in and out).
    With `rows`, only those rows of `vectors`, without copying them all out first (a million-unit
    window's outliers are a gigabyte and more)."""
    count = len(vectors) if rows is None else len(rows)
    nearest = np.empty(count, dtype=np.int64)
    best = np.empty(count, dtype=np.float32)
    step = max(1, min(BLOCK_ROWS, BLOCK_CELLS // max(len(centres), 1)))
    for start in range(0, count, step):
        block = vectors[start : start + step] if rows is None else vectors[rows[start : start + step]]
        similarity = block @ centres.T
        nearest[start : start + len(similarity)] = similarity.argmax(1)
        best[start : start + len(similarity)] = similarity.max(1)
    return nearest, best


def row_cosines(vectors: np.ndarray, rows: np.ndarray, centres: np.ndarray, centre_of: np.ndarray) -> np.ndarray:
    """Cosine of vectors[rows[i]] with centres[centre_of[i]], in blocks."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), BLOCK_ROWS):
        block, which = rows[start : start + BLOCK_ROWS], centre_of[start : start + BLOCK_ROWS]
        out[start : start + len(block)] = np.einsum("ij,ij->i", vectors[block], centres[which])
    return out


class PCAReducer:
    """Reduces embeddings before density clustering: HDBSCAN struggles in 384 dimensions."""

    def __init__(self, n_components: int = 10, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    def fit_transform(self, embeddings: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        components = min(self.n_components, embeddings.shape[0] - 1, embeddings.shape[1])
        if components < 2:
            return embeddings
        self.pca_ = PCA(n_components=components, random_state=self.random_state)
        return self.pca_.fit_transform(embeddings)


# Modules (and packages) whose numba functions UMAP runs: most of them compile on first call, in
# every process; the project's compiled distances (`umap_distances`) among them.
_JIT_MODULES = ("umap", "pynndescent", "cx_nlp.issues.umap_distances")


def cache_compiled_umap() -> int:
    """Keeps what numba compiles for UMAP on disk, so that a fresh process loads it instead of compiling.

    umap-learn and pynndescent declare many of their numba functions without `cache=True`: every
    process (each nightly run, each Airflow task) compiled them again, about 38 s of a 101 s reduction
    of 31,563 segments on 2 cores. Caching is numba's own (`Dispatcher.enable_caching`, what
    `cache=True` calls), in numba's usual place: `NUMBA_CACHE_DIR` if set, else the package's
    `__pycache__`, else the user's cache folder. The cache is keyed by each source file's timestamp, so
    an upgraded package compiles afresh. Where no location is writable, functions compile in
    process as before. Returns how many functions it turned caching on for.
    """
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    enabled = 0
    modules = [
        module
        for name, module in list(sys.modules.items())
        if module is not None and any(name == jit or name.startswith(f"{jit}.") for jit in _JIT_MODULES)
    ]
    for module in modules:
        for function in list(vars(module).values()):
            if not isinstance(function, Dispatcher) or not isinstance(getattr(function, "_cache", None), NullCache):
                continue
            try:
                function.enable_caching()
            except RuntimeError:  # no cache location numba can write to
                return enabled
            enabled += 1
    return enabled


class UMAPReducer:
    """UMAP to a few dimensions before density clustering: it keeps each text's nearest neighbours
    together, which PCA's global directions blur when problems are many and close (BANKING77's 77
    intents: issue NMI 0.69 against 0.56 with PCA, docs/quality.md).

    Seeded and started from PCA coordinates, so the same vectors give the same layout on every run.
    UMAP's default spectral start is not repeatable: a group of identical texts is a component of the
    neighbour graph of its own whose Laplacian has one eigenvalue many times over, and SciPy's ARPACK
    restarts there from random vectors it draws afresh each call. Measured beside it (docs/quality.md):
    the five real sets 0.427 NMI against 0.418, the project's own within 0.01 over four seeds. 200
    epochs whatever the size (UMAP gives windows of up to 10,000 units 500): the same figures within
    that spread, at 2.5 times less layout work on a small window.

    Groups too small for its neighbourhood graph are reduced with PCA instead. Under 4,096 points UMAP
    measures every pair exactly; those distances come from one compiled loop (`umap_distances`): the
    same matrix to the bit, and a fit of 3,000 points in 10 s instead of 31 (docs/benchmarks.md).
    """

    def __init__(
        self,
        n_components: int = 5,
        n_neighbors: int = 15,
        random_state: int = 13,
        min_points: int = 60,
        init: str = "pca",
        n_epochs: int = 200,
    ):
        self.n_components = n_components
        self.init = init
        self.n_epochs = n_epochs
        self.n_neighbors = n_neighbors
        self.random_state = random_state
        self.min_points = min_points

    def fit_transform(self, embeddings: np.ndarray) -> np.ndarray:
        if len(embeddings) < self.min_points:
            return PCAReducer(random_state=self.random_state).fit_transform(embeddings)
        from cx_nlp.issues.umap_distances import compiled_small_data_distances

        cache_compiled_umap()
        with without_seeded_umap_warning(), compiled_small_data_distances():
            return self.estimator().fit_transform(embeddings)

    def estimator(self):
        """The UMAP estimator `fit_transform` runs (unfitted)."""
        from umap import UMAP

        return UMAP(
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            min_dist=0.0,
            metric="cosine",
            random_state=self.random_state,
            init=self.init,
            n_epochs=self.n_epochs,
        )


@contextmanager
def without_seeded_umap_warning() -> Iterator[None]:
    """UMAP with a seed runs on one thread and warns so on every fit; the reducer always seeds it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value 1 overridden.*")
        yield


# The largest minimum cluster size a group's size gives (a recurring issue of 10 documents in the window
# is worth reporting however many other documents the group holds).
MAX_MIN_CLUSTER_SIZE = 10


class HDBSCANClusterer:
    """HDBSCAN whose minimum cluster size grows with the group, unless given.

    A touchpoint with 25 complaints needs clusters of 4 to show anything; one with 5,000 would
    shatter into hundreds of tiny issues at that size. sqrt(n)/2 keeps both readable, up to
    MAX_MIN_CLUSTER_SIZE: beyond it, a large group's smaller real problems fell below the minimum and
    HDBSCAN folded them into their neighbours (BANKING77, 2,000 requests: NMI 0.72 -> 0.78, stability
    0.90 -> 0.97; CFPB narratives 0.31 -> 0.35; docs/quality.md).
    """

    def __init__(
        self,
        min_cluster_size: int | None = None,
        min_samples: int | None = None,
        selection: str = "eom",
        single_cluster_fallback: bool = True,
    ):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.selection = selection
        # A touchpoint with one problem, or what known issues leave over, is often a single cluster,
        # which HDBSCAN calls all noise. Allowing one cluster always would swallow distinct issues
        # into one, so it is only the fallback when nothing else is found.
        self.single_cluster_fallback = single_cluster_fallback

    def sizes(self, n: int) -> tuple[int, int]:
        size = self.min_cluster_size or max(4, min(MAX_MIN_CLUSTER_SIZE, round(n**0.5 / 2)))
        samples = self.min_samples or max(2, size // 2)
        return size, samples

    def fit_predict(self, points: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        size, samples = self.sizes(len(points))
        if len(points) < size:
            return np.full(len(points), -1)

        def cluster(single: bool) -> np.ndarray:
            return HDBSCAN(
                min_cluster_size=size,
                min_samples=samples,
                cluster_selection_method=self.selection,
                allow_single_cluster=single,
                copy=True,
            ).fit_predict(points)

        labels = cluster(single=False)
        if self.single_cluster_fallback and (labels == -1).all():
            labels = cluster(single=True)
        return labels
