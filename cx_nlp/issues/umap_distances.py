"""UMAP's exact distances for a small group, computed in one compiled loop instead of a Python call per pair.

Under 4,096 points UMAP finds each point's neighbours exactly: it hands its numba `cosine` to
scikit-learn's `pairwise_distances`, which, given a callable, calls it once per pair from Python
(`_pairwise_callable`). For 3,012 segment units that was 55 s of a 66 s layout on 2 cores (AVX2, no
AVX-512; 4.5 million calls). `exact_distances` makes the same calls in the same order from compiled
code, upper triangle, mirrored, then the diagonal, into an array of the input's dtype as scikit-learn
does, so the matrix is bit for bit the one UMAP computed before (`tests/test_umap_reducer.py` holds
this) and every layout stays as it was. The loop is kept in numba's disk cache with UMAP's own
functions (`clustering.cache_compiled_umap`). It is imported only where UMAP runs (numba is UMAP's
dependency, not the project's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np
from umap import umap_
from umap.distances import cosine


@numba.njit
def _upper_triangle(points: np.ndarray) -> np.ndarray:
    n = points.shape[0]
    out = np.zeros((n, n), dtype=points.dtype)
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = cosine(points[i], points[j])
    return out


def exact_distances(points: np.ndarray) -> np.ndarray:
    """UMAP's cosine distance between every pair of rows, as `pairwise_distances(points, metric=cosine)`
    computes it."""
    points = np.ascontiguousarray(points)
    out = _upper_triangle(points)
    out = out + out.T
    for i in range(points.shape[0]):
        out[i, i] = cosine(points[i], points[i])
    return out


@contextmanager
def compiled_small_data_distances() -> Iterator[None]:
    """While UMAP fits, its small-data path gets `exact_distances` for the cosine metric; any other call
    goes to scikit-learn as before."""
    original = umap_.pairwise_distances

    def pairwise_distances(X, Y=None, metric="euclidean", **kwds):
        if Y is None and metric is cosine and not kwds and isinstance(X, np.ndarray) and X.dtype.kind == "f":
            return exact_distances(X)
        return original(X, Y, metric=metric, **kwds)

    umap_.pairwise_distances = pairwise_distances
    try:
        yield
    finally:
        umap_.pairwise_distances = original
