"""The local stack's two descriptions stay one stack: deploy/stack/pod.yaml (podman play kube) and
deploy/stack/compose.yaml (Docker Compose) name the same services with the same commands, environment,
hostnames and folders, and every value they leave open is one that deploy/stack/stack.sh provides.
`make test-stack` runs the pod spec; no Docker engine runs the compose file here."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

STACK = Path(__file__).resolve().parent.parent / "deploy" / "stack"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def _pod_documents() -> list[dict]:
    return list(yaml.safe_load_all((STACK / "pod.yaml").read_text()))


def _compose() -> dict:
    return yaml.safe_load((STACK / "compose.yaml").read_text())


def _pod_services() -> dict[str, dict]:
    """Container name -> what compose says of a service: image, command, env, hostname, volumes."""
    documents = _pod_documents()
    env = {}
    for document in documents:
        if document["kind"] == "ConfigMap":
            env[document["metadata"]["name"]] = document["data"]
    services = {}
    for pod in (d for d in documents if d["kind"] == "Pod"):
        spec = pod["spec"]
        assert spec.get("hostNetwork") is True, pod["metadata"]["name"]
        paths = {v["name"]: v["hostPath"]["path"] for v in spec.get("volumes", [])}
        for container in spec.get("initContainers", []) + spec["containers"]:
            merged = {}
            for source in container.get("envFrom", []):
                merged.update(env[source["configMapRef"]["name"]])
            merged.update({e["name"]: e["value"] for e in container.get("env", [])})
            services[container["name"]] = {
                "image": container["image"],
                "command": container["command"],
                "environment": merged,
                "hostname": spec["hostname"],
                "volumes": sorted(f"{paths[m['name']]}:{m['mountPath']}" for m in container.get("volumeMounts", [])),
            }
    return services


def test_pod_spec_and_compose_file_describe_the_same_services():
    pod = _pod_services()
    compose = _compose()["services"]
    assert set(pod) == set(compose)
    for name, expected in pod.items():
        service = compose[name]
        assert service["network_mode"] == "host", name
        found = {
            "image": service["image"],
            "command": service["command"],
            "environment": service["environment"],
            "hostname": service["hostname"],
            "volumes": sorted(service.get("volumes", [])),
        }
        assert found == expected, name


def test_the_stack_is_celery_with_two_single_slot_workers_on_their_own_hosts():
    pod = _pod_services()
    workers = {name: s for name, s in pod.items() if s["command"][:3] == ["airflow", "celery", "worker"]}
    assert len(workers) == 2
    assert len({s["hostname"] for s in workers.values()}) == 2
    assert {s["hostname"] for s in workers.values()}.isdisjoint(
        s["hostname"] for n, s in pod.items() if n not in workers
    )
    env = next(iter(pod.values()))["environment"]
    assert all(s["environment"] == env for s in pod.values()), "every service reads the same settings"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "1"
    assert all(s["command"][s["command"].index("--concurrency") + 1] == "1" for s in workers.values())
    # Airflow derives an async URL that needs asyncpg unless the async URL is given too (docs/deploy.md).
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    commands = {tuple(s["command"][:2]) for s in pod.values()}
    assert {("airflow", "api-server"), ("airflow", "scheduler"), ("airflow", "dag-processor")} <= commands
    # Reports and task logs land in folders every worker and the api-server share.
    assert all(any(v.endswith(":/opt/cx-nlp/warehouse/reports") for v in s["volumes"]) for s in workers.values())


def test_every_placeholder_is_one_the_stack_script_sets():
    script = (STACK / "stack.sh").read_text()
    written = set(re.search(r"\^CX_STACK_\(([A-Z_|]+)\)=", script).group(1).split("|"))
    for name in ("pod.yaml", "compose.yaml"):
        used = {p.removeprefix("CX_STACK_") for p in PLACEHOLDER.findall((STACK / name).read_text())}
        assert used <= written, f"{name} uses {sorted(used - written)}, which stack.sh does not write"
    assert {p for p in PLACEHOLDER.findall((STACK / "pod.yaml").read_text())} == {
        p for p in PLACEHOLDER.findall((STACK / "compose.yaml").read_text())
    }


def test_memory_sampler_reads_podman_and_docker_sizes():
    sys.path.insert(0, str(STACK))
    try:
        from memory import parse_stats
    finally:
        sys.path.remove(str(STACK))
    output = "cx-stack-airflow-scheduler 312.5MB / 25.28GB\nother 9GB / 25GB\ncx-stack-worker-1-1 1.5GiB / 23GiB\n"
    assert parse_stats(output) == pytest.approx(
        {"cx-stack-airflow-scheduler": 312.5e6, "cx-stack-worker-1-1": 1.5 * 2**30}
    )


def test_warehouse_comparison_is_exact_on_ids_and_texts_and_tolerant_on_scores():
    sys.path.insert(0, str(STACK))
    try:
        from compare_warehouses import deviation
    finally:
        sys.path.remove(str(STACK))
    import numpy as np

    vector = np.arange(4, dtype="<f4")
    assert (
        deviation({"keywords": ["late", "parcel"], "share": 0.5}, {"keywords": ["late", "parcel"], "share": 0.5}) == 0
    )
    assert deviation(0.25, 0.2501) == pytest.approx(1e-4)
    assert deviation(vector.tobytes(), (vector + 0.001).astype("<f4").tobytes()) == pytest.approx(0.001, abs=1e-6)
    assert deviation("delivery-0001", "delivery-0002") == float("inf")
    assert deviation({"keywords": ["late"]}, {"keywords": ["late", "parcel"]}) == float("inf")
    assert deviation(None, 0.5) == float("inf")
