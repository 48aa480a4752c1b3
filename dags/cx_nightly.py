"""cx_nightly: mine yesterday's customer feedback into recurring issues per touchpoint.

Configuration only: every task calls one function of `cx_nlp.jobs`; models and heavy imports load
inside those calls, never when the scheduler parses this file. One ingest task per configured source
(dynamic task mapping, so this file never reads the sources config), then one task mines the issue
window. The warehouse comes from the Airflow connection `cx_warehouse` when it exists, else from
CX_WAREHOUSE_URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException
from airflow.timetables.interval import CronDataIntervalTimetable


def _warehouse_url() -> str | None:
    from airflow.sdk import Connection

    try:
        return Connection.get("cx_warehouse").get_uri()
    except Exception:
        return None


@dag(
    dag_id="cx_nightly",
    # A real [start, end) day: "@daily" would give a zero-length interval in Airflow 3.
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 10, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "cx-analytics", "retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["cx-nlp", "feedback"],
)
def cx_nightly():
    @task
    def validate_config() -> list[str]:
        from cx_nlp.jobs import validate_config

        return validate_config(_warehouse_url())["sources"]

    @task
    def migrate_warehouse() -> str:
        from cx_nlp.jobs import migrate_warehouse

        return migrate_warehouse(_warehouse_url())

    @task(execution_timeout=timedelta(hours=1))
    def ingest_source(source: str, data_interval_start=None, data_interval_end=None) -> dict:
        from cx_nlp.jobs import ingest_source

        return ingest_source(source, data_interval_start, data_interval_end, _warehouse_url())

    # Runs even when a source's task failed: the other sources' issues are still worth publishing.
    # depends_on_past: a night starts from the issues the night before left, so nights are mined in
    # order even when a backfill runs several at once (their ingests still run side by side).
    @task(execution_timeout=timedelta(hours=1), trigger_rule="all_done", depends_on_past=True)
    def mine_interval(ingested: list[dict], data_interval_start=None, data_interval_end=None) -> dict:
        from cx_nlp.jobs import mine_interval

        result = mine_interval(data_interval_start, data_interval_end, list(ingested), _warehouse_url())
        if result["source_failures"]:  # stored and reported as partial; the scheduler must see a failure
            raise AirflowFailException(f"run {result['run_id']} is partial: {result['source_failures']}")
        return result

    sources = validate_config()
    ingested = ingest_source.expand(source=sources)
    migrate_warehouse() >> ingested
    mine_interval(ingested)


cx_nightly()
