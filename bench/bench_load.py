"""Peak RSS of what an interval loads, without the models: its sources read, normalised, and its raw
rows written (docs/benchmarks.md, "What an interval loads, on disk").

    .venv/bin/python bench/bench_load.py --documents 100000

The corpus is bench_nights.py's (`--documents` over the 28 days, seed 13, written once under
`--folder`), loaded as one interval into a fresh SQLite warehouse by the steps `ingest_interval` takes
before and after its models: the sources read (`cx_nlp.sources.ingest.ingest`), normalised
(`pipeline._normalise_interval`), and the write of the raw rows and quarantine (`rows.ingest_write`,
`store.write_ingest`; no feedback row: no model scored any). Each step's peak RSS (`memory_peaks`), its
RSS as it began and its seconds; and RSS at the end, with everything the interval loaded still held,
as it is until the models and the write are done. Also RSS after normalising and at the end once the
heap's free pages are given back (`model_runtime.release_freed_memory`, which the model stages call
after every step): what the models start from. Prints JSON.

`--scored` sets aside every feedback's rows, 2,000 at a time, as the model stages do, before the write,
which then writes them too: the rows carry one fixed tone and touchpoint (the models' time and memory
are measured by bench_memory.py), and a segment row for each of the feedback's segments
(`cx_nlp.segments.split_segments`), so the spool and the write handle as many rows as a scored run's.
`--models N` runs the registry's models over the first N feedback instead, as `ingest_interval` runs
them (`enrich_interval`, its chunks' rows set aside), with the whole interval held: the model stages'
peak on top of what a large interval leaves, without the hours of models over all of it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from memory_peaks import StepPeaks, rss_mib

ROOT = bench_env.ROOT
START, END = date(2026, 10, 19), date(2026, 11, 16)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "")
    flags = sorted({f for f in cpuinfo.split() if f.startswith(("avx512", "amx")) or f == "avx2"})
    return {"cpu": model, "cores": os.cpu_count(), "flags": flags, "load_average": os.getloadavg()}


def set_aside(feedback, spool, chunk: int = 2_000) -> None:
    """Every feedback with one fixed tone and touchpoint, and its segments, into the spool a chunk at a time."""
    from cx_nlp.normalise import content_hash
    from cx_nlp.records import ScoredDocument, ScoredSegment, SentimentScore, TouchpointAssignment
    from cx_nlp.segments import split_segments

    tone = SentimentScore("negative", 0.7, 0.2, 0.1, -0.6, 1, "bench-fixed-tone", "1")
    touchpoint = TouchpointAssignment("delivery", 0.8, "embedding")
    for offset in range(0, len(feedback), chunk):
        documents = []
        for item in feedback[offset : offset + chunk]:
            parts = [ScoredSegment(s, content_hash(s.text), tone, touchpoint) for s in split_segments(item.text)]
            documents.append(ScoredDocument(item, tone, [touchpoint], parts))
        spool.add(documents)


def enrich_first(context, engine, feedback, spool) -> None:
    """The registry's models over `feedback` as `ingest_interval` runs them, each chunk's rows set aside."""
    from cx_nlp.enrichment import enrich_interval
    from cx_nlp.progress import StageTimer

    chunk = context.settings.chunk_documents
    timer = StageTimer(False)
    registry, taxonomy, models = context.registry, context.taxonomy, context.models
    enrich_interval(registry, taxonomy, models, engine, feedback, timer, chunk_documents=chunk, on_chunk=spool.add)


def part_of(items, start: int, stop: int):
    """items[start:stop] read in place (the feedback may be on disk)."""
    from cx_nlp.records import MadeWhenRead

    class _Part(MadeWhenRead):
        def __len__(self) -> int:
            return max(0, min(stop, len(items)) - start)

        def _item(self, index: int):
            return items[start + index]

    return _Part()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--scored", action="store_true", help="set aside and write fixed-tone rows of every feedback")
    parser.add_argument(
        "--models", type=int, default=0, help="run the models over the first N feedback (implies --scored)"
    )
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "cx-bench-memory")
    args = parser.parse_args()

    corpus = bench_env.corpus_written(args.folder / f"corpus-{args.documents}", args.documents)
    from cx_nlp import pipeline
    from cx_nlp.model_runtime import release_freed_memory
    from cx_nlp.records import SourceRecord
    from cx_nlp.settings import Settings
    from cx_nlp.sources.ingest import ingest
    from cx_nlp.sources.streams import MemoryStateStore
    from cx_nlp.warehouse import rows, store

    database = args.folder / f"warehouse-load-{args.documents}.db"
    database.unlink(missing_ok=True)
    settings = Settings(
        home=ROOT, progress=False, sources_config=corpus / "sources.yaml", warehouse_url=f"sqlite:///{database}"
    )
    context, engine = pipeline.open_pipeline(settings)
    # The normaliser's language model and PII patterns load on first use: before the steps are measured.
    warm = SourceRecord("warm-up", "1", "review", "The parcel came late, call 020 7946 0018.", datetime.now(UTC))
    pipeline.normalise([warm], {})
    memory = StepPeaks()
    seconds = {}
    started = time.perf_counter()
    memory.enter("load")
    loads, _ = ingest(context.sources, ROOT, START, END, MemoryStateStore({}))
    seconds["load"] = round(time.perf_counter() - started, 1)
    memory.enter("normalise")
    normalised = pipeline._normalise_interval(engine, loads, START, END)
    # Before the write asked which stored payloads stay a part at a time, normalising returned them too.
    normalised, *kept_payloads = normalised if isinstance(normalised, tuple) else (normalised,)
    seconds["normalise"] = round(time.perf_counter() - started - seconds["load"], 1)
    # The model stages give the heap's free pages back after every step, their first included: what
    # they start from is what normalising left once trimmed.
    release_freed_memory()
    trimmed = {"after normalise": rss_mib()}
    args.scored = args.scored or args.models > 0
    with rows.scored_row_spool("bench") as spool:
        feedback = normalised.feedback
        if args.models:
            memory.enter(f"models over {args.models} feedback")
            enrich_first(context, engine, part_of(feedback, 0, args.models), spool)
            seconds[f"models over {args.models} feedback"] = round(
                time.perf_counter() - started - sum(seconds.values()), 1
            )
            release_freed_memory()
            trimmed["after the models"] = rss_mib()
        if args.scored:
            memory.enter("set aside scored rows")
            set_aside(part_of(feedback, args.models, len(feedback)), spool)
            seconds["set aside scored rows"] = round(time.perf_counter() - started - sum(seconds.values()), 1)
        memory.enter("write raw rows" + (" and scored rows" if args.scored else ""))
        write = rows.ingest_write("bench", START, END, loads, normalised, spool, *kept_payloads)
        with engine.begin() as connection:
            store.write_ingest(connection, write)
    seconds["write raw rows" + (" and scored rows" if args.scored else "")] = round(
        time.perf_counter() - started - sum(seconds.values()), 1
    )
    memory.enter("held")
    held = rss_mib()
    release_freed_memory()
    trimmed["held"] = rss_mib()
    peaks = memory.read()
    print(
        json.dumps(
            {
                "command": f"bench/bench_load.py --documents {args.documents}"
                + (f" --models {args.models}" if args.models else " --scored" if args.scored else ""),
                "documents": args.documents,
                "records": sum(len(load.records) for load in loads),
                "feedback": len(normalised.feedback),
                "seconds": seconds,
                "rss_at_step_start_mib": {label: round(value) for label, value in memory.entered.items()},
                "peak_mib_by_step": {label: round(peak) for label, peak in peaks.items()},
                "rss_with_the_interval_held_mib": round(held),
                "rss_trimmed_mib": {label: round(value) for label, value in trimmed.items()},
                "machine": machine(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
