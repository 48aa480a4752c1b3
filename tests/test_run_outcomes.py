"""How a run ends, as a scheduler and an analyst see it: a partial run fails its command, a killed run
does not stay `running`, errors are stored short and without secrets, people's words print as text."""

from __future__ import annotations

import logging
import socket
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from cx_nlp import secrets
from cx_nlp.cli import app
from cx_nlp.issues.records import Impact, Issue, IssueFigures, SurveyKpis, Tone, Verbatim
from cx_nlp.pipeline import PipelineContext, RunResult, begin_run
from cx_nlp.secrets import stored_error
from cx_nlp.sources.ingest import ingest
from cx_nlp.sources.source_config import SourcesConfig
from cx_nlp.warehouse import schema
from cx_nlp.warehouse.db import make_engine, migrate

ROOT = Path(__file__).resolve().parent.parent


def _issue(label: str, verbatim: str) -> Issue:
    figures = IssueFigures(5, 2, Tone(0.8, -0.5), None, SurveyKpis(), Impact(), date(2026, 11, 15), "active")
    return Issue(
        "delivery-0001", "delivery", "en", label, ["late"], [Verbatim("r:1", verbatim)], np.ones(3),
        figures, date(2026, 11, 1), date(2026, 11, 16), "run",
    )  # fmt: skip


def test_brackets_in_a_label_or_a_verbatim_print_as_text(capsys):
    from cx_nlp.cli.nightly import _print_result

    stats = {
        "raw": 1, "quarantined": 0, "duplicates": 0, "feedback": 1, "scored": 1, "embedded": 1,
        "pii_redactions": 0, "issues": 1, "outlier_share": 0.0, "seconds": 1.0,
        "source_failures": {"web[1]": "HTTP 500 [/red]"},
    }  # fmt: skip
    issue = _issue("[/bold] late parcels", "Parcel [b]never[/b] came")
    _print_result(RunResult("run", date(2026, 11, 1), date(2026, 11, 2), stats, [issue], None), 3, {})
    printed = capsys.readouterr().out
    assert "[/bold] late parcels" in printed and "[b]never[/b]" in printed and "HTTP 500 [/red]" in printed


def test_a_run_left_running_by_a_killed_process_is_closed_as_failed(settings_factory, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    context = PipelineContext.from_settings(settings_factory(warehouse_url=url))
    engine = make_engine(url)
    migrate(engine, ROOT / "sql")
    dead = subprocess.Popen(["true"])
    dead.wait()
    begin_run(context, engine, date(2026, 11, 1), date(2026, 11, 2))
    with engine.begin() as connection:
        # As a run killed with -9 leaves its row: running, in a process that is gone.
        connection.execute(
            schema.pipeline_run.update()
            .where(schema.pipeline_run.c.run_id == "2026-11-01_2026-11-02")
            .values(pid=dead.pid, host=socket.gethostname())
        )
    begin_run(context, engine, date(2026, 11, 2), date(2026, 11, 3))
    with engine.connect() as connection:
        runs = dict(connection.execute(select(schema.pipeline_run.c.run_id, schema.pipeline_run.c.status)).all())
        error = connection.execute(
            select(schema.pipeline_run.c.error).where(schema.pipeline_run.c.run_id == "2026-11-01_2026-11-02")
        ).scalar_one()
    assert runs == {"2026-11-01_2026-11-02": "failed", "2026-11-02_2026-11-03": "running"}
    assert f"pid {dead.pid}" in error and "killed" in error
    # The run of this very process is alive: the next begin_run leaves it running.
    begin_run(context, engine, date(2026, 11, 3), date(2026, 11, 4))
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT status FROM pipeline_run WHERE run_id = '2026-11-02_2026-11-03'")
            ).scalar_one()
            == "running"
        )
    engine.dispose()


def test_a_database_error_is_stored_short_without_its_statement_or_parameters(warehouse_url):
    engine = make_engine(warehouse_url)
    customer_text = "my parcel never came " * 5000
    with pytest.raises(Exception) as failure:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO no_such_table (body) VALUES (:body)"), {"body": customer_text})
    stored = stored_error(failure.value)
    assert len(stored) <= 2000 and "no_such_table" in stored
    assert "my parcel never came" not in stored and "INSERT INTO" not in stored
    engine.dispose()


def test_a_secret_in_a_source_url_reaches_neither_logs_nor_failures(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CX_TEST_LISTING_TOKEN", "s3cr3t-listing-token")
    monkeypatch.setenv("CX_TEST_LISTING_QUERY", "p4ssphrase-in-a-plain-param")
    config = SourcesConfig.model_validate(
        {
            "sources": [
                {
                    "name": "listing",
                    "kind": "review_pages",
                    "options": {
                        # Port 9 (discard) refuses connections: the request fails at once.
                        "start_url": "http://127.0.0.1:9/reviews?q=${CX_TEST_LISTING_QUERY}&token=${CX_TEST_LISTING_TOKEN}",
                        "http": {"allowed_hosts": ["127.0.0.1"], "contact": "cx@example.com", "max_attempts": 2},
                    },
                }
            ]
        }
    )
    caplog.set_level(logging.DEBUG)
    _, failures = ingest(config, tmp_path, date(2026, 11, 1), date(2026, 11, 2))
    assert list(failures) == ["listing"]
    shown = failures["listing"] + "\n" + caplog.text
    assert "127.0.0.1" in shown  # the failure still says where
    assert "s3cr3t-listing-token" not in shown and "p4ssphrase-in-a-plain-param" not in shown
    assert (
        secrets.mask("https://api.example.com/v1?limit=5&api_key=abc123")
        == "https://api.example.com/v1?limit=5&api_key=***"
    )


@pytest.mark.models
def test_a_partial_run_exits_non_zero_with_a_summary_and_is_recorded_partial(tmp_path, monkeypatch):
    feedback = tmp_path / "reviews.csv"
    feedback.write_text("id,body,when\nr1,The parcel arrived late,2026-11-01\nr2,Great service,2026-11-01\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{name: reviews, path: {feedback}, source_kind: review, fields: {{id: id, text: body, created_at: when}}}}\n"
        f"  - {{name: gone, path: {tmp_path / 'missing.csv'}, source_kind: review, fields: {{id: id, text: body, created_at: when}}}}\n"
    )
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    env = {"CX_WAREHOUSE_URL": url, "CX_SOURCES_CONFIG": str(sources), "CX_REPORT_DIR": str(tmp_path / "reports")}
    result = CliRunner().invoke(app, ["run", "--start", "2026-11-01", "--end", "2026-11-02", "--quiet"], env=env)
    assert result.exit_code == 1, result.output
    assert "is partial: 1 of 2 sources failed (gone)" in result.output
    engine = create_engine(url)
    with engine.connect() as connection:
        status = connection.execute(text("SELECT status FROM pipeline_run")).scalar_one()
        stored = connection.execute(text("SELECT COUNT(*) FROM feedback")).scalar_one()
    assert status == "partial" and stored == 2
    engine.dispose()
