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

cx_mine, the second DAG of this file, mines on those assets as well as on its own cron (06:00 UTC): after
the loads of a producer that does not mine (a DAG of your own that emits through the same alias), or as a
safety net beside cx_nightly, which mines what it loads (cx_mine then finds those nights done). It is
scheduled on the alias, not on one asset per source: Airflow resolves the alias to the assets it has
received events for when the scheduler evaluates it, so this file never reads the sources config.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta

from airflow.sdk import (
    Asset,
    AssetAlias,
    AssetOrTimeSchedule,
    BaseSensorOperator,
    CronDataIntervalTimetable,
    Param,
    dag,
    task,
)
from airflow.sdk.exceptions import AirflowFailException

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
        # Scores are cached by model name and version: a new version re-scores by itself. This re-scores
        # under the same version, e.g. after the weights were replaced in place.
        "rescore": Param(False, type="boolean", description="Score and embed the interval's feedback again"),
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
    def ingest_source(
        source: str, data_interval_start=None, data_interval_end=None, outlet_events=None, params=None
    ) -> dict:
        from cx_nlp.jobs import ingest_source, source_loaded_event

        rescore = bool((params or {}).get("rescore"))
        result = ingest_source(source, data_interval_start, data_interval_end, _warehouse_url(), rescore)
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


def _loads(triggering_asset_events) -> list:
    """The run's triggering events that came through the alias (each also appears under its asset)."""
    if not triggering_asset_events:
        return []
    return list(triggering_asset_events.get(SOURCE_LOADED, []))


def _plain(event) -> dict:
    from cx_nlp.jobs import asset_event

    return asset_event(event.asset.uri, event.extra, event.timestamp, event.source_dag_id, event.source_run_id)


class LoadsSettled(BaseSensorOperator):
    """Done when a run of cx_mine may mine. The first source's event starts a run at once, so a night is mined
    once the runs that emitted the run's events have finished (their other sources included); a run without
    events (the cron's, a manual one) waits while a DAG that emitted loads in the last weeks has a run on
    (cx_nightly still loading at 06:00); and no task may be mining a window. Use reschedule mode: it frees
    the worker slot between pokes. (A class rather than @task.sensor, whose provider module warns of a
    deprecated import every time the file is parsed.)"""

    def poke(self, context) -> bool:
        from cx_nlp.jobs import LOAD_LOOKBACK, mining_in_progress

        ti, events, busy = context["ti"], _loads(context.get("triggering_asset_events")), []
        for dag_id, run_id in sorted({(e.source_dag_id, e.source_run_id) for e in events if e.source_run_id}):
            try:
                state = ti.get_dagrun_state(dag_id=dag_id, run_id=run_id)
            except Exception:  # a run deleted since: nothing to wait for
                continue
            if str(getattr(state, "value", state)) in ("queued", "running"):
                busy.append(f"{dag_id}/{run_id}")
        if not events:
            since = (datetime.now(UTC) - LOAD_LOOKBACK).isoformat()
            for dag_id in sorted(
                {e.source_dag_id for e in context["inlet_events"][SOURCE_LOADED].after(since)} - {None}
            ):
                if ti.get_dr_count(dag_id=dag_id, states=["queued", "running"]):
                    busy.append(f"a run of {dag_id}")
        busy += mining_in_progress(_warehouse_url())
        if busy:
            self.log.info("waiting for %s", ", ".join(busy))
        return not busy


@dag(
    dag_id="cx_mine",
    # A run on each source's load (an event through the alias), and one at 06:00 UTC whatever happened. The
    # cron's data interval is the day before (06:00 to 06:00, read as days), the night cx_nightly loaded.
    schedule=AssetOrTimeSchedule(
        timetable=CronDataIntervalTimetable("0 6 * * *", timezone="UTC"), assets=SOURCE_LOADED
    ),
    start_date=datetime(2026, 10, 1),
    catchup=False,
    is_paused_upon_creation=True,
    # One run at a time: events that come while a run is on are handed to the next run, in order.
    max_active_runs=1,
    default_args={
        "owner": "cx-analytics",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        "on_failure_callback": _log_failure,
    },
    on_failure_callback=_log_failure,
    tags=["cx-nlp", "feedback"],
)
def cx_mine():
    loads_settled = LoadsSettled(
        task_id="loads_settled", poke_interval=60, timeout=6 * 3600, mode="reschedule", inlets=[SOURCE_LOADED]
    )

    # all_done: after six hours of waiting the loads stored so far are mined; later loads start a run of
    # their own and mine their night again. depends_on_past and max_active_runs keep nights in order.
    @task(
        execution_timeout=timedelta(hours=1),
        trigger_rule="all_done",
        depends_on_past=True,
        pool=MODEL_POOL,
        queue=MODEL_QUEUE,
        priority_weight=100,
        weight_rule="absolute",
        inlets=[SOURCE_LOADED],
    )
    def mine_loaded(
        triggering_asset_events=None, inlet_events=None, dag_run=None, data_interval_start=None, data_interval_end=None
    ) -> dict:
        from cx_nlp.jobs import LOAD_LOOKBACK, mine_loads

        events = [_plain(e) for e in _loads(triggering_asset_events)]
        # Every source's latest load of a night, also those handed to an earlier run, for the night's counts.
        since = (datetime.now(UTC) - LOAD_LOOKBACK).isoformat()
        history = [_plain(e) for e in inlet_events[SOURCE_LOADED].after(since)] if inlet_events else []
        run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type)) if dag_run else ""
        # A manual run or a backfill names its interval: it is mined whatever was mined before.
        explicit = run_type in ("manual", "backfill") and data_interval_start is not None
        result = mine_loads(events, (data_interval_start, data_interval_end), explicit, history, _warehouse_url())
        log = logging.getLogger("cx_nlp.airflow")
        for note in result["notes"]:
            log.warning(note)
        for step in result["steps"]:
            log.info("[%s, %s): %s (%s)", step["start"], step["end"], step["action"], step["reason"])
        return result

    loads_settled >> mine_loaded()


cx_mine()
