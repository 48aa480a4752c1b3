"""`cx-nlp run` ingests each interval in a fresh process (cx_nlp.ingest_apart), so what the ingest leaves
in a process is handed back before the mining. The run's own process never loads the models, and the
warehouse ends as an ingest in the run's own process leaves it: the same tones, segments, embeddings,
issues and stats, on SQLite and PostgreSQL. A failure there fails the run with its error. A warehouse
held in memory, a process that holds the models already and `ingest_in_fresh_process: false` ingest in
the run's process."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from pydantic import ValidationError
from sqlalchemy import create_engine, make_url, select, text
from test_pii_pipeline import END, START, write_sources

from cx_nlp import ingest_apart, pipeline
from cx_nlp.pipeline import PipelineContext, run_interval, run_intervals
from cx_nlp.progress import StageTimer
from cx_nlp.settings import Settings
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, migrate

# When a row was written, not what: the two runs differ there.
_WRITTEN_AT = {"ingested_at", "created_at", "updated_at", "loaded_at", "computed_at"}
_TABLES = (t.feedback, t.feedback_sentiment, t.feedback_segment, t.embedding, t.issue, t.issue_member, t.quarantine)


def _written(engine) -> dict[str, list[dict]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (
                    {k: v for k, v in row.items() if k not in _WRITTEN_AT}
                    for row in connection.execute(select(table)).mappings()
                ),
                key=lambda row: json.dumps(row, sort_keys=True, default=str),
            )
            for table in _TABLES
        }


def _open(context: PipelineContext):
    engine = make_engine(context.settings.resolved_warehouse_url())
    migrate(engine, context.settings.path(context.settings.sql_dir))
    return engine


def _emptied(url: str) -> None:
    """The warehouse at `url` as a fresh one (the next migrate makes its tables again)."""
    if url.startswith("sqlite"):
        Path(make_url(url).database).unlink()
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _refused(*args, **kwargs):
    raise AssertionError("called in the run's process")


def test_a_run_ingests_apart_and_writes_what_an_ingest_in_its_own_process_writes(
    settings_factory, warehouse_url, models, tmp_path, monkeypatch
):
    settings = settings_factory(warehouse_url=warehouse_url, sources_config=write_sources(tmp_path))
    context = PipelineContext.from_settings(settings)
    engine = _open(context)
    # Refused in this process only: the spawned one imports the pipeline afresh.
    monkeypatch.setattr(pipeline, "ingest_interval", _refused)
    result = run_intervals(context, engine, START, END, per_day=False)[0]
    monkeypatch.undo()
    # The ingest ran elsewhere: this process loaded no model, and has the ingest's stats and timings.
    assert not context.models.loaded
    assert result.stats["feedback"] > 0 and result.stats["quarantined"] > 0 and result.stats["embedded"] > 0
    assert {"sentiment", "embed", "write", "issues"} <= set(result.stats["stage_seconds"])
    apart = _written(engine)
    assert apart["issue"] and apart["embedding"]
    engine.dispose()

    _emptied(warehouse_url)
    # The same sources ingested in this process, by the same models, loaded here already.
    here = PipelineContext.from_settings(settings, models=models)
    engine = _open(here)
    again = run_interval(here, engine, START, END, ingest_apart=True)
    counted = ("feedback", "segments", "quarantined", "raw", "scored", "embedded", "issues")
    assert {k: again.stats[k] for k in counted} == {k: result.stats[k] for k in counted}
    assert _written(engine) == apart
    engine.dispose()


@pytest.mark.models
def test_a_warehouse_in_memory_or_the_setting_off_ingests_in_the_run_process(settings_factory, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "ingest_interval_apart", _refused)
    sources = write_sources(tmp_path)
    for warehouse_url, fresh_process in (("sqlite://", True), (f"sqlite:///{tmp_path / 'off.db'}", False)):
        settings = settings_factory(warehouse_url=warehouse_url, sources_config=sources)
        settings.ingest_in_fresh_process = fresh_process
        assert ingest_apart.can_ingest_apart(settings) is (warehouse_url != "sqlite://")
        context = PipelineContext.from_settings(settings)
        engine = _open(context)
        result = run_intervals(context, engine, START, END, per_day=False)[0]
        assert result.stats["embedded"] > 0 and result.issues
        engine.dispose()
    assert not ingest_apart.can_ingest_apart(settings_factory(warehouse_url="sqlite:///:memory:"))


def test_an_ingest_failing_apart_fails_the_run_with_its_error(settings_factory, tmp_path):
    registry = yaml.safe_load((ROOT / "models" / "registry.yaml").read_text())
    registry["sentiment"]["path"] = str(tmp_path / "no-such-model")
    (tmp_path / "registry.yaml").write_text(yaml.safe_dump(registry))
    url = f"sqlite:///{tmp_path / 'failing.db'}"
    settings = settings_factory(
        warehouse_url=url, sources_config=write_sources(tmp_path), model_registry=tmp_path / "registry.yaml"
    )
    context = PipelineContext.from_settings(settings)
    engine = _open(context)
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        run_intervals(context, engine, START, END, per_day=False)
    with engine.connect() as connection:
        status, error = connection.execute(select(t.pipeline_run.c.status, t.pipeline_run.c.error)).one()
    assert status == "failed" and "no-such-model" in error
    engine.dispose()


class _RecordError(Exception):
    """Built from two parts, so unpickling, which calls it with the message alone, fails."""

    def __init__(self, record: str, problem: str):
        super().__init__(f"{record}: {problem}")


def _failing_ingest(settings, start, end, rescore, kept=None):
    raise _RecordError("raw record 7", "field 'text' is not a string")


def test_an_error_that_cannot_cross_processes_arrives_with_its_type_and_message(settings_factory):
    timer = StageTimer(False)
    with pytest.raises(ingest_apart.IngestFailed, match=r"_RecordError: raw record 7: field 'text'") as failed:
        ingest_apart.ingest_interval_apart(_failing_ingest, settings_factory(), START, END, False, timer)
    assert "_failing_ingest" in str(failed.value)  # the child's traceback


def _counting_ingest(settings, start, end, rescore, kept=None):
    """What a worker's process keeps between intervals: its pid, and how many ingests its `kept` saw."""
    calls = 0
    if kept is not None:
        kept["calls"] = calls = kept.get("calls", 0) + 1
    return (os.getpid(), calls), {"load": 0.1}, {"load": 1}


def test_a_kept_worker_ingests_the_next_interval_in_the_same_process_with_what_it_kept(settings_factory):
    settings, timer = settings_factory(), StageTimer(False)
    days = [(START + timedelta(days=i), START + timedelta(days=i + 1)) for i in range(3)]
    with ingest_apart.IngestWorker() as worker:
        seen = [worker.ingest(_counting_ingest, settings, *day, False, timer, keep=i < 2) for i, day in enumerate(days)]
        assert worker._pool is None  # the last interval closed it
    assert len({pid for pid, _ in seen}) == 1 and [calls for _, calls in seen] == [1, 2, 3]
    assert worker.processes_started == 1 and pytest.approx(timer.seconds["load"]) == 0.3

    # A process left above the bound after an interval is replaced: every interval starts afresh.
    with ingest_apart.IngestWorker(recycle_above_mib=0) as worker:
        seen = [worker.ingest(_counting_ingest, settings, *day, False, timer, keep=True) for day in days[:2]]
    assert seen[0][0] != seen[1][0] and [calls for _, calls in seen] == [1, 1]
    assert worker.processes_started == 2

    # So is one whose run mined a window of `keep_below_window` documents or more.
    with ingest_apart.IngestWorker(keep_below_window=100) as worker:
        seen = []
        for window_documents, day in zip((99, 100, 0), days):
            seen.append(worker.ingest(_counting_ingest, settings, *day, False, timer, keep=True))
            worker.mined(window_documents)
    assert [calls for _, calls in seen] == [1, 2, 1] and worker.processes_started == 2
    assert 0 < worker.resident_mib < 1024


def test_a_runs_worker_takes_its_bounds_from_the_settings(settings_factory, monkeypatch):
    default = ingest_apart.IngestWorker.for_settings(settings_factory())
    assert (default.recycle_above_mib, default.keep_below_window) == (1024.0, 10_000)
    monkeypatch.setenv("CX_INGEST_WORKER_RECYCLE_MIB", "3072")
    monkeypatch.setenv("CX_INGEST_WORKER_WINDOW", "50000")
    larger = ingest_apart.IngestWorker.for_settings(Settings())
    assert (larger.recycle_above_mib, larger.keep_below_window) == (3072.0, 50_000)
    monkeypatch.setenv("CX_INGEST_WORKER_RECYCLE_MIB", "0")
    with pytest.raises(ValidationError, match="ingest_worker_recycle_mib"):
        Settings()


@pytest.mark.models
def test_a_per_day_backfill_ingests_its_days_in_one_process_that_loads_the_models_once(
    settings_factory, tmp_path, monkeypatch
):
    workers: list[ingest_apart.IngestWorker] = []

    class RecordedWorker(ingest_apart.IngestWorker):
        def __init__(self, *bounds):
            super().__init__(*bounds)
            workers.append(self)

    monkeypatch.setattr(pipeline, "IngestWorker", RecordedWorker)
    monkeypatch.setattr(pipeline, "ingest_interval", _refused)
    settings = settings_factory(
        warehouse_url=f"sqlite:///{tmp_path / 'days.db'}", sources_config=write_sources(tmp_path)
    )
    context = PipelineContext.from_settings(settings)
    engine = _open(context)
    results = run_intervals(context, engine, START, START + timedelta(days=3), per_day=True)
    assert not context.models.loaded and [r.stats["embedded"] > 0 for r in results] == [True] * 3
    # One process ingested the three days (it keeps its models: see the test above) and is gone.
    assert workers[0].processes_started == 1 and workers[0]._pool is None
    engine.dispose()


@pytest.mark.models
def test_an_ingest_in_a_kept_worker_uses_the_models_it_kept(settings_factory, models, tmp_path):
    settings = settings_factory(
        warehouse_url=f"sqlite:///{tmp_path / 'kept.db'}", sources_config=write_sources(tmp_path)
    )
    _open(PipelineContext.from_settings(settings)).dispose()
    kept, sentiment = {"models": models}, models.sentiment
    ingested, seconds, _ = pipeline.ingest_for_run(settings, START, END, False, kept)
    assert ingested.stats["embedded"] > 0 and seconds["sentiment"] > 0
    assert kept["models"] is models and models.sentiment is sentiment
