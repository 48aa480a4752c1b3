"""UMAP as the miner runs it: the same vectors give the same layout, and what numba compiles for it is
kept on disk for the next process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from cx_nlp.issues.clustering import UMAPReducer, normalise_rows, without_seeded_umap_warning

ROOT = Path(__file__).resolve().parents[1]


def _clusters_and_repeated_texts() -> np.ndarray:
    rng = np.random.default_rng(0)
    parts = [centre + 0.3 * rng.normal(size=(40, 384)) for centre in rng.normal(size=(6, 384))]
    # A text sent word for word by 16 customers, another by 20: each is a component of the neighbour
    # graph of its own whose Laplacian has one eigenvalue many times over, where ARPACK restarts from
    # random vectors drawn afresh each call (SciPy's eigsh without `rng`): a spectral initialisation
    # then laid the same vectors out differently on every run.
    parts += [np.repeat(rng.normal(size=(1, 384)), copies, axis=0) for copies in (16, 20)]
    return normalise_rows(np.vstack(parts)).astype(np.float32)


def test_the_same_vectors_get_the_same_layout_every_run():
    vectors = _clusters_and_repeated_texts()
    first = UMAPReducer().fit_transform(vectors)
    assert first.shape == (len(vectors), 5)
    for _ in range(2):
        np.testing.assert_array_equal(UMAPReducer().fit_transform(vectors), first)


def test_compiled_umap_code_is_written_to_numba_cache(tmp_path):
    # In a fresh process: numba reads NUMBA_CACHE_DIR when it is first imported.
    script = textwrap.dedent(
        """
        import numpy as np
        from cx_nlp.issues.clustering import UMAPReducer
        UMAPReducer().fit_transform(np.random.default_rng(0).normal(size=(80, 16)).astype(np.float32))
        """
    )
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
    cached = {path.name.split("-")[0] for path in tmp_path.rglob("*.nbi")}
    # The layout's epochs and the neighbour graph's weights: compiled in every process before.
    assert "layouts._optimize_layout_euclidean_single_epoch" in cached
    assert "umap_.smooth_knn_dist" in cached
    # The project's compiled distances of a small group's pairs, kept beside them.
    assert "umap_distances._upper_triangle" in cached


def test_small_groups_get_umaps_own_distances_and_layout_from_the_compiled_loop(monkeypatch):
    from sklearn.metrics import pairwise_distances
    from umap import umap_
    from umap.distances import cosine

    from cx_nlp.issues import umap_distances
    from cx_nlp.issues.umap_distances import exact_distances

    vectors = _clusters_and_repeated_texts()
    vectors[3] = 0.0  # a text without a vector's direction takes UMAP's own zero-norm branch
    # Bit for bit the matrix scikit-learn builds with UMAP's numba cosine, one Python call per pair.
    expected = pairwise_distances(vectors, metric=cosine)
    found = exact_distances(vectors)
    assert found.dtype == expected.dtype and np.array_equal(found, expected)
    # So the layout is UMAP's own: the reducer's estimator fitted without the compiled distances.
    original = umap_.pairwise_distances
    reducer = UMAPReducer()
    with without_seeded_umap_warning():
        plain = reducer.estimator().fit_transform(vectors)
    # The reducer's fit really takes the compiled loop: an umap-learn that no longer calls
    # `pairwise_distances` from umap.umap_ would leave the patch unused and every small fit slow.
    calls = []
    monkeypatch.setattr(
        umap_distances, "exact_distances", lambda points: calls.append(len(points)) or exact_distances(points)
    )
    np.testing.assert_array_equal(reducer.fit_transform(vectors), plain)
    assert calls == [len(vectors)]
    # The compiled distances stand in only while the reducer fits.
    assert umap_.pairwise_distances is original
