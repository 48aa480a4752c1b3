"""DagBag policy: what every DAG of the project must declare before a scheduler may run it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow

DAGS = Path(__file__).resolve().parent.parent / "dags"
MODEL_TASKS = {"ingest_source", "mine_interval", "mine_loaded"}


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    found = DagBag(dag_folder=str(DAGS))
    assert found.import_errors == {}
    assert found.dags, "no DAG found"
    return found


def test_every_dag_names_an_owner_tags_retries_and_no_catchup(bag):
    for dag_id, dag in bag.dags.items():
        assert dag.tags and "cx-nlp" in dag.tags, dag_id
        # A night never replays on its own: history is filled by an explicit backfill (docs/deploy.md).
        assert dag.catchup is False, dag_id
        assert dag.is_paused_upon_creation is True, dag_id
        assert dag.max_active_runs == 1, dag_id
        assert dag.on_failure_callback, f"{dag_id} logs nothing when a run fails"
        for task in dag.tasks:
            where = f"{dag_id}.{task.task_id}"
            assert task.owner not in ("", "airflow"), f"{where} has no owner"
            assert task.retries >= 1 and task.retry_delay >= timedelta(minutes=1), where
            assert task.on_failure_callback, f"{where} logs nothing when it fails"


def test_model_tasks_share_a_pool_a_queue_and_a_timeout(bag):
    for dag in (bag.dags["cx_nightly"], bag.dags["cx_mine"]):
        for task in dag.tasks:
            if task.task_id in MODEL_TASKS:
                assert task.pool == "cx_models", task.task_id
                assert task.queue == "default", task.task_id
                assert task.execution_timeout is not None, task.task_id
            else:
                assert task.pool == "default_pool", f"{task.task_id} takes a model slot it does not need"
    dag = bag.dags["cx_nightly"]
    # An earlier night is published before the later nights' ingests take the pool's slots.
    mine, ingest = dag.get_task("mine_interval"), dag.get_task("ingest_source")
    assert {str(getattr(t.weight_rule, "value", t.weight_rule)) for t in (mine, ingest)} == {"absolute"}
    assert mine.priority_weight > ingest.priority_weight


def test_the_model_queue_comes_from_the_environment():
    # Read when the file is parsed, so a GPU worker's queue is a deployment setting, not a code change.
    probe = (
        "import sys; from airflow.dag_processing.dagbag import DagBag; "
        "d = DagBag(dag_folder=sys.argv[1]).dags['cx_nightly']; "
        "print(*(d.get_task(t).queue for t in ('ingest_source', 'mine_interval', 'validate_config')))"
    )
    env = {**os.environ, "CX_MODEL_QUEUE": "gpu"}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DAGS / "cx_nightly.py")], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["gpu", "gpu", "default"]


def test_ingest_tasks_emit_source_assets_and_runs_take_one_source(bag):
    dag = bag.dags["cx_nightly"]
    outlets = dag.get_task("ingest_source").outlets
    assert [getattr(o, "name", None) for o in outlets] == ["cx_source_loaded"]
    assert dag.params["source"] is None
    # Re-scoring under the same model version is asked for, never the default.
    assert dag.params["rescore"] is False


def test_the_mining_dag_runs_on_source_loads_and_on_its_cron_and_waits_for_the_loads(bag):
    from datetime import UTC, datetime

    from airflow.sdk import AssetAlias, AssetOrTimeSchedule
    from airflow.serialization.encoders import coerce_to_core_timetable

    dag = bag.dags["cx_mine"]
    # Scheduled on the alias the ingest tasks emit through: no source list is read when the file is parsed.
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    assert dag.timetable.asset_condition == AssetAlias("cx_source_loaded")
    # Its cron mines the day before, after cx_nightly's midnight loads: a real [start, end) of one day.
    cron = coerce_to_core_timetable(dag.timetable).timetable
    night = cron.infer_manual_data_interval(run_after=datetime(2026, 11, 8, 6, 0, tzinfo=UTC))
    assert (night.start, night.end) == (datetime(2026, 11, 7, 6, tzinfo=UTC), datetime(2026, 11, 8, 6, tzinfo=UTC))
    settled, mine = dag.get_task("loads_settled"), dag.get_task("mine_loaded")
    assert mine.upstream_task_ids == {"loads_settled"}
    # The wait frees its worker slot between pokes and gives up in hours, not days; the mining runs after it
    # whatever its end (the loads stored are mined; a later load mines its night again).
    assert settled.mode == "reschedule" and settled.timeout <= 6 * 3600
    assert mine.trigger_rule == "all_done" and mine.depends_on_past is True
    # It reads the loads' history through the alias, for each night's counts.
    assert [getattr(i, "name", None) for i in mine.inlets] == ["cx_source_loaded"]


def test_the_failure_callback_logs_one_line(bag, caplog):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    callback = bag.dags["cx_nightly"].on_failure_callback
    callback = callback[0] if isinstance(callback, list) else callback
    run = SimpleNamespace(
        dag_id="cx_nightly",
        run_id="scheduled__2026-11-03",
        data_interval_start=datetime(2026, 11, 3, tzinfo=UTC),
        data_interval_end=datetime(2026, 11, 4, tzinfo=UTC),
    )
    ti = SimpleNamespace(task_id="mine_interval", try_number=3, max_tries=2)
    with caplog.at_level("ERROR", logger="cx_nlp.airflow"):
        callback({"dag_run": run, "ti": ti, "exception": RuntimeError("run x is partial: {'a': 'boom'}\ntrace")})
    lines = [r.getMessage() for r in caplog.records if r.name == "cx_nlp.airflow"]
    assert lines == [
        "cx-nlp FAILED cx_nightly.mine_interval run=scheduled__2026-11-03 try=3/3 "
        "interval=[2026-11-03, 2026-11-04): run x is partial: {'a': 'boom'}"
    ]
