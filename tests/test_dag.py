"""The Airflow DAG parses without import errors, imports nothing heavy, and wires the job's tasks."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow

DAGS = Path(__file__).resolve().parent.parent / "dags"


def test_dagbag_has_no_import_errors_and_cx_nightly_is_wired():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    dag = bag.dags.get("cx_nightly")
    assert dag is not None
    assert set(dag.task_ids) == {"validate_config", "migrate_warehouse", "ingest_source", "mine_interval"}
    assert dag.get_task("ingest_source").upstream_task_ids == {"validate_config", "migrate_warehouse"}
    # validate_config also hands the mining task the sources the run meant to ingest (all, or an ad-hoc one).
    assert dag.get_task("mine_interval").upstream_task_ids == {"ingest_source", "validate_config"}
    assert dag.get_task("mine_interval").trigger_rule == "all_done"
    # Nights are mined in order (each starts from the issues the previous night left); ingests are not held.
    assert dag.get_task("mine_interval").depends_on_past is True
    assert dag.get_task("ingest_source").depends_on_past is False
    assert dag.catchup is False
    assert dag.default_args["retries"] >= 1
    assert "cx-nlp" in dag.tags


def test_parsing_the_dag_file_loads_no_ml_or_database_driver():
    # The scheduler parses DAG files over and over: torch & co must load only inside tasks.
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'sklearn', 'cx_nlp.pipeline') "
        "if m in sys.modules); print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DAGS / "cx_nightly.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1:] in ([], [""]), result.stdout


@pytest.mark.models
def test_dag_run_mines_its_data_interval(tmp_path, monkeypatch):
    """dag.test runs the three tasks for one daily interval into a throwaway SQLite warehouse."""
    from datetime import datetime

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db
    from sqlalchemy import create_engine, text

    warehouse = f"sqlite:///{tmp_path / 'dag-warehouse.db'}"
    monkeypatch.setenv("CX_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("CX_REPORT_DIR", str(tmp_path / "reports"))
    db.initdb()
    dag = DagBag(dag_folder=str(DAGS)).dags["cx_nightly"]
    run = dag.test(logical_date=datetime(2026, 11, 3, tzinfo=UTC))
    assert run.state == "success"
    with create_engine(warehouse).connect() as connection:
        runs = connection.execute(text("SELECT interval_start, interval_end, status FROM pipeline_run")).all()
        loaded = connection.execute(text("SELECT COUNT(*) FROM feedback")).scalar_one()
    assert len(runs) == 1 and runs[0].status == "succeeded"
    start, end = (datetime.fromisoformat(str(v)).date() for v in runs[0][:2])
    assert (end - start).days == 1
    assert loaded > 0
    # One mapped ingest task per configured source.
    mapped = [ti for ti in run.get_task_instances() if ti.task_id == "ingest_source"]
    assert len(mapped) == 4 and all(ti.state == "success" for ti in mapped)
    # Each loaded source emitted an event of its asset, naming the interval it loaded.
    events = _asset_events(run.run_id)
    assert set(events) == {
        f"cx-nlp://sources/{name}" for name in ("portal_reviews", "support_tickets", "cfpb_complaints", "nps_surveys")
    }
    assert {(e["interval_start"], e["interval_end"]) for e in events.values()} == {(str(start), str(end))}


def _asset_events(run_id: str) -> dict[str, dict]:
    """The extra of each asset event one run emitted, by asset URI (later events of an asset win)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.uri, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_run_id == run_id)
            .order_by(AssetEvent.timestamp)
        ).all()
    return {uri: extra for uri, extra in rows}


@pytest.mark.models
def test_an_ad_hoc_run_ingests_one_source_and_is_not_partial(tmp_path, monkeypatch):
    """The `source` param limits the ingest to one source; the others are not counted as failed."""
    from datetime import datetime

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db
    from sqlalchemy import create_engine, text

    warehouse = f"sqlite:///{tmp_path / 'ad-hoc.db'}"
    monkeypatch.setenv("CX_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("CX_REPORT_DIR", str(tmp_path / "reports"))
    db.initdb()
    dag = DagBag(dag_folder=str(DAGS)).dags["cx_nightly"]
    run = dag.test(logical_date=datetime(2026, 11, 5, tzinfo=UTC), run_conf={"source": "support_tickets"})
    assert run.state == "success"
    mapped = [ti for ti in run.get_task_instances() if ti.task_id == "ingest_source"]
    assert len(mapped) == 1 and mapped[0].state == "success"
    with create_engine(warehouse).connect() as connection:
        sources = connection.execute(text("SELECT DISTINCT source FROM raw_record")).scalars().all()
        status = connection.execute(text("SELECT status FROM pipeline_run")).scalar_one()
    assert sources == ["support_tickets"] and status == "succeeded"


def _listen(dag_id: str) -> None:
    """The DAG files in the metadata database (as the dag-processor leaves them), `dag_id` unpaused, and no
    asset event or queued asset run left by earlier tests: the scheduler queues runs of unpaused DAGs only."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
    with create_session() as session:
        session.execute(update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=False))
        session.execute(delete(AssetDagRunQueue))
        session.execute(delete(AssetEvent))


def _asset_triggered_run(dag_id: str) -> str:
    """What the scheduler does with queued asset events: the DAGs they make ready, and a run of `dag_id`
    that consumes them (Airflow's own code: dag.test makes manual runs only)."""
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query, triggered = DagModel.dags_needing_dagruns(session)
        ready = [model for model in query.all() if model.dag_id in triggered]
        assert [model.dag_id for model in ready] == [dag_id]
        SchedulerJobRunner(job=Job())._create_dag_runs_asset_triggered(dag_models=ready, session=session)
    with create_session() as session:
        return session.scalar(select(DagRun.run_id).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1))


def _run_existing(dag, run_id: str) -> dict[str, str]:
    """Runs the tasks of an existing run the way dag.test runs those of its own, in this process; the
    state of each task instance."""
    from airflow.models.dagrun import DagRun
    from airflow.sdk.definitions.dag import _run_task
    from airflow.sdk.timezone import utcnow
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id))
        run.dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
        run.state, run.start_date = DagRunState.RUNNING, utcnow()
        session.commit()
        for _ in range(100):
            if run.state != DagRunState.RUNNING:
                break
            session.expire_all()
            schedulable, _ = run.update_state(session=session)
            for ti in schedulable:
                if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                    ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
            session.commit()
            for ti in run.get_task_instances(session=session):
                if ti.state == TaskInstanceState.SCHEDULED:
                    _run_task(ti=ti, task=dag.task_dict[ti.task_id])
        assert run.state != DagRunState.RUNNING, "the run did not finish"
        return {ti.task_id: ti.state for ti in run.get_task_instances(session=session)}


def _mined(warehouse: str) -> dict[str, tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(warehouse)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT run_id, status, started_at, stats FROM pipeline_run")).all()
    engine.dispose()
    return {run_id: (status, started, stats) for run_id, status, started, stats in rows}


@pytest.mark.models
def test_source_loads_trigger_the_mining_dag_which_mines_the_night_their_extras_name(tmp_path, monkeypatch):
    """Load events of cx_nightly's ingests queue an asset-triggered run of cx_mine, without a data interval,
    that mines the night named in their extras. Loads that cx_nightly then mined itself (an ad-hoc run of
    one source, re-scored) trigger a run that finds the night done and leaves it."""
    import json
    from datetime import datetime

    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.dagrun import DagRun
    from airflow.utils import db
    from airflow.utils.session import create_session
    from sqlalchemy import select

    warehouse = f"sqlite:///{tmp_path / 'assets.db'}"
    monkeypatch.setenv("CX_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("CX_REPORT_DIR", str(tmp_path / "reports"))
    db.initdb()
    bag = DagBag(dag_folder=str(DAGS))
    nightly, mine = bag.dags["cx_nightly"], bag.dags["cx_mine"]
    _listen("cx_mine")
    night = datetime(2026, 11, 7, tzinfo=UTC)

    # The loads alone, as from a producer that does not mine: cx_nightly's mining task is marked done unrun.
    loaded = nightly.test(logical_date=night, mark_success_pattern="mine_interval")
    assert loaded.state == "success" and _mined(warehouse) == {}
    extras = _asset_events(loaded.run_id)
    assert len(extras) == 4
    # A manual run's data interval is the day before its logical date.
    interval = f"{loaded.data_interval_start.date()}_{loaded.data_interval_end.date()}"
    assert {f"{e['interval_start']}_{e['interval_end']}" for e in extras.values()} == {interval}

    run_id = _asset_triggered_run("cx_mine")
    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.run_id == run_id))
        assert run.run_type == "asset_triggered" and run.logical_date is None and run.data_interval_start is None
        assert len(run.consumed_asset_events) == 4
    assert _run_existing(mine, run_id) == {"loads_settled": "success", "mine_loaded": "success"}
    mined = _mined(warehouse)
    assert set(mined) == {interval}
    status, mined_at, stats = mined[interval]
    stats = json.loads(stats) if isinstance(stats, str) else stats
    assert status == "succeeded"
    # The night's counts are those the load events carried.
    assert stats["feedback"] == sum(extra["feedback"] for extra in extras.values()) > 0
    assert stats["issues"] > 0

    # An ad-hoc run of one source, re-scored: cx_nightly mines the night again itself.
    adhoc = nightly.test(logical_date=night, run_conf={"source": "support_tickets", "rescore": True})
    assert adhoc.state == "success"
    reloaded = _asset_events(adhoc.run_id)
    assert list(reloaded) == ["cx-nlp://sources/support_tickets"]
    # Without `rescore` the cache would answer (scored 0); with it every text of the source is scored again.
    assert reloaded["cx-nlp://sources/support_tickets"]["scored"] > 0
    _, remined_at, _ = _mined(warehouse)[interval]
    assert remined_at != mined_at

    run_id = _asset_triggered_run("cx_mine")
    with create_session() as session:
        assert len(session.scalar(select(DagRun).where(DagRun.run_id == run_id)).consumed_asset_events) == 1
    assert _run_existing(mine, run_id) == {"loads_settled": "success", "mine_loaded": "success"}
    # Mined after that load: nothing to do, the night's run is cx_nightly's.
    assert _mined(warehouse)[interval][1] == remined_at

    # A run that names its interval (manual, or a backfill's) mines it whatever was done before; without
    # events it waits for runs of the DAGs that emitted loads lately (none is on).
    explicit = mine.test(logical_date=datetime(2026, 11, 7, 6, tzinfo=UTC))
    assert explicit.state == "success"
    assert {ti.task_id: ti.state for ti in explicit.get_task_instances()} == {
        "loads_settled": "success",
        "mine_loaded": "success",
    }
    status, explicit_at, _ = _mined(warehouse)[interval]
    assert status == "succeeded" and explicit_at > remined_at
