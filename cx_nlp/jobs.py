"""Entry points of the scheduled job, shared by the Airflow DAG: small JSON-able results for XCom."""

from __future__ import annotations

from datetime import date, datetime

from cx_nlp.settings import Settings


def _settings(warehouse_url: str | None) -> Settings:
    # Given to the constructor, not assigned after it: the report folder is derived from the warehouse.
    return Settings(progress=False, warehouse_url=warehouse_url) if warehouse_url else Settings(progress=False)


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def validate_config(warehouse_url: str | None = None, only: str | None = None) -> dict:
    """Fail fast, before any model loads, when a config file is wrong; `only` keeps one source (an ad-hoc run)."""
    from cx_nlp.config import load_registry, load_sources, load_taxonomy

    settings = _settings(warehouse_url)
    sources = load_sources(settings.path(settings.sources_config))
    taxonomy = load_taxonomy(settings.path(settings.touchpoints_config))
    registry = load_registry(settings.path(settings.model_registry))
    names = [s.name for s in sources.sources]
    if only and only not in names:
        raise ValueError(f"unknown source {only!r}; the sources config names {', '.join(names)}")
    return {
        "sources": [only] if only else names,
        "touchpoints": taxonomy.names(),
        "models": [registry.sentiment.ref, registry.embedding.ref],
    }


def migrate_warehouse(warehouse_url: str | None = None) -> str:
    from cx_nlp.warehouse.db import display_url, make_engine, migrate

    settings = _settings(warehouse_url)
    engine = make_engine(settings.resolved_warehouse_url())
    migrate(engine, settings.path(settings.sql_dir))
    return display_url(engine)


def _context_and_engine(warehouse_url: str | None):
    from cx_nlp.pipeline import open_pipeline

    # The DAG migrates in a task of its own, before any ingest starts.
    return open_pipeline(_settings(warehouse_url), migrate_schema=False)


def ingest_source(
    source: str, start: date | datetime | str, end: date | datetime | str, warehouse_url: str | None = None
) -> dict:
    """Ingest one source for [start, end); returns its stats and failures for the mining task."""
    from cx_nlp.pipeline import ingest_interval

    context, engine = _context_and_engine(warehouse_url)
    result = ingest_interval(context, engine, _day(start), _day(end), sources=[source])
    return {"source": source, "stats": result.stats, "source_failures": result.source_failures}


def mine_interval(
    start: date | datetime | str,
    end: date | datetime | str,
    ingested: list[dict] | None = None,
    warehouse_url: str | None = None,
    expected: list[str] | None = None,
) -> dict:
    """Mine the window ending at `end`, write the report and the run's row; `ingested` from the ingest tasks.

    The result's `source_failures` names the sources that failed, whose ingest task said so or said
    nothing: the run is recorded `partial`, and the DAG fails the task so the scheduler sees it.
    `expected`: the sources the run meant to ingest (default: every configured source)."""
    from cx_nlp.pipeline import IngestResult, begin_run, finish_interval

    context, engine = _context_and_engine(warehouse_url)
    first, last = _day(start), _day(end)
    run_id = begin_run(context, engine, first, last)
    reported = [item for item in ingested or [] if item]
    ingests = [IngestResult(run_id, [i["source"]], i["stats"], i["source_failures"]) for i in reported]
    # A source whose ingest task failed outright returned nothing: the run is partial all the same.
    meant = set(expected) if expected is not None else {s.name for s in context.sources.sources}
    silent = sorted(meant - {i["source"] for i in reported})
    if silent:
        lost = dict.fromkeys(silent, "its ingest task failed; see that task's log")
        ingests.append(IngestResult(run_id, silent, {}, lost))
    result = finish_interval(context, engine, first, last, ingests)
    return {
        "run_id": result.run_id,
        "report_path": str(result.report_path) if result.report_path else None,
        "stats": {k: v for k, v in result.stats.items() if isinstance(v, (int, float))},
        "source_failures": result.stats["source_failures"],
        "issues": [(i.issue_id, i.label, i.figures.volume) for i in result.issues[:20]],
    }


def source_loaded_event(ingested: dict, start: object, end: object) -> tuple[str, dict] | None:
    """The asset event of a source's loaded interval, from ingest_source's result: the URI of the asset that
    stands for the source's rows in the warehouse, and the event's extra; None when the source failed."""
    if ingested["source_failures"]:
        return None
    extra = {"interval_start": str(_day(start)), "interval_end": str(_day(end))}
    counts = {k: v for k, v in ingested["stats"].items() if isinstance(v, int | float)}
    return f"cx-nlp://sources/{ingested['source']}", extra | counts


def failure_summary(
    dag_id: str, run_id: str, task_id: str | None, start: object, end: object, error: object, tries: str = ""
) -> str:
    """One line for a failed task or run: what failed, for which interval, and the error's first line."""
    what = f"{dag_id}.{task_id}" if task_id else dag_id
    first = str(error or "no error recorded").strip().splitlines()
    reason = first[0][:300] if first else "no error recorded"
    interval = f"[{_day(start)}, {_day(end)})" if start and end else "no data interval"
    return f"cx-nlp FAILED {what} run={run_id}{f' try={tries}' if tries else ''} interval={interval}: {reason}"
