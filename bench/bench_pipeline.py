"""Throughput of each stage on the bundled sample (repeated to a larger volume), and of whole runs.

    .venv/bin/python bench/bench_pipeline.py [--copies 4]
    CX_MODEL_REGISTRY=models/registry_mpnet.yaml .venv/bin/python bench/bench_pipeline.py   # the larger models
    .venv/bin/python bench/bench_pipeline.py --runtimes torch onnx-int8                     # end to end, per runtime

Prints documents per second per stage, then the wall time of a cold run (nothing cached) and of a
rerun of the same interval (everything cached) into a temporary SQLite warehouse.

`--runtimes` instead measures whole runs (`run_interval`, cold, each into a fresh SQLite warehouse) with
both models of the registry on each runtime (`ModelEntry.runtime`), on three corpora: the bundled sample
(460 reviews, tickets, complaints and survey answers), generated social posts (tweet-length, bench/
generate.py) and generated complaint narratives of 150-300 words (ticket-length). Models are loaded
(and exported, the first time) before any timing; one untimed warm-up run per runtime pays the one-off
costs (numba compiling UMAP, first-call allocations). The runtimes take turns within each round, and
the median round is reported with the load average around each run. Writes bench/results/pipeline_runtimes.json.
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

from cx_nlp.config import load_registry, load_sources, load_taxonomy
from cx_nlp.issues import IssueMiner
from cx_nlp.model_runtime import native_bfloat16
from cx_nlp.pipeline import PipelineContext, normalise, run_interval
from cx_nlp.registry import Models
from cx_nlp.settings import Settings
from cx_nlp.sources.ingest import ingest
from cx_nlp.touchpoints import TouchpointAssigner
from cx_nlp.warehouse.db import make_engine, migrate

ROOT = bench_env.ROOT

START, END = date(2026, 10, 19), date(2026, 11, 16)
RUNTIME_RESULTS = ROOT / "bench" / "results" / "pipeline_runtimes.json"
# The issue's throughput targets on 2 cores, end to end.
TARGETS = {"tweets": 200, "tickets": 50}
TICKET_WORDS = (150, 300)


def timed(label: str, count: int, fn):
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<22} {count:>6} docs {seconds:>8.2f} s {count / seconds:>9.1f} docs/s")
    return value


def generated_documents(kind: str, count: int, seed: int) -> list:
    """`count` generated documents of one length class: tweets, the generator's social posts; tickets,
    its complaint narratives of 150-300 words."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import Generator

    def wanted(doc) -> bool:
        if kind == "tweets":
            return doc.channel == "social"
        return doc.channel == "complaint" and TICKET_WORDS[0] <= len(doc.text.split()) <= TICKET_WORDS[1]

    generator = Generator(seed, START, (END - START).days)
    chosen, index = [], 0
    while len(chosen) < count:
        doc = generator.document(index)
        index += 1
        if wanted(doc):
            chosen.append(doc)
    return chosen


def generated_corpus(folder: Path, kind: str, count: int, seed: int) -> Path:
    """`generated_documents` written as file sources; returns their sources.yaml."""
    from generate_files import write_files

    write_files(generated_documents(kind, count, seed), folder)
    return folder / "sources.yaml"


def compare_runtimes(args) -> None:
    """Whole cold runs per corpus and runtime; see the module docstring."""
    import numpy as np

    from cx_nlp.pipeline import PipelineContext

    base = load_registry(Settings().path(Settings().model_registry))
    results: dict = {
        "machine": _machine(),
        "command": "bench/bench_pipeline.py " + " ".join(sys.argv[1:]),
        "registry": {"sentiment": base.sentiment.ref, "embedding": base.embedding.ref},
        "targets_docs_per_s": TARGETS,
    }
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        corpora = {"sample": ROOT / "config" / "sources.yaml"}
        for kind, count in (("tweets", args.tweets), ("tickets", args.tickets)):
            if kind in args.corpora:
                corpora[kind] = generated_corpus(work / kind, kind, count, args.seed)
        corpora = {name: path for name, path in corpora.items() if name in args.corpora}
        contexts = {}
        for runtime in args.runtimes:
            registry = _registry_on(base, runtime)
            models = Models(registry, ROOT)
            started = time.perf_counter()
            models.sentiment, models.embedder  # noqa: B018 - load (and export) before any timing
            results.setdefault("load_seconds", {})[runtime] = round(time.perf_counter() - started, 1)
            contexts[runtime] = {
                name: PipelineContext(
                    settings=(settings := _bench_settings(work, sources)),
                    sources=load_sources(sources),
                    taxonomy=load_taxonomy(settings.path(settings.touchpoints_config)),
                    registry=registry,
                    models=models,
                )
                for name, sources in corpora.items()
            }
            print(
                f"{runtime}: {registry.sentiment.ref}, {registry.embedding.ref}, loaded in "
                f"{results['load_seconds'][runtime]} s",
                flush=True,
            )
        runs: dict = {name: {runtime: [] for runtime in args.runtimes} for name in corpora}
        for round_number in range(args.rounds + 1):  # round 0: warm-up, not reported
            for name in corpora:
                for runtime in args.runtimes:
                    measured = _cold_run(contexts[runtime][name], work / f"r{round_number}-{name}-{runtime}.db")
                    label = "warm-up" if round_number == 0 else f"round {round_number}"
                    print(
                        f"{label:<8} {name:<8} {runtime:<18} {measured['feedback']:>5} docs "
                        f"{measured['seconds']:>7.1f} s {measured['docs_per_s']:>7.1f} docs/s "
                        f"(load {measured['load_before'][0]:.1f})",
                        flush=True,
                    )
                    if round_number:
                        runs[name][runtime].append(measured)
    results["runs"] = runs
    summary: dict = {}
    for name, by_runtime in runs.items():
        torch_rates = [r["docs_per_s"] for r in by_runtime.get("torch", [])]
        for runtime, measured in by_runtime.items():
            rates = [r["docs_per_s"] for r in measured]
            entry = {
                "documents": measured[0]["feedback"],
                "mean_words": measured[0]["mean_words"],
                "docs_per_s_median": round(statistics.median(rates), 1),
                "docs_per_s_rounds": rates,
                "cpu_ms_per_doc_median": round(statistics.median(r["cpu_ms_per_doc"] for r in measured), 1),
                "load_average_1min_median": round(statistics.median(r["load_before"][0] for r in measured), 2),
                "stage_seconds_median": {
                    stage: round(float(np.median([r["stage_seconds"].get(stage, 0) for r in measured])), 2)
                    for stage in measured[0]["stage_seconds"]
                },
            }
            if torch_rates and runtime != "torch":
                entry["speedup_vs_torch_median"] = round(
                    statistics.median(r / t for r, t in zip(rates, torch_rates)), 2
                )
            if name in TARGETS:
                entry["target_docs_per_s"] = TARGETS[name]
            summary.setdefault(name, {})[runtime] = entry
    results["summary"] = summary
    write_results(args.output, results)
    for name, by_runtime in summary.items():
        for runtime, entry in by_runtime.items():
            print(
                f"{name:<8} {runtime:<18} {entry['docs_per_s_median']:>7.1f} docs/s (median), "
                f"x{entry.get('speedup_vs_torch_median', 1.0):.2f} vs torch",
                flush=True,
            )
    print(f"wrote {args.output}")


def _registry_on(base, runtime: str):
    """The registry with both models on `runtime`, or "SENTIMENT/EMBEDDING" runtimes apart; "torch-float32"
    is torch without bfloat16 autocast, as a CPU without native bfloat16 runs the default registry."""

    def entry(stage: str, name: str):
        if name == "torch-float32":
            return getattr(base, stage).on_runtime("torch").model_copy(update={"cpu_precision": "float32"})
        return getattr(base, stage).on_runtime(name)

    sentiment, _, embedding = runtime.partition("/")
    return base.model_copy(
        update={"sentiment": entry("sentiment", sentiment), "embedding": entry("embedding", embedding or sentiment)}
    )


def _bench_settings(work: Path, sources: Path) -> Settings:
    return Settings(home=ROOT, progress=False, sources_config=sources, report_dir=work / "reports")


def _cold_run(context, database: Path) -> dict:
    """One run of the corpus's whole interval into an empty warehouse: nothing cached, everything scored."""
    from dataclasses import replace

    from cx_nlp.pipeline import run_interval

    settings = context.settings.model_copy(update={"warehouse_url": f"sqlite:///{database}"})
    context = replace(context, settings=settings)
    engine = make_engine(settings.resolved_warehouse_url())
    migrate(engine, ROOT / "sql")
    load_before = os.getloadavg()
    started, started_cpu = time.perf_counter(), time.process_time()
    result = run_interval(context, engine, START, END)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    engine.dispose()
    database.unlink(missing_ok=True)
    feedback = result.stats["feedback"]
    loads, _ = ingest(context.sources, ROOT, START, END)
    words = [len(r.text.split()) for load in loads for r in load.records if r.text]
    return {
        "feedback": feedback,
        "mean_words": round(sum(words) / max(len(words), 1), 1),
        "seconds": round(seconds, 2),
        "docs_per_s": round(feedback / seconds, 1),
        "cpu_ms_per_doc": round(1000 * cpu / feedback, 1),
        "stage_seconds": result.stats.get("stage_seconds", {}),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "issues": result.stats.get("issues"),
    }


def _machine() -> dict:
    from importlib.metadata import version

    info = Path("/proc/cpuinfo").read_text()
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line), "")
    interesting = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "cpu_flags": sorted(f for f in flags if f in interesting),
        "native_bfloat16": native_bfloat16(),
        "load_average_at_start": os.getloadavg(),
        **{name: version(name) for name in ("torch", "onnxruntime", "transformers", "sentence-transformers")},
    }


def write_results(path: Path, results: dict) -> None:
    """Record the load average at the end beside the one `_machine` took at the start, and write the
    results file."""
    results["machine"]["load_average_at_end"] = os.getloadavg()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--copies", type=int, default=4, help="Score and embed the sample this many times for the stage figures."
    )
    parser.add_argument(
        "--runtimes",
        nargs="+",
        help="Compare whole runs with the registry's models on these runtimes instead (torch, onnx-fp32, "
        "onnx-int8, onnx-int8-dynamic; torch-float32: torch without bfloat16; SENTIMENT/EMBEDDING: one each).",
    )
    parser.add_argument("--corpora", nargs="+", default=["sample", "tweets", "tickets"])
    parser.add_argument("--tweets", type=int, default=2000, help="generated social posts")
    parser.add_argument("--tickets", type=int, default=400, help="generated narratives of 150-300 words")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after the warm-up")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=RUNTIME_RESULTS)
    args = parser.parse_args()
    if args.runtimes:
        compare_runtimes(args)
        return

    import numpy as np
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
    texts = [f.text for f in result.feedback]
    volume = len(texts) * args.copies
    # The models read each distinct input once per call, so the copies are calls of their own: one call
    # of repeated texts would time one copy.
    timed("sentiment", volume, lambda: [models.sentiment.score(texts) for _ in range(args.copies)])
    vectors = timed("embed", volume, lambda: [models.embedder.encode(texts) for _ in range(args.copies)])[-1]
    texts, vectors = texts * args.copies, np.tile(vectors, (args.copies, 1))
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
