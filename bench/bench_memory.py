"""Peak RSS of each stage of a cold run on generated feedback (docs/benchmarks.md, "The interval
through the models in chunks").

    .venv/bin/python bench/bench_memory.py --documents 10000 --ingest-only
    .venv/bin/python bench/bench_memory.py --documents 20000 --chunk-documents 100000
    .venv/bin/python bench/bench_memory.py --documents 50000 --mine-only --issue-steps

The corpus is bench_nights.py's (`--documents` over the 28 days, seed 13), written once under
`--folder`. One cold run as `cx-nlp run` makes it (`run_intervals`: the ingest in a spawned process,
whose peak is read when it ends, the mining in this one; `--in-one-process`: both here, as
`CX_INGEST_IN_FRESH_PROCESS=false` runs), or its ingest alone (`--ingest-only`), into a fresh SQLite
warehouse, in this process; or the window's mining alone
(`--mine-only`) over the warehouse an earlier `--ingest-only` of the same size left, so the issue
stage's memory can be read again without paying for the models. The peak RSS of each stage (the
stage timer's names; `after-X` between stages) is the process's high-water mark read as the stage
ends and reset as it begins (`memory_peaks.StepPeaks`; results before it existed sampled RSS every
0.2 s instead, which can miss a short peak), and with `--issue-steps` of the issue stage's steps too
(window read, units, UMAP, PCA, HDBSCAN, merge, description). Prints JSON: stage seconds, peak MiB per stage, the process's peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from memory_peaks import StepPeaks, rss_mib

ROOT = bench_env.ROOT
START, END = date(2026, 10, 19), date(2026, 11, 16)


def watch_stages(memory: StepPeaks) -> None:
    from cx_nlp import progress

    stage = progress.StageTimer.stage

    @contextmanager
    def labelled(timer, name: str, total: int):
        memory.enter(name)
        with stage(timer, name, total) as advance:
            yield advance
        memory.enter(f"after-{name}")

    progress.StageTimer.stage = labelled


def watch_issue_steps(memory: StepPeaks) -> None:
    from cx_nlp import pipeline
    from cx_nlp.issues import clustering, miner, tracking

    memory.wrap(pipeline.windows, "window_documents", "issues: read window")
    memory.wrap(tracking, "window_units", "issues: units")
    memory.wrap(clustering.UMAPReducer, "fit_transform", "issues: UMAP")
    memory.wrap(clustering.PCAReducer, "fit_transform", "issues: PCA")
    memory.wrap(clustering.HDBSCANClusterer, "fit_predict", "issues: HDBSCAN")
    memory.wrap(miner.IssueMiner, "_merge_near_duplicates", "issues: merge")
    memory.wrap(miner.IssueMiner, "_describe", "issues: describe")


def _ingest_process(rss_before: float) -> dict:
    """A spawned ingest's peak (the largest of the ended child processes', which Linux keeps) and the
    run's memory while it ran: that peak plus what this process held, waiting."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if not children:
        return {}
    return {
        "ingest_process_peak_rss_mib": round(children),
        "rss_waiting_mib": round(rss_before),
        "ingest_processes_together_mib": round(children + rss_before),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--chunk-documents", type=int, help="feedback per pass through the models (default: settings')")
    parser.add_argument("--ingest-only", action="store_true", help="stop after the interval's write")
    parser.add_argument("--mine-only", action="store_true", help="mine the window an earlier --ingest-only stored")
    parser.add_argument("--issue-steps", action="store_true", help="peaks of the issue stage's steps too")
    parser.add_argument("--in-one-process", action="store_true", help="a whole run's ingest in this process too")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "cx-bench-memory")
    args = parser.parse_args()

    memory = StepPeaks()
    corpus = bench_env.corpus_written(args.folder / f"corpus-{args.documents}", args.documents)
    from cx_nlp import pipeline
    from cx_nlp.progress import StageTimer
    from cx_nlp.settings import Settings

    database = args.folder / f"warehouse-{args.documents}.db"
    if args.mine_only:
        if not database.exists():
            parser.error(f"{database} holds no warehouse: run --ingest-only with --documents {args.documents} first")
        # A copy, so every --mine-only mines the window afresh instead of reusing the last mining.
        mined = args.folder / f"warehouse-{args.documents}-mined.db"
        shutil.copyfile(database, mined)
        database = mined
    else:
        database.unlink(missing_ok=True)
    overrides = {} if args.chunk_documents is None else {"chunk_documents": args.chunk_documents}
    settings = Settings(
        home=ROOT,
        progress=False,
        sources_config=corpus / "sources.yaml",
        report_dir=args.folder / "reports",
        warehouse_url=f"sqlite:///{database}",
        ingest_in_fresh_process=not args.in_one_process,
        **overrides,
    )
    watch_stages(memory)
    if args.issue_steps:
        watch_issue_steps(memory)
    context, engine = pipeline.open_pipeline(settings)
    # What this process holds while a spawned ingest runs.
    rss_before = rss_mib()
    started = time.perf_counter()
    if args.mine_only:
        with StageTimer(False) as timer:
            stats = pipeline.mine_window(context, engine, START, END, timer=timer)[1]
        stats["stage_seconds"] = timer.seconds
        stats["feedback"] = stats["window_documents"]
    elif args.ingest_only:
        with StageTimer(False) as timer:
            stats = pipeline.ingest_interval(context, engine, START, END, timer=timer).stats
        stats["stage_seconds"] = timer.seconds
    else:
        # As `cx-nlp run` does: the models are released before the interval's issue mining.
        stats = pipeline.run_intervals(context, engine, START, END, per_day=False)[0].stats
    seconds = round(time.perf_counter() - started, 1)
    peaks = memory.read()
    print(
        json.dumps(
            {
                "command": f"bench/bench_memory.py {' '.join(f'{k}={v}' for k, v in vars(args).items())}",
                "documents": args.documents,
                "feedback": stats["feedback"],
                "chunk_documents": settings.chunk_documents,
                "seconds": seconds,
                "stage_seconds": stats["stage_seconds"],
                "peak_mib_by_stage": {label: round(peak) for label, peak in peaks.items()},
                "rss_at_end_mib": round(rss_mib()),
                "peak_rss_mib": round(max(peaks.values())),
                **_ingest_process(rss_before),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
