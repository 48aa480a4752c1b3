"""Working memory of the embedding step by batch size, for the longest chunks the pipeline embeds.

    .venv/bin/python bench/bench_embed_batch.py 64      # one batch size per fresh process: 64, 32, 16
    .venv/bin/python bench/bench_embed_batch.py         # the registry's batch and token bound (64, 8,192)

256 generated texts of about 245 tokens (the registry's embedding model reads at most 254 a chunk)
go through `Embedder.encode` with `batch_size` texts a forward pass (given: no token bound; else the
registry's batch size and `max_batch_tokens`); prints the process's peak RSS
above its RSS before the call (the model loaded and warmed up on four texts), the seconds, and the sum
of the vectors' first four components (batches of other shapes move float32 vectors in the last bits).
"""

from __future__ import annotations

import sys
import time

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from memory_peaks import peak_rss_mib, reset_peak_rss, rss_mib

from cx_nlp.config import load_registry
from cx_nlp.embeddings import Embedder

WORDS = "the parcel arrived two weeks late and the support agent never called me back about the refund".split()


def main(batch_size: int | None) -> None:
    registry = load_registry(bench_env.ROOT / "models" / "registry.yaml")
    embedder = Embedder(registry.embedding, bench_env.ROOT)
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(WORDS, 230)) + f" order {i}" for i in range(256)]
    if batch_size is not None:
        embedder.batch_size, embedder.max_batch_tokens = batch_size, None
    embedder.encode(texts[:4])
    reset_peak_rss()
    before, started = rss_mib(), time.perf_counter()
    vectors = embedder.encode(texts)
    print(
        f"batch {embedder.batch_size}, at most {embedder.max_batch_tokens} tokens a pass: "
        f"{embedder._count_tokens(texts[0])} tokens a text, "
        f"working memory {peak_rss_mib() - before:.0f} MiB, {time.perf_counter() - started:.1f} s, "
        f"sum of first components {float(vectors[:, :4].sum()):.6f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
