#!/usr/bin/env bash
# The local production-like stack: `make stack-up` / `make stack-down` (docs/deploy.md, "Local stack").
#   deploy/stack/stack.sh up [--fresh]      start it; --fresh first drops its databases and state
#   deploy/stack/stack.sh down [--purge]    stop it; --purge also drops its databases and state
#   deploy/stack/stack.sh env               print the settings it uses (secrets masked)
# Airflow 3.3 api-server, scheduler, dag-processor and two Celery workers from the cx-nlp image, on the
# host's PostgreSQL (metadata database CX_STACK_METADATA_DB, warehouse CX_STACK_WAREHOUSE_DB) and the
# host's Redis (Celery broker, database CX_STACK_REDIS_DB). podman play kube with pod.yaml, or, where a
# Docker engine with Compose answers, docker compose with compose.yaml. The image is built when missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

export CX_STACK_IMAGE=${CX_STACK_IMAGE:-localhost/cx-nlp:test}
export CX_STACK_STATE=${CX_STACK_STATE:-/var/tmp/cx-stack}
export CX_STACK_API_PORT=${CX_STACK_API_PORT:-28080}
export CX_STACK_USE_JOB_SCHEDULE=${CX_STACK_USE_JOB_SCHEDULE:-False}
PG=${CX_STACK_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
PSQL=(psql "${PG/postgresql+psycopg/postgresql}/postgres" -v ON_ERROR_STOP=1 -qAt)
METADATA_DB=${CX_STACK_METADATA_DB:-cx_airflow}
WAREHOUSE_DB=${CX_STACK_WAREHOUSE_DB:-cx_warehouse}
REDIS_DB=${CX_STACK_REDIS_DB:-5}
export CX_STACK_METADATA_URL=$PG/$METADATA_DB
export CX_STACK_WAREHOUSE_URL=$PG/$WAREHOUSE_DB
export CX_STACK_BROKER_URL=${CX_STACK_BROKER_URL:-redis://127.0.0.1:6379/$REDIS_DB}
PODS=(cx-stack-airflow cx-stack-worker-1 cx-stack-worker-2)
WORKERS=(cx-stack-worker-1-worker-1 cx-stack-worker-2-worker-2)

if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  engine=docker
  compose() { docker compose --env-file "$CX_STACK_STATE/stack.env" -p cx-stack -f "$HERE/compose.yaml" "$@"; }
  WORKERS=(cx-stack-worker-1-1 cx-stack-worker-2-1)
else
  engine=podman
fi

secret() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }

# Secrets are made once per state folder, so a restart keeps sessions, tokens and encrypted connections.
write_settings() {
  mkdir -p "$CX_STACK_STATE"/{logs,reports,auth}
  if [ ! -f "$CX_STACK_STATE/secrets.env" ]; then
    umask 077
    printf 'CX_STACK_FERNET_KEY=%s\nCX_STACK_SECRET_KEY=%s\nCX_STACK_JWT_SECRET=%s\n' "$(secret)" "$(secret)" "$(secret)" \
      >"$CX_STACK_STATE/secrets.env"
    printf '{"admin": "%s"}\n' "$(secret)" >"$CX_STACK_STATE/auth/passwords.json"
  fi
  # shellcheck disable=SC1091
  set -a && . "$CX_STACK_STATE/secrets.env" && set +a
  # The image's user (airflow, uid 50000, group 0) writes logs and reports and reads the passwords file.
  chown -R 50000:0 "$CX_STACK_STATE"/{logs,reports,auth} 2>/dev/null || chmod -R a+rwX "$CX_STACK_STATE"/{logs,reports,auth}
  env | grep -E '^CX_STACK_(IMAGE|STATE|API_PORT|USE_JOB_SCHEDULE|METADATA_URL|WAREHOUSE_URL|BROKER_URL|FERNET_KEY|SECRET_KEY|JWT_SECRET)=' \
    | sort >"$CX_STACK_STATE/stack.env"
  chmod 600 "$CX_STACK_STATE/stack.env"
  # podman play kube does not interpolate: the pod spec is rendered from the same values.
  python3 - "$HERE/pod.yaml" "$CX_STACK_STATE/pod.yaml" <<'EOF'
import os, string, sys
text = string.Template(open(sys.argv[1]).read()).substitute(os.environ)
with open(os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
    out.write(text)
EOF
}

create_databases() {
  for db in "$METADATA_DB" "$WAREHOUSE_DB"; do
    if [ -z "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      "${PSQL[@]}" -c "CREATE DATABASE $db"
    fi
  done
}

drop_state() {
  for db in "$METADATA_DB" "$WAREHOUSE_DB"; do "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; done
  redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1 || echo "could not flush Redis database $REDIS_DB" >&2
  rm -rf "${CX_STACK_STATE:?}"/{logs,reports,auth,secrets.env,stack.env,pod.yaml}
}

ensure_image() {
  "$engine" image exists "$CX_STACK_IMAGE" 2>/dev/null && return
  [ "$engine" = docker ] && docker image inspect "$CX_STACK_IMAGE" >/dev/null 2>&1 && return
  echo "building $CX_STACK_IMAGE (missing)"
  if [ "$engine" = docker ]; then
    docker build -t "$CX_STACK_IMAGE" "$ROOT"
  else
    "${PODMAN_BUILD:-$ROOT/../shared/container/podman-build.sh}" "$ROOT" "$CX_STACK_IMAGE"
  fi
}

logs() { "$engine" logs "$1" 2>&1; }

# Up means: the api-server answers, the scheduler and dag-processor report healthy, both workers are ready.
ready() {
  local health w
  health=$(curl -fsS "http://127.0.0.1:$CX_STACK_API_PORT/api/v2/monitor/health" 2>/dev/null) || return 1
  python3 -c '
import json, sys
health = json.loads(sys.argv[1])
sys.exit(any(health.get(k, {}).get("status") != "healthy" for k in ("metadatabase", "scheduler", "dag_processor")))
' "$health" || return 1
  for w in "${WORKERS[@]}"; do
    logs "$w" | grep ' ready\.' >/dev/null || return 1
  done
}

wait_ready() {
  local deadline=$((SECONDS + ${CX_STACK_START_TIMEOUT:-900}))
  until ready; do
    if [ $SECONDS -ge $deadline ]; then
      echo "the stack was not ready after ${CX_STACK_START_TIMEOUT:-900} s" >&2
      return 1
    fi
    sleep 5
  done
}

up() {
  if [ "${1:-}" = --fresh ]; then
    down
    drop_state
  fi
  ensure_image
  write_settings
  create_databases
  local t0=$SECONDS
  if [ "$engine" = docker ]; then
    compose up -d
  else
    podman play kube "$CX_STACK_STATE/pod.yaml" >/dev/null
  fi
  wait_ready
  echo "stack up with $engine in $((SECONDS - t0)) s: http://127.0.0.1:$CX_STACK_API_PORT (user admin," \
    "password in $CX_STACK_STATE/auth/passwords.json)"
}

down() {
  if [ "$engine" = docker ]; then
    if [ -f "$CX_STACK_STATE/stack.env" ]; then compose down --timeout 60; fi
  else
    for pod in "${PODS[@]}"; do
      if podman pod exists "$pod"; then
        podman pod stop --time 60 "$pod" >/dev/null
        podman pod rm -f "$pod" >/dev/null
      fi
    done
  fi
  echo "stack down"
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down)
    down
    if [ "${2:-}" = --purge ]; then drop_state; fi
    ;;
  env) write_settings && sed -E 's/^(CX_STACK_(FERNET_KEY|SECRET_KEY|JWT_SECRET))=.*/\1=***/' "$CX_STACK_STATE/stack.env" ;;
  *) sed -n '2,5p' "$0" >&2 && exit 2 ;;
esac
