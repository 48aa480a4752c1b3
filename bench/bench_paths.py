"""The pipeline beside the paths a user would otherwise run, on the same documents, as ratios.

    .venv/bin/python bench/bench_paths.py --tweets 1000 --tickets 200 --rounds 2   # bench/results/paths.json

Per corpus (generated social posts of tweet length, generated complaint narratives of 150-300 words;
bench/generate.py), both models loaded before any timing, the paths taking turns within each round
after an untimed warm-up round (numba compiles UMAP once):

- pipeline: `run_interval` cold into an empty SQLite warehouse: load, normalise, every document's
  segments and evidence sentences scored, chunks and segments embedded, touchpoints, issue mining,
  the warehouse writes and the report;
- per document: what a first script does with the same two models: each normalised document through
  the sentiment model and then the embedding model, one at a time (truncated to the models' lengths);
- plain passes: the same two passes over whole documents, batched and sorted by length: the floor of
  any path that reads each document once;
- BERTopic notebook: the plain passes, then BERTopic with its defaults on those vectors (UMAP seeded,
  HDBSCAN, c-TF-IDF, `reduce_outliers`, `update_topics`); it scores no segment and writes nothing.

The three other paths read the texts the pipeline's normalise step keeps (deduplicated, PII redacted).
Documents per second of wall time per path, and the pipeline's wall time over each path's (x > 1: the
pipeline takes longer), medians of the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from bench_miner import bertopic
from bench_pipeline import END, START, _bench_settings, _cold_run, _machine, generated_corpus, write_results

from cx_nlp.config import load_registry, load_sources, load_taxonomy
from cx_nlp.pipeline import PipelineContext, normalise
from cx_nlp.registry import Models
from cx_nlp.sources.ingest import ingest

ROOT = bench_env.ROOT
RESULTS = ROOT / "bench" / "results" / "paths.json"
PATHS = ("pipeline", "per_document", "plain_passes", "bertopic_notebook")


def normalised_texts(sources: Path) -> list[str]:
    """The feedback texts the pipeline's normalise step keeps for the corpus's interval."""
    loads, _ = ingest(load_sources(sources), ROOT, START, END)
    records = [r for load in loads for r in load.records]
    payloads = {(raw.source, raw.record_key): raw.payload for load in loads for raw in load.raw}
    return [f.text for f in normalise(records, payloads, lambda hashes: {}).feedback]


def per_document(models: Models, texts: list[str]) -> dict:
    for text in texts:
        models.sentiment.batched_probabilities([text])
        models.embedder._embed_chunks([text], 1)
    return {}


def whole_document_vectors(models: Models, texts: list[str]) -> np.ndarray:
    """Both models over whole documents, batched and sorted by length; the embeddings in text order."""
    models.sentiment.batched_probabilities(texts)
    order = np.argsort([len(t) for t in texts], kind="stable")
    embedded = models.embedder._embed_chunks([texts[i] for i in order], models.embedder.batch_size)
    vectors = np.empty_like(embedded)
    vectors[order] = embedded
    return vectors


def plain_passes(models: Models, texts: list[str]) -> dict:
    whole_document_vectors(models, texts)
    return {}


def bertopic_notebook(models: Models, texts: list[str]) -> dict:
    found = bertopic(texts, whole_document_vectors(models, texts), np.zeros(len(texts), dtype=int))
    return {"topics": found["topics"], "raw_outlier_share": found["raw_outlier_share"]}


OTHER_PATHS = {"per_document": per_document, "plain_passes": plain_passes, "bertopic_notebook": bertopic_notebook}


def run_path(path: str, context: PipelineContext, texts: list[str], database: Path) -> dict:
    if path == "pipeline":
        measured = _cold_run(context, database)
        return {"seconds": measured["seconds"], "documents": measured["feedback"], "issues": measured["issues"]}
    started = time.perf_counter()
    extra = OTHER_PATHS[path](context.models, texts)
    return {"seconds": round(time.perf_counter() - started, 2), "documents": len(texts)} | extra


def summarise(runs: dict) -> dict:
    summary: dict = {}
    for corpus, by_path in runs.items():
        pipeline = by_path["pipeline"]
        for path, measured in by_path.items():
            seconds = [m["seconds"] for m in measured]
            entry = {
                "documents": measured[0]["documents"],
                "seconds_median": round(statistics.median(seconds), 2),
                "docs_per_s_median": round(statistics.median(m["documents"] / m["seconds"] for m in measured), 1),
            }
            if path != "pipeline":
                ratios = [p["seconds"] / m["seconds"] for p, m in zip(pipeline, measured)]
                entry["pipeline_time_over_this_median"] = round(statistics.median(ratios), 2)
            summary.setdefault(corpus, {})[path] = entry
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=1000, help="generated social posts")
    parser.add_argument("--tickets", type=int, default=200, help="generated narratives of 150-300 words")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds after the warm-up")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from cx_nlp.settings import Settings

    registry = load_registry(Settings().path(Settings().model_registry))
    models = Models(registry, ROOT)
    models.sentiment, models.embedder  # noqa: B018 - loaded before any timing
    results: dict = {"machine": _machine(), "command": "bench/bench_paths.py " + " ".join(sys.argv[1:])}
    results["registry"] = {"sentiment": registry.sentiment.ref, "embedding": registry.embedding.ref}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        corpora = {}
        for kind, count in (("tweets", args.tweets), ("tickets", args.tickets)):
            sources = generated_corpus(work / kind, kind, count, args.seed)
            settings = _bench_settings(work, sources)
            context = PipelineContext(
                settings=settings,
                sources=load_sources(sources),
                taxonomy=load_taxonomy(settings.path(settings.touchpoints_config)),
                registry=registry,
                models=models,
            )
            corpora[kind] = (context, normalised_texts(sources))
        runs: dict = {kind: {path: [] for path in PATHS} for kind in corpora}
        for round_number in range(args.rounds + 1):  # round 0: warm-up, not reported
            for kind, (context, texts) in corpora.items():
                for path in PATHS:
                    measured = run_path(path, context, texts, work / f"r{round_number}-{kind}.db")
                    label = "warm-up" if round_number == 0 else f"round {round_number}"
                    print(f"{label:<8} {kind:<8} {path:<18} {measured}", flush=True)
                    if round_number:
                        runs[kind][path].append(measured)
    results["runs"] = runs
    results["summary"] = summarise(runs)
    write_results(args.output, results)
    for kind, by_path in results["summary"].items():
        for path, entry in by_path.items():
            ratio = entry.get("pipeline_time_over_this_median")
            print(
                f"{kind:<8} {path:<18} {entry['docs_per_s_median']:>7.1f} docs/s"
                + (f"  pipeline x{ratio}" if ratio else "")
            )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
