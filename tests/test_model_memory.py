"""Model batches give the heap's freed pages back to the system after every step, so a run's memory
does not grow with the number of texts it scores and embeds (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path
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
    dimensions, max_tokens, step, batch_size = 4, 50, 3, 3

    def _count_tokens(self, text: str) -> int:
        return len(text.split())

    def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
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
        lambda context, engine, start, end, rescore, release_models, ingest_apart, worker: (
            released.append((start.day, release_models, ingest_apart)) or SimpleNamespace(stats={})
        ),
    )
    context = SimpleNamespace(
        settings=SimpleNamespace(ingest_in_fresh_process=True, ingest_worker_recycle_mib=1024, ingest_worker_window=10)
    )
    pipeline.run_intervals(context, None, date(2026, 11, 1), date(2026, 11, 4), per_day=True)
    assert released == [(1, False, True), (2, False, True), (3, True, True)]
    released.clear()
    context.settings.ingest_in_fresh_process = False
    pipeline.run_intervals(context, None, date(2026, 11, 1), date(2026, 11, 4), per_day=False)
    assert released == [(1, True, False)]


def test_steps_of_long_chunks_run_in_batches_of_at_most_the_token_bound():
    passes = []

    class Bounded(_CountingEmbedder):
        max_batch_tokens = 40

        def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
            passes.append((max(self._count_tokens(c) for c in chunks), batch_size))
            return super()._embed_chunks(chunks, batch_size)

    # Three steps of three chunks, of 3-5, 9-11 and 19-21 tokens: padded with two special tokens to
    # 7, 13 and 23, of which 40 tokens hold 5, 3 and 1 (the batch size is 3).
    texts = [" ".join(["word"] * n) + f" {n}" for n in (2, 3, 4, 8, 9, 10, 18, 19, 20)]
    vectors = Bounded().encode(texts)
    assert passes == [(5, 3), (11, 3), (21, 1)]
    assert vectors.shape == (9, 4)
    assert model_runtime.tokens_bounded_batch(64, None, 10_000) == 64
    assert model_runtime.tokens_bounded_batch(64, 8192, 111 + 2) == 64
    assert model_runtime.tokens_bounded_batch(64, 8192, 256) == 32


@pytest.mark.models
def test_the_registry_embedder_halves_its_batch_for_the_longest_chunks_with_the_same_vectors(monkeypatch):
    from cx_nlp.config import load_registry
    from cx_nlp.embeddings import Embedder

    root = Path(__file__).resolve().parent.parent
    entry = load_registry(root / "models" / "registry.yaml").embedding
    embedder = Embedder(entry, root)
    batches = []
    real = embedder.model.encode
    monkeypatch.setattr(
        embedder.model, "encode", lambda chunks, **kw: batches.append(kw["batch_size"]) or real(chunks, **kw)
    )
    words = "the parcel came two weeks late and support never called me back about my refund".split()
    # Sorted by length, a first step of 256 short chunks, then one of 44 short and the 70 long ones,
    # whose longest (about 253 tokens, 255 padded) only 32 at a time fit in the registry's 8,192.
    long_texts = [" ".join(words[(i + j) % len(words)] for j in range(250)) + f" order {i}" for i in range(70)]
    short_texts = [f"Order {i} arrived late and the box was crushed." for i in range(300)]
    bounded = embedder.encode(long_texts + short_texts)
    assert batches == [64, 32]
    embedder.max_batch_tokens, batches[:] = None, []
    unbounded = embedder.encode(long_texts + short_texts)
    assert batches == [64, 64]
    assert float(np.min(np.sum(bounded * unbounded, axis=1))) > 0.9999
