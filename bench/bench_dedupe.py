"""What reading each distinct model input once, in length order, saves in the model stages.

    .venv/bin/python bench/bench_dedupe.py [--rounds 3] [--tickets 200] [--mix 1000]

The texts are those the sentiment stage is handed in a cold run (`cx_nlp.enrichment`): each feedback
and each of its segments, one per content hash, for three corpora: the bundled sample, generated
complaint narratives of 150-300 words (as `bench_pipeline.py --runtimes` calls tickets) and the
generator's whole mix. Each round times, in turn on the same texts and the same loaded model, the
classifier reading every input (`batched_probabilities` over all inputs, what `score` did before
deduplication) and `score` (each distinct input once), and checks that both give the same labels;
then the embedder reading every chunk in the order it is handed them (`_embed_chunks` step by step,
what `encode` did before) and `encode` (each distinct chunk once, shortest first), with the cosine of
their vectors. Writes bench/results/dedupe.json with the load average around each timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from bench_pipeline import _machine, generated_corpus, write_results

from cx_nlp.config import load_registry, load_sources
from cx_nlp.normalise import content_hash
from cx_nlp.pipeline import normalise
from cx_nlp.registry import Models
from cx_nlp.segments import split_segments
from cx_nlp.settings import Settings
from cx_nlp.sources.ingest import ingest
from cx_nlp.textprep import chunk_by_tokens

ROOT = bench_env.ROOT

START, END = date(2026, 10, 19), date(2026, 11, 16)
RESULTS = ROOT / "bench" / "results" / "dedupe.json"


def stage_texts(sources: Path) -> tuple[int, list[str]]:
    """The feedback of the sources' interval and the texts a cold run's sentiment stage scores."""
    loads, _ = ingest(load_sources(sources), ROOT, START, END)
    feedback = normalise([r for load in loads for r in load.records], {}).feedback
    texts = {f.content_hash: f.text for f in feedback}
    texts |= {content_hash(s.text): s.text for f in feedback for s in split_segments(f.text)}
    return len(feedback), [text for _, text in sorted(texts.items())]


def caller_order_vectors(embedder, texts: list[str]) -> np.ndarray:
    """What `encode` computed before: every chunk, in the order handed, `step` chunks per model call."""
    chunked = [chunk_by_tokens(t, embedder._count_tokens, embedder.max_tokens) for t in texts]
    flat = [c for chunks in chunked for c in chunks]
    vectors = np.vstack(
        [
            embedder._embed_chunks(flat[i : i + embedder.step], embedder.batch_size)
            for i in range(0, len(flat), embedder.step)
        ]
    )
    out, cursor = [], 0
    for chunks in chunked:
        mean = vectors[cursor : cursor + len(chunks)].mean(axis=0)
        out.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        cursor += len(chunks)
    return np.array(out)


def every_input_scores(classifier, plan) -> list:
    """What `score` computed before: every model input through the model, repeats included."""
    return classifier.assemble(plan, classifier.batched_probabilities(plan.inputs))


def timed(fn, *args) -> tuple[object, dict]:
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "load_average_before": round(load, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=200, help="generated narratives of 150-300 words")
    parser.add_argument("--mix", type=int, default=1000, help="generated documents of every channel")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    settings = Settings()
    registry = load_registry(settings.path(settings.model_registry))
    models = Models(registry, ROOT)
    classifier, embedder = models.sentiment, models.embedder
    results: dict = {
        "machine": _machine(),
        "command": "bench/bench_dedupe.py " + " ".join(sys.argv[1:]),
        "registry": {"sentiment": registry.sentiment.ref, "embedding": registry.embedding.ref},
        "corpora": {},
    }
    with tempfile.TemporaryDirectory() as work:
        corpora = {
            "sample": stage_texts(ROOT / "config" / "sources.yaml"),
            "tickets": stage_texts(generated_corpus(Path(work) / "tickets", "tickets", args.tickets, args.seed)),
        }
        if args.mix:
            from generate import Generator
            from generate_files import write_files

            write_files(Generator(args.seed, START, (END - START).days).documents(args.mix), Path(work) / "mix")
            corpora["mix"] = stage_texts(Path(work) / "mix" / "sources.yaml")

    for name, (feedback, texts) in corpora.items():
        plan = classifier.model_inputs(texts)
        chunks = [c for t in texts for c in chunk_by_tokens(t, embedder._count_tokens, embedder.max_tokens)]
        entry: dict = {
            "feedback": feedback,
            "texts": len(texts),
            "sentiment_inputs": len(plan.inputs),
            "sentiment_distinct": len(set(plan.inputs)),
            "sentiment_repeat_share": round(1 - len(set(plan.inputs)) / len(plan.inputs), 3),
            "embedding_chunks": len(chunks),
            "embedding_distinct": len(set(chunks)),
            "rounds": [],
        }
        print(f"{name}: {json.dumps({k: v for k, v in entry.items() if k != 'rounds'})}", flush=True)
        classifier.score(texts[:64])  # warm-up: first-call allocations
        embedder.encode(texts[:64])
        for round_number in range(1, args.rounds + 1):
            timing: dict = {"round": round_number}
            before, timing["every_input"] = timed(every_input_scores, classifier, plan)
            after, timing["distinct_inputs"] = timed(classifier.score, texts)
            timing["same_labels"] = [s.label for s in before] == [s.label for s in after]
            timing["speedup"] = round(timing["every_input"]["seconds"] / timing["distinct_inputs"]["seconds"], 2)
            before, timing["embed_caller_order"] = timed(caller_order_vectors, embedder, texts)
            after, timing["embed_distinct_by_length"] = timed(embedder.encode, texts)
            timing["embed_min_cosine"] = round(float(np.min(np.sum(before * after, axis=1))), 6)
            timing["embed_speedup"] = round(
                timing["embed_caller_order"]["seconds"] / timing["embed_distinct_by_length"]["seconds"], 2
            )
            entry["rounds"].append(timing)
            print(
                f"  round {round_number}: sentiment every input {timing['every_input']['seconds']} s "
                f"(load {timing['every_input']['load_average_before']}), distinct {timing['distinct_inputs']['seconds']} s "
                f"(load {timing['distinct_inputs']['load_average_before']}), x{timing['speedup']}, "
                f"same labels: {timing['same_labels']}; embedding caller order {timing['embed_caller_order']['seconds']} s, "
                f"distinct by length {timing['embed_distinct_by_length']['seconds']} s, x{timing['embed_speedup']}, "
                f"min cosine {timing['embed_min_cosine']}",
                flush=True,
            )
        paths = ("every_input", "distinct_inputs", "embed_caller_order", "embed_distinct_by_length")
        for path in paths:
            entry[f"{path}_seconds_median"] = statistics.median(r[path]["seconds"] for r in entry["rounds"])
        entry["speedup_median"] = statistics.median(r["speedup"] for r in entry["rounds"])
        entry["embed_speedup_median"] = statistics.median(r["embed_speedup"] for r in entry["rounds"])
        entry["texts_per_s_median"] = {path: round(len(texts) / entry[f"{path}_seconds_median"], 1) for path in paths}
        results["corpora"][name] = entry
    write_results(args.output, results)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
