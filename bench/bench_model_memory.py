"""What the two models keep between batches: resident memory after each lot of generated feedback
scored and embedded, with nothing else held.

    .venv/bin/python bench/bench_model_memory.py --lots 20 --lot-size 300
    LRU_CACHE_CAPACITY=1024 ONEDNN_PRIMITIVE_CACHE_CAPACITY=1024 .venv/bin/python bench/bench_model_memory.py

Each lot is the next `--lot-size` documents of `bench/generate.py` (mixed channels and lengths), as a
run's chunk hands them to the models: sentiment scored, then embedded. The outputs are dropped, so
what RSS gains from lot to lot is what the models' runtimes keep (per-shape kernels and their
buffers, the heap's free pages), not the pipeline's data. The second command runs with torch's own
kernel-cache sizes instead of the product's. Prints one line a lot and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from generate import Generator
from memory_peaks import peak_rss_mib, rss_mib

ROOT = bench_env.ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=20)
    parser.add_argument("--lot-size", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, help="JSON file for the figures")
    args = parser.parse_args()

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    models = Models(load_registry(ROOT / "models" / "registry.yaml"), ROOT, "cpu")
    sentiment, embedder = models.sentiment, models.embedder
    loaded = rss_mib()
    print(f"models loaded: RSS {loaded:,.0f} MiB")
    generator = Generator(seed=args.seed)
    lots, start = [], time.perf_counter()
    for lot in range(args.lots):
        texts = [d.text for d in generator.documents(args.lot_size, start_index=lot * args.lot_size)]
        began = time.perf_counter()
        sentiment.score(texts)
        embedder.encode(texts)
        lots.append({"lot": lot + 1, "rss_mib": round(rss_mib()), "seconds": round(time.perf_counter() - began, 2)})
        gained = lots[-1]["rss_mib"] - (lots[-2]["rss_mib"] if lot else loaded)
        print(f"lot {lot + 1:>3}: RSS {lots[-1]['rss_mib']:,} MiB ({gained:+,.0f}), {lots[-1]['seconds']} s")
    summary = {
        "lots": args.lots,
        "lot_size": args.lot_size,
        # As the models' loading left them (cx_nlp.model_runtime bounds both unless the environment sets them).
        "lru_cache_capacity": os.environ.get("LRU_CACHE_CAPACITY"),
        "onednn_primitive_cache_capacity": os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY"),
        "rss_loaded_mib": round(loaded),
        "rss_end_mib": lots[-1]["rss_mib"] if lots else round(loaded),
        "peak_rss_mib": round(peak_rss_mib()),
        "seconds": round(time.perf_counter() - start, 1),
        "per_lot": lots,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "per_lot"}))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
