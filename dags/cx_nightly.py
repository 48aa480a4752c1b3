"""cx_nightly: mine yesterday's customer feedback into recurring issues per touchpoint.

Configuration only: every task calls one function of `cx_nlp.jobs`; models and heavy imports load
inside those calls, never when the scheduler parses this file. One ingest task per configured source
(dynamic task mapping, so this file never reads the sources config), then one task mines the issue
window. The warehouse comes from the Airflow connection `cx_warehouse` when it exists, else from
CX_WAREHOUSE_URL.

Each ingest task that loads its source emits an event of the asset `cx-nlp://sources/NAME` (through
the alias `cx_source_loaded`), with the interval and the row counts in its extra: downstream DAGs (a
BI refresh, an export) can be scheduled on a source's loads. Model tasks run in the pool `cx_models`
(create it: `airflow pools set cx_models 2 "cx-nlp models"`) and on the Celery queue CX_MODEL_QUEUE
(default `default`; e.g. `gpu` for GPU workers). docs/deploy.md: the safe order for a first start
(backfill, then unpause) and the rest of a deployment.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from airflow.sdk import Asset, AssetAlias, Param, dag, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.interval import CronDataIntervalTimetable

MODEL_POOL = "cx_models"
MODEL_QUEUE = os.environ.get("CX_MODEL_QUEUE", "default")
SOURCE_LOADED = AssetAlias("cx_source_loaded")


def _warehouse_url() -> str | None:
    from airflow.sdk import Connection

    try:
        return Connection.get("cx_warehouse").get_uri()
    except Exception:
        return None


def _log_failure(context) -> None:
    from cx_nlp.jobs import failure_summary

    run, ti = context.get("dag_run"), context.get("ti")
    error = context.get("exception") or context.get("reason")
    tries = f"{ti.try_number}/{ti.max_tries + 1}" if ti is not None and hasattr(ti, "max_tries") else ""
    line = failure_summary(
        run.dag_id, run.run_id, ti.task_id if ti else None, run.data_interval_start, run.data_interval_end, error, tries
    )
    logging.getLogger("cx_nlp.airflow").error(line)


@dag(
    dag_id="cx_nightly",
    # A real [start, end) day: "@daily" would give a zero-length interval in Airflow 3.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 10, 1),
    catchup=False,
    # Unpausing runs the latest interval at once: backfill the earlier nights first (docs/deploy.md).
    is_paused_upon_creation=True,
    max_active_runs=1,
    default_args={
        "owner": "cx-analytics",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        "on_failure_callback": _log_failure,
    },
    on_failure_callback=_log_failure,
    params={
        # An ad-hoc run of one source (the window is still mined from everything stored).
        "source": Param(None, type=["null", "string"], description="Ingest only this source; empty: all"),
    },
    tags=["cx-nlp", "feedback"],
)
def cx_nightly():
    @task
    def validate_config(params=None) -> list[str]:
        from cx_nlp.jobs import validate_config

        return validate_config(_warehouse_url(), only=(params or {}).get("source"))["sources"]

    @task
    def migrate_warehouse() -> str:
        from cx_nlp.jobs import migrate_warehouse

        return migrate_warehouse(_warehouse_url())

    @task(
        execution_timeout=timedelta(hours=1),
        pool=MODEL_POOL,
        queue=MODEL_QUEUE,
        weight_rule="absolute",
        outlets=[SOURCE_LOADED],
    )
    def ingest_source(source: str, data_interval_start=None, data_interval_end=None, outlet_events=None) -> dict:
        from cx_nlp.jobs import ingest_source, source_loaded_event

        result = ingest_source(source, data_interval_start, data_interval_end, _warehouse_url())
        if event := source_loaded_event(result, data_interval_start, data_interval_end):
            outlet_events[SOURCE_LOADED].add(Asset(event[0]), extra=event[1])
        return result

    # Runs even when a source's task failed: the other sources' issues are still worth publishing.
    # depends_on_past: a night starts from the issues the night before left, so nights are mined in
    # order even when a backfill runs several at once (their ingests still run side by side).
    # Absolute weights, the mining task's the heaviest in the pool: with a backfill, an earlier night is
    # published as soon as its ingests are done, before the later nights' ingests take the slots.
    @task(
        execution_timeout=timedelta(hours=1),
        trigger_rule="all_done",
        depends_on_past=True,
        pool=MODEL_POOL,
        queue=MODEL_QUEUE,
        priority_weight=100,
        weight_rule="absolute",
    )
    def mine_interval(
        ingested: list[dict], sources: list[str], data_interval_start=None, data_interval_end=None
    ) -> dict:
        from cx_nlp.jobs import mine_interval

        result = mine_interval(data_interval_start, data_interval_end, list(ingested), _warehouse_url(), sources)
        if result["source_failures"]:  # stored and reported as partial; the scheduler must see a failure
            raise AirflowFailException(f"run {result['run_id']} is partial: {result['source_failures']}")
        return result

    sources = validate_config()
    ingested = ingest_source.expand(source=sources)
    migrate_warehouse() >> ingested
    mine_interval(ingested, sources)


cx_nightly()
