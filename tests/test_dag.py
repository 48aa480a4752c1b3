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
    events = _asset_events()
    assert set(events) == {
        f"cx-nlp://sources/{name}" for name in ("portal_reviews", "support_tickets", "cfpb_complaints", "nps_surveys")
    }
    assert {(e["interval_start"], e["interval_end"]) for e in events.values()} == {(str(start), str(end))}


def _asset_events() -> dict[str, dict]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.uri, AssetEvent.extra).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
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
