"""The nightly pipeline over one data interval: load, normalise, score, embed, assign, mine, write, report.

Orchestration only: each stage is a function of its own module over typed records, and this module
wires them to the warehouse. `run_interval` is what both the CLI and the Airflow DAG call; nothing
here knows about Airflow.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine

from cx_nlp.config import ModelRegistry, SourcesConfig, Taxonomy, load_registry, load_sources, load_taxonomy
from cx_nlp.digests import library_version
from cx_nlp.enrichment import Enriched, enrich_interval
from cx_nlp.feedback import NormaliseResult, normalise
from cx_nlp.ingest_apart import IngestWorker, can_ingest_apart, ingest_interval_apart
from cx_nlp.issues import Issue, IssueMiner, IssueTracker, IssueWindow, PCAReducer
from cx_nlp.issues.clustering import UMAPReducer
from cx_nlp.issues.figures import touchpoint_days
from cx_nlp.issues.inputs import window_digest
from cx_nlp.progress import StageTimer
from cx_nlp.registry import Models
from cx_nlp.report import load_report_data, write_report
from cx_nlp.secrets import stored_error
from cx_nlp.settings import Settings
from cx_nlp.sources.ingest import LoadResult, RawPayloads, ingest
from cx_nlp.sources.streams import MemoryStateStore
from cx_nlp.spooled import Concatenated
from cx_nlp.warehouse import reuse, rows, store, windows
from cx_nlp.warehouse.curation import issue_merges
from cx_nlp.warehouse.db import make_engine, migrate
from cx_nlp.warehouse.state import WarehouseStateStore


def interval_run_id(start: date, end: date) -> str:
    """One id per data interval: a rerun rewrites the same run, it does not add another."""
    return f"{start.isoformat()}_{end.isoformat()}"


def window_start_of(settings: Settings, start: date, end: date) -> date:
    return min(start, end - timedelta(days=settings.issue_window_days))


@dataclass
class IngestResult:
    run_id: str
    sources: list[str]
    stats: dict
    source_failures: dict[str, str]


@dataclass
class RunResult:
    run_id: str
    interval_start: date
    interval_end: date
    stats: dict
    issues: list[Issue]  # by touchpoint, then largest first
    report_path: Path | None


@dataclass
class PipelineContext:
    settings: Settings
    sources: SourcesConfig
    taxonomy: Taxonomy
    registry: ModelRegistry
    models: Models

    @classmethod
    def from_settings(cls, settings: Settings, models: Models | None = None) -> PipelineContext:
        """Validate all configuration up front so a bad file fails before any work is done."""
        registry = load_registry(settings.path(settings.model_registry))
        return cls(
            settings=settings,
            sources=load_sources(settings.path(settings.sources_config)),
            taxonomy=load_taxonomy(settings.path(settings.touchpoints_config)),
            registry=registry,
            models=models or Models.from_settings(settings, registry),
        )


def open_pipeline(
    settings: Settings, migrate_schema: bool = True, models: Models | None = None
) -> tuple[PipelineContext, Engine]:
    """Validated configuration and the warehouse engine (migrated unless the caller migrates apart)."""
    context = PipelineContext.from_settings(settings, models)
    engine = make_engine(settings.resolved_warehouse_url())
    if migrate_schema:
        migrate(engine, settings.path(settings.sql_dir))
    return context, engine


# ---------------------------------------------------------------- ingest: load to stored, scored feedback


def ingest_interval(
    context: PipelineContext,
    engine: Engine,
    start: date,
    end: date,
    sources: Sequence[str] | None = None,
    backfill: bool = False,
    timer: StageTimer | None = None,
    rescore: bool = False,
) -> IngestResult:
    """Load, normalise, score, embed and assign the interval's feedback, and store it in one transaction.

    `sources` limits the run to some sources (one Airflow task per source). `backfill` ignores the
    connectors' bookmarks and reads from `start` again; rows already stored are upserted, not doubled.
    `rescore` scores and embeds every text again instead of reusing the cached results of the same
    model version (`cx_nlp.enrichment.enrich`), and stores the new ones in their place.
    """
    if end <= start:
        raise ValueError(f"interval end {end} must be after start {start}")
    run_id = interval_run_id(start, end)
    timer = timer or StageTimer(False)
    loaded = load_interval(context, engine, start, end, sources, backfill, timer)
    loads, normalised = loaded.loads, loaded.normalised
    feedback = normalised.feedback
    # Each chunk's rows are set aside as the models finish it; the interval lands in one transaction.
    with rows.scored_row_spool(run_id) as spool:
        enriched = enrich_interval(
            context.registry,
            context.taxonomy,
            context.models,
            engine,
            feedback,
            timer,
            rescore,
            chunk_documents=context.settings.chunk_documents,
            on_chunk=spool.add,
        )
        write = rows.ingest_write(run_id, start, end, loads, normalised, spool)
        with timer.stage("write", len(feedback)) as advance:
            with engine.begin() as connection:
                raw_stored = store.write_ingest(connection, write)
            advance(len(feedback))
    stats = _ingest_stats(loads, normalised, write, enriched, raw_stored)
    return IngestResult(run_id, loaded.sources, stats, loaded.source_failures)


def ingest_for_run(
    settings: Settings, start: date, end: date, rescore: bool, kept: dict | None = None
) -> tuple[IngestResult, dict, dict]:
    """`ingest_interval` of every source as a run's fresh process makes it (cx_nlp.ingest_apart), with
    its stages' seconds and documents; the models come from and stay in `kept` where one is given."""
    context, engine = open_pipeline(settings, migrate_schema=False, models=(kept or {}).get("models"))
    if kept is not None:
        kept["models"] = context.models
    try:
        with StageTimer(settings.progress) as timer:
            ingested = ingest_interval(context, engine, start, end, timer=timer, rescore=rescore)
        return ingested, timer.seconds, timer.documents
    finally:
        engine.dispose()


@dataclass
class LoadedInterval:
    """An interval's sources as loaded and normalised: what the models and the write take next."""

    sources: list[str]
    loads: list[LoadResult]
    source_failures: dict[str, str]
    normalised: NormaliseResult


def load_interval(
    context: PipelineContext,
    engine: Engine,
    start: date,
    end: date,
    sources: Sequence[str] | None = None,
    backfill: bool = False,
    timer: StageTimer | None = None,
) -> LoadedInterval:
    """The load and normalise stages of `ingest_interval` (same arguments). Past a few thousand rows
    what a source loads, and the feedback normalised from it, wait on disk (`cx_nlp.spooled`)."""
    selected = context.sources.selected(sources)
    timer = timer or StageTimer(False)
    with timer.stage("load", len(selected.sources)) as advance:
        with engine.connect() as connection:
            bookmarks = MemoryStateStore({} if backfill else WarehouseStateStore(connection).all())
        loads, source_failures = ingest(selected, context.settings.home, start, end, bookmarks)
        advance(len(selected.sources))
    records = sum(len(load.records) for load in loads)
    with timer.stage("normalise", records) as advance:
        normalised = _normalise_interval(engine, loads, start, end)
        advance(records)
    return LoadedInterval([s.name for s in selected.sources], loads, source_failures, normalised)


def _normalise_interval(engine: Engine, loads, start: date, end: date) -> NormaliseResult:
    """The interval's records normalised: records delivered again unchanged reuse their stored
    feedback (a rerun; their stored redacted payloads stay too, which the write asks a part at a time)."""
    records = Concatenated([load.records for load in loads])
    with engine.connect() as connection:
        normalised = normalise(
            records,
            RawPayloads(loads),
            lambda hashes: store.content_owners_outside(connection, hashes, start, end),
            lambda ids: reuse.stored_feedback(connection, ids),
        )
    return normalised


def _ingest_stats(loads, normalised, write: store.IngestWrite, enriched: Enriched, rows_stored: int) -> dict:
    feedback = normalised.feedback
    rows_read = sum(len(load.raw) for load in loads)
    return {
        "raw": rows_stored,
        "quarantined": sum(len(load.quarantined) for load in loads) + len(normalised.quarantined),
        # Content duplicates plus rows delivered twice byte for byte (they land once).
        "duplicates": len(normalised.duplicates) + rows_read - rows_stored,
        "superseded": len(normalised.superseded),
        "feedback": len(feedback),
        "segments": write.scored.segments,
        "pii_redactions": sum(sum(f.pii_redactions.values()) for f in feedback),
        "scored": enriched.scored_texts,
        "embedded": enriched.embedded_texts,
        "languages": dict(sorted(Counter(f.language for f in feedback).items())),
        "unscored_language": write.scored.unscored_language,
    }


# ---------------------------------------------------------------- mine: the window's issues


def mining_settings(context: PipelineContext) -> dict:
    """What besides the window's data decides its issues: settings, the embedding entry, library versions."""
    settings = context.settings
    versions = {name: library_version(name) for name in ("numpy", "scikit-learn", "scipy", "umap-learn", "pynndescent")}
    return {
        "issue_reducer": settings.issue_reducer,
        "issue_grouping": settings.issue_grouping,
        "issue_cluster_limit": settings.issue_cluster_limit,
        "issue_half_precision_from": settings.issue_half_precision_from,
        "issue_merge_similarity": settings.issue_merge_similarity,
        "issue_join_similarity": settings.issue_join_similarity,
        "issue_window_days": settings.issue_window_days,
        "embedding": context.registry.embedding.model_dump(mode="json"),
        "libraries": versions,
    }


def mine_window(
    context: PipelineContext, engine: Engine, start: date, end: date, timer: StageTimer | None = None
) -> tuple[list[Issue], dict]:
    """Mine the issues of the window ending at `end` from what the warehouse holds, in one transaction.

    A rerun of the latest mined window whose inputs are those its last mining read (same digest:
    `cx_nlp.issues.inputs`) keeps the issues as mined, and says so in its stats (`issues_mined`: false).
    """
    window_start = window_start_of(context.settings, start, end)
    timer = timer or StageTimer(False)
    with engine.connect() as connection:
        window = _issue_window(context, engine, connection, window_start, start, end)
        earlier = store.mined_window(connection, end)
    with timer.stage("issues", len(window.documents)) as advance:
        digest = window_digest(window, mining_settings(context))
        if earlier is not None and (earlier["inputs_digest"], earlier["window_start"]) == (digest, window_start):
            with engine.connect() as connection:
                issues = [rows.issue_from_row(row) for row in store.window_issue_rows(connection, end)]
            advance(len(window.documents))
            return _by_touchpoint(issues), earlier["stats"] | {"issues_mined": False}
        mined = _tracker(context).track(window)
        advance(len(window.documents))
    stats = {
        "window_documents": len(window.documents),
        "issues": len(mined.issues),
        "resolved_issues": len(mined.silent),
        # Merges recorded tonight; an analyst's merge folds its issue every night but is recorded once.
        "merged_issues": sum(e.event == "merged_into" for e in mined.lineage),
        "split_issues": sum(e.event == "split_from" for e in mined.lineage),
        "outlier_share": round(mined.outlier_share, 4),
        "issue_grouping": ",".join(sorted(set(mined.groupings.values()))),
    }
    mined_row = {"inputs_digest": digest, "stats": stats, "run_id": window.run_id}
    write = rows.issues_write(window_start, end, mined, window.prior, touchpoint_days(window.documents), mined_row)
    with engine.begin() as connection:
        store.write_issues(connection, write)
    return _by_touchpoint([m.issue for m in mined.issues]), stats | {"issues_mined": True}


def _issue_window(
    context: PipelineContext, engine: Engine, connection: Connection, window_start: date, start: date, end: date
) -> IssueWindow:
    """The window as mining reads it from the warehouse: records without vectors or texts, and the
    readers that bring back what each group and issue needs."""
    embedding = context.registry.embedding
    return IssueWindow(
        # No vectors in the documents: mining reads its units' vectors group by group, into the
        # matrix it fits (a window's positive segments are read by none).
        # Nor any text: mining reads those of each issue's closest units when it describes it.
        documents=windows.window_documents(
            connection,
            window_start,
            end,
            (embedding.name, embedding.version),
            vectors_for=windows.no_vectors,
            as_mined=True,
        ),
        vectors=windows.vector_reader(engine, (embedding.name, embedding.version)),
        unit_texts=windows.unit_text_reader(engine),
        prior=store.prior_issues(connection, end),
        start=window_start,
        end=end,
        run_id=interval_run_id(start, end),
        taken_ids=frozenset(store.taken_issue_ids(connection, end)),
        aliases=issue_merges(connection),
        memberships=store.prior_memberships(connection),
        mined_through=store.mined_through(connection, end),
    )


def _by_touchpoint(issues: Sequence[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.touchpoint, -i.figures.volume, i.issue_id))


def _tracker(context: PipelineContext) -> IssueTracker:
    embedding = context.registry.embedding
    return IssueTracker(
        miner_factory=partial(
            IssueMiner,
            reducer=UMAPReducer() if context.settings.issue_reducer == "umap" else PCAReducer(),
            similarity=embedding.similarity,
            centre_similarity=embedding.centre_similarity,
            cluster_limit=context.settings.issue_cluster_limit,
            half_precision_from=context.settings.issue_half_precision_from,
            spill_from=context.settings.issue_spill_from,
            spill_folder=context.settings.issue_spill_folder,
            merge_similarity=context.settings.issue_merge_similarity,
            outlier_threshold=context.settings.issue_join_similarity,
            known_threshold=context.settings.issue_join_similarity,
        ),
        match_threshold=embedding.centre_similarity(0.8),
        embedding_languages=embedding.languages,
        grouping=context.settings.issue_grouping,
        across_reducer=UMAPReducer() if context.settings.issue_reducer == "auto" else None,
    )


# ---------------------------------------------------------------- a run: its row, its stats, its report


def begin_run(context: PipelineContext, engine: Engine, start: date, end: date) -> str:
    """Record the interval's run as running in this process; first close the runs of this host whose
    process is gone (killed), so `pipeline_run` never shows a dead run as running."""
    run_id = interval_run_id(start, end)
    registry = context.registry
    host = socket.gethostname()
    with engine.begin() as connection:
        for abandoned, pid in store.running_runs(connection, host):
            if pid != os.getpid() and not _process_alive(pid):
                reason = f"the process running it (pid {pid} on {host}) ended before it finished: killed"
                store.finish_run(connection, abandoned, "failed", {}, error=reason)
        store.start_run(
            connection,
            run_id,
            start,
            end,
            window_start_of(context.settings, start, end),
            (registry.sentiment.ref, registry.embedding.ref),
            (host, os.getpid()),
        )
    return run_id


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def combined_stats(ingests: Sequence[IngestResult]) -> dict:
    """The stats of several ingests of one interval (one per source in the DAG) added up."""
    stats: dict = {}
    for result in ingests:
        for key, value in result.stats.items():
            if isinstance(value, dict):
                merged = stats.setdefault(key, {})
                for name, count in value.items():
                    merged[name] = merged.get(name, 0) + count
            else:
                stats[key] = stats.get(key, 0) + value
    return stats


def write_run_report(settings: Settings, engine: Engine, run_id: str, stats: dict | None = None) -> Path:
    """The run's HTML report, from what the warehouse holds, under the settings' report folder."""
    with engine.connect() as connection:
        data = load_report_data(connection, run_id, stats)
    return write_report(data, settings.path(settings.report_dir) / f"cx-report-{run_id}.html")


def finish_interval(
    context: PipelineContext,
    engine: Engine,
    start: date,
    end: date,
    ingests: Sequence[IngestResult],
    timer: StageTimer | None = None,
    started: float | None = None,
) -> RunResult:
    """Mine the window, write the report and close the interval's run with the stats of its ingests.

    `started` is the perf_counter() at which the whole run began, for its wall time.
    """
    started = started if started is not None else time.perf_counter()
    run_id = interval_run_id(start, end)
    issues, mine_stats = mine_window(context, engine, start, end, timer)
    stats = combined_stats(ingests)
    failures = {name: reason for result in ingests for name, reason in result.source_failures.items()}
    stats.update(mine_stats)
    stats["source_failures"] = failures
    if timer is not None:
        stats["stage_seconds"] = timer.seconds
        stats["documents_per_second"] = timer.rates()
    report_path = write_run_report(context.settings, engine, run_id, stats)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    with engine.begin() as connection:
        store.finish_run(
            connection, run_id, "partial" if failures else "succeeded", stats, report_path=str(report_path)
        )
    return RunResult(run_id, start, end, stats, issues, report_path)


def run_interval(
    context: PipelineContext,
    engine: Engine,
    start: date,
    end: date,
    rescore: bool = False,
    release_models: bool = False,
    ingest_apart: bool = False,
    worker: IngestWorker | None = None,
) -> RunResult:
    """The nightly job for [start, end): ingest every source (`rescore`: see `ingest_interval`), then
    mine the window and report. `release_models`: the process needs the models no more after this
    interval's ingest, and mining gets their memory (about 220 MiB on the CPU). `ingest_apart`: the
    ingest runs in a fresh process (cx_nlp.ingest_apart; `worker`'s, kept unless `release_models`)
    unless this one holds the models already."""
    if end <= start:
        raise ValueError(f"interval end {end} must be after start {start}")
    started = time.perf_counter()
    run_id = begin_run(context, engine, start, end)
    apart = ingest_apart and not context.models.loaded and can_ingest_apart(context.settings)
    try:
        # Ingested apart, that process draws the ingest's bars, and this one the mining's after it.
        timer = StageTimer(context.settings.progress)
        if apart:
            settings, keep = context.settings, not release_models
            ingested = ingest_interval_apart(ingest_for_run, settings, start, end, rescore, timer, worker, keep)
        with timer:
            if not apart:
                ingested = ingest_interval(context, engine, start, end, timer=timer, rescore=rescore)
                if release_models:
                    context.models.release()
            return finish_interval(context, engine, start, end, [ingested], timer, started)
    except Exception as exc:
        with engine.begin() as connection:
            store.finish_run(connection, run_id, "failed", {}, error=stored_error(exc))
        raise


def run_intervals(
    context: PipelineContext, engine: Engine, first: date, last: date, per_day: bool, rescore: bool = False
) -> list[RunResult]:
    """[first, last) as one interval, or each of its days as an interval of its own (a backfill), in
    order; each run's result."""
    if per_day:
        intervals = [(first + timedelta(days=i), first + timedelta(days=i + 1)) for i in range((last - first).days)]
    else:
        intervals = [(first, last)]
    if not intervals:
        raise ValueError(f"no day in [{first}, {last})")
    # The models stay loaded across a backfill's days (here, or in the ingest's worker while the window is
    # small), and the last day mines without them.
    last, apart, results = len(intervals) - 1, context.settings.ingest_in_fresh_process, []
    with IngestWorker.for_settings(context.settings) as worker:
        for i, (start, end) in enumerate(intervals):
            results.append(run_interval(context, engine, start, end, rescore, i == last, apart, worker))
            worker.mined(results[-1].stats.get("window_documents", 0))
    return results
