"""A per-day backfill of the bundled sample, as `cx-nlp run --start D1 --end D2 --per-day` runs it: each
day's ingest in a spawned process, its mining in the run's process.

    .venv/bin/python bench/bench_backfill.py [--days 7] [--rounds 2] [--json bench/results/backfill.json]

Two ways, taking turns, each into a fresh SQLite warehouse:
- `one_worker`: the shipped way, one worker process for the backfill (`ingest_apart.IngestWorker`): it
  imports torch and loads the models once, and the last day's ingest closes it before that day's mining;
- `process_per_day`: a fresh process for every day (a worker replaced after each day, as one left above
  its memory bound is).
Prints wall seconds and the peak RSS of the run's process and of the largest ingest process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from bench_load import machine

from cx_nlp import ingest_apart, pipeline
from cx_nlp.pipeline import run_intervals

FIRST_DAY = date(2026, 10, 19)
# Each way's memory bound for the worker (None: the run's setting); 0 replaces it after every day.
WAYS = {"one_worker": None, "process_per_day": 0.0}


def backfill(way: str, days: int) -> dict:
    workers = []

    class RecordedWorker(ingest_apart.IngestWorker):
        def __init__(self, recycle_above_mib: float, keep_below_window: int):
            bound = WAYS[way]
            super().__init__(recycle_above_mib if bound is None else bound, keep_below_window)
            workers.append(self)

    pipeline.IngestWorker = RecordedWorker  # `run_intervals` makes its worker with `for_settings`
    with tempfile.TemporaryDirectory() as folder:
        context, engine = bench_env.sample_pipeline(folder)
        started = time.perf_counter()
        results = run_intervals(context, engine, FIRST_DAY, FIRST_DAY + timedelta(days=days), per_day=True)
        seconds = time.perf_counter() - started
        engine.dispose()
    return {
        "seconds": round(seconds, 1),
        "feedback": sum(r.stats["feedback"] for r in results),
        "stage_seconds": round(sum(sum(r.stats["stage_seconds"].values()) for r in results), 1),
        "ingest_processes": workers[0].processes_started,
        "worker_resident_mib_after_last_day": round(workers[0].resident_mib),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {way: [] for way in WAYS}
    for round_number in range(args.rounds):
        for way in WAYS:
            figures = backfill(way, args.days)
            runs[way].append(figures)
            print(f"round {round_number + 1} {way}: {json.dumps(figures)}", flush=True)
    summary = {
        "days": args.days,
        "machine": machine(),
        "median_seconds": {way: statistics.median(r["seconds"] for r in rounds) for way, rounds in runs.items()},
        "peak_rss_mib": {
            "run_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "largest_ingest_process": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        },
        "runs": runs,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
