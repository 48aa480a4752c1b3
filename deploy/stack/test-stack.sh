#!/usr/bin/env bash
# `make test-stack` (not part of `make test`): a fresh stack up, deploy/stack/smoke.py against it, the stack
# down again (CX_STACK_KEEP=1 leaves it running, databases and state included, to look around).
# Needs the project's venv (.venv) on the host for the test driver; prints the start time, the smoke test's
# JSON summary (run states, task hosts, row counts of both warehouses, peak memory) and each pod's peak
# memory as its cgroup counted it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
export CX_STACK_IMAGE=${CX_STACK_IMAGE:-localhost/cx-nlp:test}
export CX_STACK_STATE=${CX_STACK_STATE:-/var/tmp/cx-stack}
export CX_STACK_API_PORT=${CX_STACK_API_PORT:-28080}
PG=${CX_STACK_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
WAREHOUSE_URL=$PG/${CX_STACK_WAREHOUSE_DB:-cx_warehouse}
REFERENCE_URL=$PG/${CX_STACK_REFERENCE_DB:-cx_warehouse_reference}

if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  engine=docker
  exec_prefix="docker compose --env-file $CX_STACK_STATE/stack.env -p cx-stack -f $HERE/compose.yaml exec -T scheduler"
else
  engine=podman
  exec_prefix="podman exec cx-stack-airflow-scheduler"
fi

# cgroup v1 (this project's machines) keeps each pod's peak; cgroup v2 has memory.peak.
pod_peaks() {
  [ "$engine" = podman ] || return 0
  local pod path
  for pod in cx-stack-airflow cx-stack-worker-1 cx-stack-worker-2; do
    path=$(podman pod inspect "$pod" --format '{{.CgroupPath}}' 2>/dev/null) || continue
    for f in /sys/fs/cgroup/memory"$path"/memory.max_usage_in_bytes /sys/fs/cgroup"$path"/memory.peak; do
      [ -r "$f" ] && echo "pod $pod peak memory (cgroup, page cache included): $(($(cat "$f") / 1000000)) MB"
    done
  done
}

finish() {
  local rc=$?
  if [ $rc -ne 0 ] && [ "$engine" = podman ]; then
    for c in cx-stack-airflow-scheduler cx-stack-airflow-api-server cx-stack-worker-1-worker-1 cx-stack-worker-2-worker-2; do
      echo "---- last lines of $c" >&2
      podman logs --tail 30 "$c" >&2 || true
    done
  fi
  pod_peaks || true
  if [ "${CX_STACK_KEEP:-0}" != 1 ]; then
    "$HERE/stack.sh" down --purge
    psql "${PG/postgresql+psycopg/postgresql}/postgres" -qAt -c "DROP DATABASE IF EXISTS ${REFERENCE_URL##*/} WITH (FORCE)"
  fi
  exit $rc
}
trap finish EXIT

"$HERE/stack.sh" up --fresh
"$PYTHON" "$HERE/smoke.py" \
  --api "http://127.0.0.1:$CX_STACK_API_PORT" \
  --password-file "$CX_STACK_STATE/auth/passwords.json" \
  --warehouse-url "$WAREHOUSE_URL" \
  --reference-url "$REFERENCE_URL" \
  --report-dir "$CX_STACK_STATE/reports" \
  --exec "$exec_prefix" \
  --run "$engine run --rm --network host" \
  --stats "$engine stats --no-stream --format '{{.Name}} {{.MemUsage}}'"
echo "test-stack passed"
