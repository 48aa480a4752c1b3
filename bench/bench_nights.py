"""Cost of a cold run, a rerun and the next night, end to end, on generated feedback.

    .venv/bin/python bench/bench_nights.py --documents 10000 --rounds 3    # bench/results/nights_10k.json
    .venv/bin/python bench/bench_nights.py --documents 2000 --rounds 1 --output warehouse/bench/nights_2k.json

The corpus is `--documents` generated documents over the 28 days [2026-10-19, 2026-11-16) plus
`--new-share` as many again dated 2026-11-16 (the next night's feedback; bench/generate.py's later index
range), written as one set of file exports, as a source that grows each night would deliver them. Each
round, into an empty SQLite warehouse:

1. cold: `run_interval` over the 28 days (everything scored, embedded and mined);
2. rerun: the same interval again (the issue's target: at most 10% of the cold run);
3. next night: the interval [2026-11-16, 2026-11-17), whose issue window (28 days) holds the new
   documents and most of the old (target: at most 20% of the cold run over the whole window).

Each phase runs in a fresh process, as a nightly job does, with the registry's models loaded only when
the phase needs them (a rerun needs none): the figures are the process's wall time (imports and model
loading included), the run's own wall and CPU time, the seconds of each stage (`pipeline_run.stats`:
load, normalise, sentiment, embed, touchpoints, write, issues; "finish" is the rest of the run, split
into reading the issue window, building and writing its issue tables, the HTML report, and the run's
row), the models' loading time (inside the sentiment and embed stages' seconds), documents per second
and the process's peak RSS. The load average is recorded around every phase: on a shared machine read
the medians of several rounds.

`--phases cold` times cold runs alone; run from an export of an older commit (`git archive`, this file
copied into its bench/) it measures that version on the same corpus (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first

ROOT = bench_env.ROOT


START, END = date(2026, 10, 19), date(2026, 11, 16)
NIGHT = (END, END + timedelta(days=1))
PHASES = {"cold": (START, END), "rerun": (START, END), "next_night": NIGHT}
# The targets: a rerun at most 10% of the cold run, the next night at most 20%.
TARGETS = {"rerun": 0.10, "next_night": 0.20}
STAGES = ("load", "normalise", "sentiment", "embed", "touchpoints", "write", "issues", "finish")
RESULTS = ROOT / "bench" / "results"


def write_corpus(folder: Path, documents: int, new_share: float, seed: int) -> dict:
    from generate import Generator
    from generate_files import write_files

    new = round(documents * new_share)
    window = Generator(seed, START, (END - START).days).documents(documents)
    night = Generator(seed, NIGHT[0], 1).documents(new, start_index=documents)

    def both():
        yield from window
        yield from night

    counts = write_files(both(), folder)
    return {"documents": documents, "new_documents": new, "files": counts}


def run_phase(phase: str, database: Path, sources: Path, reports: Path) -> dict:
    """One phase in this process: what the parent's fresh process measures."""
    started_process = time.perf_counter()
    from cx_nlp.pipeline import PipelineContext, run_interval
    from cx_nlp.registry import Models
    from cx_nlp.settings import Settings
    from cx_nlp.warehouse.db import make_engine, migrate

    loaded: dict[str, float] = {}
    parts = _time_finish_parts()

    class TimedModels(Models):
        """The registry's models, loaded on first use as ever, with the seconds each load took."""

        @cached_property
        def sentiment(self):
            began = time.perf_counter()
            model = Models.sentiment.func(self)
            loaded["sentiment"] = round(time.perf_counter() - began, 2)
            return model

        @cached_property
        def embedder(self):
            began = time.perf_counter()
            model = Models.embedder.func(self)
            loaded["embedding"] = round(time.perf_counter() - began, 2)
            return model

    settings = Settings(
        home=ROOT,
        progress=False,
        sources_config=sources,
        report_dir=reports,
        warehouse_url=f"sqlite:///{database}",
    )
    from cx_nlp.config import load_registry

    context = PipelineContext.from_settings(
        settings, models=TimedModels(load_registry(settings.path(settings.model_registry)), ROOT, settings.device)
    )
    engine = make_engine(settings.resolved_warehouse_url())
    migrate(engine, ROOT / "sql")
    start, end = PHASES[phase]
    load_before = os.getloadavg()
    started, started_cpu = time.perf_counter(), time.process_time()
    result = run_interval(context, engine, start, end)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    engine.dispose()
    stats = result.stats
    stages = dict(stats.get("stage_seconds", {}))
    stages["finish"] = round(seconds - sum(stages.values()), 3)
    feedback = stats["feedback"]
    return {
        "phase": phase,
        "interval": [start.isoformat(), end.isoformat()],
        "feedback": feedback,
        "window_documents": stats.get("window_documents"),
        "scored_texts": stats.get("scored"),
        "embedded_texts": stats.get("embedded"),
        "issues": stats.get("issues"),
        "run_seconds": round(seconds, 2),
        "run_cpu_seconds": round(cpu, 2),
        "setup_seconds": round(started - started_process, 2),
        "stage_seconds": stages,
        "model_load_seconds": loaded,
        "finish_seconds": parts,
        "docs_per_s": round(feedback / seconds, 1) if feedback else None,
        # Linux reports kilobytes.
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }


def _time_finish_parts() -> dict[str, float]:
    """Seconds of what a run does outside its timed stages, by part: reading the issue window, building and
    writing its issue tables, and the HTML report (the rest is the run's own rows)."""
    from cx_nlp import pipeline
    from cx_nlp.warehouse import rows, store, windows

    seconds: dict[str, float] = {}

    def timed(module, name: str, part: str) -> None:
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                seconds[part] = round(seconds.get(part, 0.0) + time.perf_counter() - began, 3)

        setattr(module, name, wrapper)

    timed(windows, "window_documents", "issue_window_read")
    for name in ("prior_issues", "taken_issue_ids", "prior_memberships"):
        timed(store, name, "issue_window_read")
    timed(rows, "issues_write", "issue_rows")
    timed(store, "write_issues", "issue_tables_write")
    timed(pipeline, "write_run_report", "report")
    return seconds


def measure(phase: str, database: Path, sources: Path, reports: Path) -> dict:
    """`phase` in a fresh Python process; adds the process's wall time (interpreter start included)."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    command = [sys.executable, __file__, "--phase", phase, "--database", str(database), "--sources", str(sources)]
    done = subprocess.run(
        [*command, "--reports", str(reports)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr[-4000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["process_seconds"] = round(time.perf_counter() - started, 2)
    measured["process_load_average_before"] = [round(v, 2) for v in load_before]
    return measured


def summarise(rounds: list[dict], phases: list[str]) -> dict:
    def median(values):
        return round(float(statistics.median(values)), 2)

    summary: dict = {}
    for phase in phases:
        runs = [r[phase] for r in rounds]
        summary[phase] = {
            "feedback": runs[0]["feedback"],
            "window_documents": runs[0]["window_documents"],
            "scored_texts": runs[0]["scored_texts"],
            "embedded_texts": runs[0]["embedded_texts"],
            "issues": runs[0]["issues"],
            "process_seconds_median": median(r["process_seconds"] for r in runs),
            "run_seconds_median": median(r["run_seconds"] for r in runs),
            "run_cpu_seconds_median": median(r["run_cpu_seconds"] for r in runs),
            "stage_seconds_median": {s: median(r["stage_seconds"].get(s, 0) for r in runs) for s in STAGES},
            "finish_seconds_median": {
                part: median(r["finish_seconds"].get(part, 0) for r in runs)
                for part in ("issue_window_read", "issue_rows", "issue_tables_write", "report")
            },
            "model_load_seconds_median": median(sum(r["model_load_seconds"].values()) for r in runs),
            "docs_per_s_median": median(r["docs_per_s"] or 0 for r in runs),
            "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
            "load_average_before_median": median(r["load_average_before"][0] for r in runs),
        }
    for phase, target in TARGETS.items():
        if phase not in phases or "cold" not in phases:
            continue
        for clock in ("run_seconds", "process_seconds"):
            ratios = [r[phase][clock] / r["cold"][clock] for r in rounds]
            summary[phase][f"{clock}_vs_cold_median"] = round(statistics.median(ratios), 3)
        summary[phase]["target_vs_cold"] = target
        stages = summary[phase]["stage_seconds_median"]
        summary[phase]["issues_share_of_run"] = round(stages["issues"] / summary[phase]["run_seconds_median"], 3)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000, help="generated documents over the 28 days")
    parser.add_argument("--new-share", type=float, default=0.10, help="the next night's new documents, as a share")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, help="default: bench/results/nights_<N>k.json")
    parser.add_argument("--phases", nargs="+", choices=list(PHASES), default=list(PHASES), help="in this order")
    # One phase in this process (how the rounds run each phase).
    parser.add_argument("--phase", choices=list(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sources", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reports", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.database, args.sources, args.reports)))
        return

    from bench_pipeline import _machine, write_results

    output = args.output or RESULTS / f"nights_{args.documents // 1000}k.json"
    results: dict = {
        "machine": _machine(),
        "command": "bench/bench_nights.py " + " ".join(sys.argv[1:]),
        "targets_vs_cold": TARGETS,
        "rounds": [],
    }
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        results["corpus"] = write_corpus(work / "feedback", args.documents, args.new_share, args.seed)
        sources = work / "feedback" / "sources.yaml"
        for round_number in range(1, args.rounds + 1):
            database = work / f"round{round_number}.db"
            measured = {}
            for phase in args.phases:
                measured[phase] = measure(phase, database, sources, work / "reports")
                m = measured[phase]
                print(
                    f"round {round_number} {phase:<10} {m['feedback']:>6} docs, window {m['window_documents']:>6}: "
                    f"process {m['process_seconds']:>7.1f} s, run {m['run_seconds']:>7.1f} s "
                    f"(issues {m['stage_seconds'].get('issues', 0):.1f} s), peak RSS {m['peak_rss_mib']:.0f} MiB, "
                    f"load {m['load_average_before'][0]:.2f}",
                    flush=True,
                )
            database.unlink(missing_ok=True)
            results["rounds"].append(measured)
            for phase in (p for p in TARGETS if p in measured and "cold" in measured):
                print(
                    f"  {phase}: {measured[phase]['run_seconds'] / measured['cold']['run_seconds']:.1%} of the cold "
                    f"run (process: {measured[phase]['process_seconds'] / measured['cold']['process_seconds']:.1%})",
                    flush=True,
                )
    results["summary"] = summarise(results["rounds"], args.phases)
    write_results(output, results)
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
