#!/usr/bin/env bash
# Build the image and run the bundled sample inside it: `make test-image` (not part of `make test`).
#   deploy/test-image.sh [TAG]
# Docker where an engine answers, else podman through PODMAN_BUILD (a script that installs podman and
# builds a local stand-in for the Airflow base image where no registry is reachable). Prints the build
# time, the image size and the run time; exits non-zero when the build, the run or a check fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAG=${1:-localhost/cx-nlp:test}
PODMAN_BUILD=${PODMAN_BUILD:-$ROOT/../shared/container/podman-build.sh}
START=${SAMPLE_START:-2026-10-19}
END=${SAMPLE_END:-2026-11-16}
cd "$ROOT"

if docker info >/dev/null 2>&1; then
  engine=docker
  build() { docker build ${AIRFLOW_IMAGE:+--build-arg AIRFLOW_IMAGE="$AIRFLOW_IMAGE"} -t "$TAG" .; }
elif [ -x "$PODMAN_BUILD" ]; then
  engine=podman
  build() { "$PODMAN_BUILD" "$ROOT" "$TAG"; }
else
  echo "no working Docker engine and no podman build script at $PODMAN_BUILD" >&2
  exit 2
fi

t0=$(date +%s)
build
t1=$(date +%s)
size=$($engine image inspect "$TAG" --format '{{.Size}}')
echo "image $TAG built with $engine in $((t1 - t0)) s, $((size / 1000000)) MB"

run() { $engine run --rm --network none -v "$ROOT/deploy/check_warehouse.py:/tmp/check_warehouse.py:ro" "$@"; }

# What the image must hold: writable home, no build leftovers, a consistent environment, a valid config.
run "$TAG" bash -euc '
  test -w /opt/cx-nlp/warehouse/reports && test -w /opt/cx-nlp/model-cache
  test "$(stat -c %U /opt/cx-nlp)" = airflow
  leftovers=$(ls -d /opt/cx-nlp/build /opt/cx-nlp/*.egg-info 2>/dev/null || true)
  test -z "$leftovers" || { echo "build leftovers: $leftovers"; exit 1; }
  pip check
  cx-nlp sources check'
# An arbitrary uid in group 0 (OpenShift, Kubernetes runAsUser) can write reports and the warehouse too.
run --user 4242:0 "$TAG" bash -euc 'touch /opt/cx-nlp/warehouse/reports/probe /opt/cx-nlp/warehouse/probe.db'

t2=$(date +%s)
run "$TAG" bash -euc "
  cx-nlp init-db
  cx-nlp run --start $START --end $END
  python /tmp/check_warehouse.py --min-feedback 100"
t3=$(date +%s)
echo "test-image passed: build $((t1 - t0)) s ($engine), image $((size / 1000000)) MB, sample run $((t3 - t2)) s"
