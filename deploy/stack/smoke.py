"""Smoke test of a running local stack (`make test-stack` runs it between stack-up and stack-down).

Through Airflow's REST API (/api/v2, a JWT from /auth/token): creates the pool `cx_models`, unpauses
`cx_nightly`, triggers it for one sample night and waits for success; checks the warehouse
(deploy/check_warehouse.py). Then `airflow backfill create` for the next three nights, in the scheduler's
container, waits for the three runs, and checks that the task instances ran on both workers. Then triggers
the mining DAG `cx_mine` for the last of those nights (a run that names its interval mines it again: a
rerun, same rows) and checks that it mined it. Finally checks that the warehouse equals, row for row, the
same nights run by `cx-nlp run` (the first night, then `--per-day` over the three) into a separate
warehouse, in the same image: ids, texts, memberships exactly, scores within a tolerance. Prints one JSON
summary; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compare_warehouses import compare, issue_ids  # noqa: E402
from memory import MemorySampler  # noqa: E402

DAG = "cx_nightly"
MINE_DAG = "cx_mine"
FINISHED = {"success", "failed"}


class Api:
    """The few /api/v2 calls the test needs, with a token from the simple auth manager."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base.rstrip("/")
        body = json.dumps({"username": username, "password": password}).encode()
        self.token = self._send("POST", "/auth/token", body, auth=False)["access_token"]

    def _send(self, method: str, path: str, body: bytes | None = None, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")

    def get(self, path: str) -> dict:
        return self._send("GET", path)

    def post(self, path: str, payload: dict) -> dict:
        return self._send("POST", path, json.dumps(payload).encode())

    def patch(self, path: str, payload: dict) -> dict:
        return self._send("PATCH", path, json.dumps(payload).encode())


def wait(what: str, probe, timeout: float, every: float = 10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = probe()
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")
        time.sleep(every)


def midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def trigger_night(api: Api, night: date, timeout: float) -> str:
    wait("DAG parsed", lambda: api.get(f"/api/v2/dags/{DAG}"), timeout)
    errors = api.get("/api/v2/importErrors")["import_errors"]
    if errors:
        raise RuntimeError(f"import errors: {errors}")
    try:
        api.post("/api/v2/pools", {"name": "cx_models", "slots": 2, "description": "cx-nlp model tasks"})
    except urllib.error.HTTPError as error:
        if error.code != 409:
            raise
        api.patch("/api/v2/pools/cx_models", {"slots": 2})
    # A paused DAG runs nothing, backfills included; the stack has no cron schedule of its own.
    api.patch(f"/api/v2/dags/{DAG}", {"is_paused": False})
    run = api.post(
        f"/api/v2/dags/{DAG}/dagRuns",
        {
            "logical_date": midnight(night),
            "data_interval_start": midnight(night),
            "data_interval_end": midnight(night + timedelta(days=1)),
            "conf": {},
        },
    )
    return run["dag_run_id"]


def wait_runs(api: Api, run_ids: list[str], timeout: float, dag_id: str = DAG) -> dict[str, str]:
    def states():
        found = {r: api.get(f"/api/v2/dags/{dag_id}/dagRuns/{r}")["state"] for r in run_ids}
        return found if set(found.values()) <= FINISHED else None

    return wait(f"runs {run_ids}", states, timeout, every=15)


def mined_at(url: str, night: date) -> tuple[str, object] | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, started_at FROM pipeline_run WHERE interval_start = :night"), {"night": night}
        ).first()
    engine.dispose()
    return (row[0], row[1]) if row else None


def mine_night(api: Api, night: date, warehouse_url: str, timeout: float) -> dict:
    """A run of cx_mine that names its night: it mines it whatever was mined before. The stack makes no
    cron runs and so no asset-triggered runs either (`use_job_schedule=False` turns both off): this runs the
    mining DAG's tasks on the workers, the wait (a sensor in reschedule mode) and the loads' history read
    through the API included."""
    before = mined_at(warehouse_url, night)
    api.patch(f"/api/v2/dags/{MINE_DAG}", {"is_paused": False})
    run = api.post(
        f"/api/v2/dags/{MINE_DAG}/dagRuns",
        {
            "logical_date": midnight(night),
            "data_interval_start": midnight(night),
            "data_interval_end": midnight(night + timedelta(days=1)),
            "conf": {},
        },
    )
    state = wait_runs(api, [run["dag_run_id"]], timeout, MINE_DAG)[run["dag_run_id"]]
    after = mined_at(warehouse_url, night)
    return {
        "run_id": run["dag_run_id"],
        "state": state,
        "mined_again": bool(before and after and after[0] == "succeeded" and after[1] > before[1]),
    }


def backfill(exec_prefix: str, first: date, last: date, api: Api, timeout: float) -> list[str]:
    command = [
        *shlex.split(exec_prefix),
        "airflow", "backfill", "create", "--dag-id", DAG,
        "--from-date", first.isoformat(), "--to-date", last.isoformat(),
        # Required with depends_on_past; no run of these nights exists yet, so nothing is rerun.
        "--reprocess-behavior", "completed",
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=600)

    def created():
        runs = api.get(f"/api/v2/dags/{DAG}/dagRuns?run_type=backfill&limit=100")["dag_runs"]
        return sorted(r["dag_run_id"] for r in runs) if len(runs) == (last - first).days + 1 else None

    return wait("backfill runs created", created, timeout)


def task_hosts(api: Api, run_ids: list[str], others: dict[str, list[str]] | None = None) -> tuple[dict[str, int], bool]:
    """How many task instances each host ran (those of cx_nightly's runs, and of the `others` DAGs' runs),
    and whether cx_nightly mined its nights in order."""
    hosts: dict[str, int] = {}
    for dag_id, ids in (others or {}).items():
        for run_id in ids:
            for ti in api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]:
                hosts[ti["hostname"] or "?"] = hosts.get(ti["hostname"] or "?", 0) + 1
    mined: list[tuple[str, str]] = []
    for run_id in run_ids:
        for ti in api.get(f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]:
            hosts[ti["hostname"] or "?"] = hosts.get(ti["hostname"] or "?", 0) + 1
            if ti["task_id"] == "mine_interval":
                mined.append((ti["logical_date"], ti["end_date"]))
    finished = [end for _, end in sorted(mined)]
    return hosts, finished == sorted(finished)


def recreate_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def reference_runs(run_prefix: str, url: str, night: date, first: date, last: date) -> float:
    """The same nights without Airflow: the triggered night, then one nightly run per backfilled day."""
    recreate_database(url)
    script = (
        f"cx-nlp init-db && cx-nlp run --quiet --start {night} --end {night + timedelta(days=1)} && "
        f"cx-nlp run --quiet --per-day --start {first} --end {last + timedelta(days=1)}"
    )
    command = [*shlex.split(run_prefix), "-e", f"CX_WAREHOUSE_URL={url}", "-e", "CX_REPORT_DIR=/tmp/reports"]
    started = time.monotonic()
    subprocess.run([*command, os.environ.get("CX_STACK_IMAGE", "localhost/cx-nlp:test"), "bash", "-c", script],
                   check=True, stdout=subprocess.DEVNULL, timeout=3600)  # fmt: skip
    return round(time.monotonic() - started, 1)


def check_warehouse(url: str, report_dir: str, min_issues: int) -> None:
    env = {**os.environ, "CX_WAREHOUSE_URL": url, "CX_REPORT_DIR": report_dir}
    command = [sys.executable, str(HERE.parent / "check_warehouse.py"), "--min-feedback", "5"]
    subprocess.run([*command, "--min-issues", str(min_issues)], env=env, check=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="e.g. http://127.0.0.1:28080")
    parser.add_argument("--password-file", required=True, help="the simple auth manager's passwords JSON")
    parser.add_argument("--warehouse-url", required=True, help="the stack's warehouse")
    parser.add_argument("--reference-url", required=True, help="a PostgreSQL database for the reference runs")
    parser.add_argument("--report-dir", required=True, help="the host folder the workers write reports to")
    parser.add_argument("--exec", dest="exec_prefix", required=True, help="runs a command in the scheduler")
    parser.add_argument("--run", dest="run_prefix", required=True, help="runs a throwaway container")
    parser.add_argument("--stats", required=True, help="prints the stack's containers' memory, one per line")
    parser.add_argument("--night", type=date.fromisoformat, default=date(2026, 11, 12))
    # Workers score each source in its own batches, `cx-nlp run` all sources together; in bfloat16 (where the
    # CPU has it) padding to other lengths moves scores in the third decimal (0.005 seen on 2 cores, AMX).
    parser.add_argument("--float-tolerance", type=float, default=0.01, help="for scores and vectors")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds, for each wait")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    summary: dict = {}
    sampler = MemorySampler(args.stats)
    sampler.start()
    try:
        api = Api(args.api, "admin", json.loads(Path(args.password_file).read_text())["admin"])
        started = time.monotonic()
        run_id = trigger_night(api, args.night, args.timeout)
        summary["triggered"] = {"run_id": run_id, **wait_runs(api, [run_id], args.timeout)}
        summary["triggered_seconds"] = round(time.monotonic() - started, 1)
        if summary["triggered"][run_id] != "success":
            raise RuntimeError(f"triggered run {run_id} did not succeed")
        # The first night alone (12 feedback) holds no recurring issue; issues are checked after the backfill.
        check_warehouse(args.warehouse_url, args.report_dir, min_issues=0)

        first, last = args.night + timedelta(days=1), args.night + timedelta(days=3)
        started = time.monotonic()
        backfilled = backfill(args.exec_prefix, first, last, api, args.timeout)
        states = wait_runs(api, backfilled, args.timeout)
        summary["backfill"] = states
        summary["backfill_seconds"] = round(time.monotonic() - started, 1)
        check_warehouse(args.warehouse_url, args.report_dir, min_issues=1)
        started = time.monotonic()
        summary["mine_dag"] = mine_night(api, last, args.warehouse_url, args.timeout)
        summary["mine_dag_seconds"] = round(time.monotonic() - started, 1)
        summary["task_hosts"], summary["mined_in_order"] = task_hosts(
            api, [run_id, *backfilled], {MINE_DAG: [summary["mine_dag"]["run_id"]]}
        )
        summary["reference_seconds"] = reference_runs(args.run_prefix, args.reference_url, args.night, first, last)
        counts, deviations, differences = compare(args.warehouse_url, args.reference_url, args.float_tolerance)
        summary["largest_deviations"] = {column: float(f"{found:.3g}") for column, found in deviations.items()}
        summary["rows"] = {table: list(pair) for table, pair in counts.items()}
        summary["issue_ids"] = {
            "stack": len(issue_ids(args.warehouse_url)),
            "reference": len(issue_ids(args.reference_url)),
        }
        summary["same_issue_ids"] = issue_ids(args.warehouse_url) == issue_ids(args.reference_url)
        summary["differences"] = differences
    finally:
        summary["peak_memory_mb"] = sampler.stop()
        print(json.dumps(summary, indent=1, default=str))
    problems = [f"backfill run {r}: {s}" for r, s in summary["backfill"].items() if s != "success"]
    mine = summary.get("mine_dag", {})
    if mine.get("state") != "success" or not mine.get("mined_again"):
        problems.append(f"{MINE_DAG} did not mine its night again: {mine}")
    workers = {h for h in summary["task_hosts"] if h.startswith("cx-stack-worker-")}
    if len(workers) < 2:
        problems.append(f"tasks ran on {sorted(workers)}, not on both workers")
    if not summary["mined_in_order"]:
        problems.append("the nights were not mined in order")
    if differences or not summary["same_issue_ids"]:
        problems.append("the stack's warehouse differs from the reference runs")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
