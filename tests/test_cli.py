"""The command line: clear errors with exit code 2, and commands that touch the warehouse."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from cx_nlp.cli import app

runner = CliRunner()


def test_init_db_creates_tables_and_views(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CX_WAREHOUSE_URL", url)
    result = runner.invoke(app, ["init-db"])
    assert result.exit_code == 0, result.output
    inspector = inspect(create_engine(url))
    assert {"feedback", "issue", "source_state", "quarantine"} <= set(inspector.get_table_names())
    assert {"stg_feedback", "mart_issue_overview"} <= set(inspector.get_view_names())


def test_run_rejects_bad_dates_with_a_clear_message():
    result = runner.invoke(app, ["run", "--start", "2026-13-01"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["run", "--start", "2026-11-05", "--end", "2026-11-01"])
    assert result.exit_code == 2 and "must be after" in result.output


def test_sources_check_reports_each_broken_source(tmp_path, monkeypatch):
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: gone\n"
        "    path: nowhere.csv\n"
        "    source_kind: review\n"
        "    fields: {id: id, text: body, created_at: when}\n"
        "  - name: helpdesk\n"
        "    kind: zendesk_tickets\n"
        "    options: {base_url: 'https://acme.zendesk.example', email: a@acme.example, api_token: '${CX_NO_SUCH_TOKEN}'}\n"
    )
    monkeypatch.setenv("CX_SOURCES_CONFIG", str(sources))
    monkeypatch.delenv("CX_NO_SUCH_TOKEN", raising=False)
    result = runner.invoke(app, ["sources", "check"])
    assert result.exit_code == 2
    assert "FAIL gone: file" in result.output and "not found" in result.output
    assert "FAIL helpdesk" in result.output and "CX_NO_SUCH_TOKEN is not set" in result.output


def test_sources_list_shows_the_bundled_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["sources", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("portal_reviews", "support_tickets", "cfpb_complaints", "nps_surveys"):
        assert name in result.output


@pytest.mark.models
def test_ingest_one_source_then_an_unknown_one(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ingest.db'}"
    monkeypatch.setenv("CX_WAREHOUSE_URL", url)
    result = runner.invoke(
        app, ["ingest", "--source", "nps_surveys", "--since", "2026-11-09", "--end", "2026-11-16", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "ingested nps_surveys for 2026-11-09..2026-11-16" in result.output
    with create_engine(url).connect() as connection:
        sources = {row[0] for row in connection.exec_driver_sql("SELECT DISTINCT source FROM feedback")}
        issues = connection.exec_driver_sql("SELECT COUNT(*) FROM issue").scalar_one()
    assert sources == {"nps_surveys"} and issues == 0  # ingest stores feedback; mining is `run`'s job
    result = runner.invoke(app, ["ingest", "--source", "no_such_source", "--quiet"])
    assert result.exit_code == 2 and "no_such_source" in result.output
