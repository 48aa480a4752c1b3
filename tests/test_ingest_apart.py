"""`cx-nlp run` ingests each interval in a fresh process (cx_nlp.ingest_apart), so what the ingest leaves
in a process is handed back before the mining. The run's own process never loads the models, and the
warehouse ends as an ingest in the run's own process leaves it: the same tones, segments, embeddings,
issues and stats, on SQLite and PostgreSQL. A failure there fails the run with its error. A warehouse
held in memory, a process that holds the models already and `ingest_in_fresh_process: false` ingest in
the run's process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from sqlalchemy import create_engine, make_url, select, text
from test_pii_pipeline import END, START, write_sources

from cx_nlp import ingest_apart, pipeline
from cx_nlp.pipeline import PipelineContext, run_interval, run_intervals
from cx_nlp.progress import StageTimer
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


def _failing_ingest(settings, start, end, rescore):
    raise _RecordError("raw record 7", "field 'text' is not a string")


def test_an_error_that_cannot_cross_processes_arrives_with_its_type_and_message(settings_factory):
    timer = StageTimer(False)
    with pytest.raises(ingest_apart.IngestFailed, match=r"_RecordError: raw record 7: field 'text'") as failed:
        ingest_apart.ingest_interval_apart(_failing_ingest, settings_factory(), START, END, False, timer)
    assert "_failing_ingest" in str(failed.value)  # the child's traceback
