"""Throughput of each stage on the bundled sample (repeated to a larger volume), and of whole runs.

    .venv/bin/python bench/bench_pipeline.py [--copies 4]
    CX_MODEL_REGISTRY=models/registry_mpnet.yaml .venv/bin/python bench/bench_pipeline.py   # the larger models

Prints documents per second per stage, then the wall time of a cold run (nothing cached) and of a
rerun of the same interval (everything cached) into a temporary SQLite warehouse.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cx_nlp.config import load_registry, load_sources, load_taxonomy  # noqa: E402
from cx_nlp.issues import IssueMiner  # noqa: E402
from cx_nlp.model_runtime import native_bfloat16  # noqa: E402
from cx_nlp.pipeline import PipelineContext, normalise, run_interval  # noqa: E402
from cx_nlp.registry import Models  # noqa: E402
from cx_nlp.settings import Settings  # noqa: E402
from cx_nlp.sources.ingest import ingest  # noqa: E402
from cx_nlp.touchpoints import TouchpointAssigner  # noqa: E402
from cx_nlp.warehouse.db import make_engine, migrate  # noqa: E402

START, END = date(2026, 10, 19), date(2026, 11, 16)


def timed(label: str, count: int, fn):
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<22} {count:>6} docs {seconds:>8.2f} s {count / seconds:>9.1f} docs/s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--copies", type=int, default=4, help="Repeat the sample this many times for the stage figures."
    )
    args = parser.parse_args()

    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, cuda={torch.cuda.is_available()}")
    # The registry the pipeline would use: models/registry.yaml, or CX_MODEL_REGISTRY.
    settings = Settings()
    registry_file = settings.path(settings.model_registry)
    registry = load_registry(registry_file)
    shown = registry_file.relative_to(ROOT) if registry_file.is_relative_to(ROOT) else registry_file
    print(
        f"registry {shown}: {registry.sentiment.ref} ({registry.sentiment.cpu_precision}), "
        f"{registry.embedding.ref} ({registry.embedding.cpu_precision}); native CPU bfloat16: {native_bfloat16()}"
    )
    models = Models(registry, ROOT)
    started = time.perf_counter()
    models.sentiment, models.embedder  # noqa: B018 - load both before timing stages
    print(f"{'load models':<22} {time.perf_counter() - started:>20.2f} s")

    loads, _ = ingest(load_sources(ROOT / "config/sources.yaml"), ROOT, START, END)
    records = [r for load in loads for r in load.records]
    result = timed("normalise", len(records), lambda: normalise(records, {}))
    texts = [f.text for f in result.feedback] * args.copies
    timed("sentiment", len(texts), lambda: models.sentiment.score(texts))
    vectors = timed("embed", len(texts), lambda: models.embedder.encode(texts))
    assigner = TouchpointAssigner(load_taxonomy(ROOT / "config/touchpoints.yaml")).fit(models.embedder.encode)
    timed("touchpoints", len(texts), lambda: assigner.assign(vectors, [{}] * len(texts), texts))
    timed("issues (one group)", len(texts), lambda: IssueMiner().fit(texts, vectors))

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            home=ROOT, progress=False, warehouse_url=f"sqlite:///{folder}/bench.db", report_dir=Path(folder)
        )
        context = PipelineContext.from_settings(settings, models=models)
        engine = make_engine(settings.resolved_warehouse_url())
        migrate(engine, ROOT / "sql")
        cold = timed("full run, cold", len(result.feedback), lambda: run_interval(context, engine, START, END))
        timed("full run, rerun", len(result.feedback), lambda: run_interval(context, engine, START, END))
        print("stage seconds (cold):", cold.stats["stage_seconds"])
        print("docs/s per stage (cold):", cold.stats["documents_per_second"])


if __name__ == "__main__":
    main()
