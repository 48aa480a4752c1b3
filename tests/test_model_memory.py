"""Model batches give the heap's freed pages back to the system after every step, so a run's memory
does not grow with the number of texts it scores and embeds (docs/benchmarks.md)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from cx_nlp import embeddings, model_runtime, sentiment


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(model_runtime._malloc_trim() is None, reason="glibc's malloc_trim only")
def test_freed_heap_pages_go_back_to_the_system():
    # 300 MiB of heap blocks (below glibc's mmap threshold), freed but for the last, which keeps the
    # heap's top in use so that free() alone cannot shrink it.
    blocks = [bytearray(100_000) for _ in range(3_000)]
    for block in blocks:
        block[::4096] = b"\x01" * len(block[::4096])  # touch every page
    last = blocks[-1]
    del blocks
    held = _rss_mib()
    model_runtime.release_freed_memory()
    assert held - _rss_mib() > 150
    assert last[0] == 1


class _CountingEmbedder(embeddings._ChunkedEmbedder):
    dimensions, max_tokens, step = 4, 50, 3

    def _count_tokens(self, text: str) -> int:
        return len(text.split())

    def _embed_chunks(self, chunks: list[str]) -> np.ndarray:
        return np.array([[len(c), 1.0, 0.0, 0.0] for c in chunks], dtype=np.float32)


def test_each_step_of_model_batches_releases_freed_memory(monkeypatch):
    released = []
    for module in (embeddings, sentiment):
        monkeypatch.setattr(module, "release_freed_memory", lambda: released.append(1))
    _CountingEmbedder().encode([f"text number {n}" for n in range(10)])  # 10 distinct chunks, steps of 3
    assert len(released) == 4

    classifier = object.__new__(sentiment.SentimentClassifier)
    classifier.batch_size = 2  # steps of 4 * 2 inputs
    classifier._probabilities = lambda texts: np.full((len(texts), 3), 1 / 3)
    released.clear()
    probabilities = classifier.batched_probabilities([f"input {n}" for n in range(20)])
    assert len(released) == 3 and probabilities.shape == (20, 3)


@pytest.mark.models
def test_released_models_are_freed_and_load_again_on_use():
    import weakref

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models
    from cx_nlp.settings import project_root

    models = Models(load_registry(project_root() / "models" / "registry.yaml"), project_root())
    first = models.embedder.encode(["The parcel came late."])
    gone = weakref.ref(models.embedder)
    models.release()
    # Nothing else holds the model: its weights are freed, not only unnamed.
    assert gone() is None
    assert np.allclose(models.embedder.encode(["The parcel came late."]), first, atol=1e-6)


def test_a_backfill_keeps_the_models_across_its_days_and_releases_them_for_the_last(monkeypatch):
    from datetime import date

    from cx_nlp import pipeline

    released = []
    monkeypatch.setattr(
        pipeline,
        "run_interval",
        lambda context, engine, start, end, rescore, release_models, ingest_apart: released.append(
            (start.day, release_models, ingest_apart)
        ),
    )
    context = SimpleNamespace(settings=SimpleNamespace(ingest_in_fresh_process=True))
    pipeline.run_intervals(context, None, date(2026, 11, 1), date(2026, 11, 4), per_day=True)
    assert released == [(1, False, True), (2, False, True), (3, True, True)]
    released.clear()
    context.settings.ingest_in_fresh_process = False
    pipeline.run_intervals(context, None, date(2026, 11, 1), date(2026, 11, 4), per_day=False)
    assert released == [(1, True, False)]
