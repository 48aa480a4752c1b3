"""The DAG's entry points that need no model or scheduler: ad-hoc source selection, asset events,
failure lines, and a report folder per warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cx_nlp import jobs
from cx_nlp.settings import Settings, report_folder_for


def test_an_ad_hoc_run_keeps_one_known_source_and_refuses_an_unknown_one():
    assert jobs.validate_config(only="nps_surveys")["sources"] == ["nps_surveys"]
    assert len(jobs.validate_config()["sources"]) == 4
    with pytest.raises(ValueError, match=r"unknown source 'helpdesk'.*portal_reviews"):
        jobs.validate_config(only="helpdesk")


def test_a_loaded_source_emits_its_asset_event_and_a_failed_one_none():
    loaded = {
        "source": "support_tickets",
        "stats": {"loaded": 12, "quarantined": 1, "by": {"x": 1}},
        "source_failures": {},
    }
    start, end = datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)
    assert jobs.source_loaded_event(loaded, start, end) == (
        "cx-nlp://sources/support_tickets",
        {"interval_start": "2026-11-03", "interval_end": "2026-11-04", "loaded": 12, "quarantined": 1},
    )
    failed = loaded | {"source_failures": {"support_tickets": "HTTP 503"}}
    assert jobs.source_loaded_event(failed, start, end) is None


def test_a_failure_is_one_line_with_its_interval_and_the_first_line_of_the_error():
    line = jobs.failure_summary(
        "cx_nightly", "r1", "ingest_source", date(2026, 11, 3), "2026-11-04", "boom\nTraceback...", "2/3"
    )
    assert line == "cx-nlp FAILED cx_nightly.ingest_source run=r1 try=2/3 interval=[2026-11-03, 2026-11-04): boom"
    assert jobs.failure_summary("cx_nightly", "r2", None, None, None, None) == (
        "cx-nlp FAILED cx_nightly run=r2 interval=no data interval: no error recorded"
    )


def test_each_warehouse_gets_its_own_report_folder_without_credentials(monkeypatch):
    monkeypatch.delenv("CX_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("CX_REPORT_DIR", raising=False)
    assert Settings().report_dir == Path("warehouse/reports")
    postgres = Settings(warehouse_url="postgresql+psycopg://cx:s3cret@db.example:5433/cx")
    assert postgres.report_dir == Path("warehouse/reports/postgresql-db.example-5433-cx")
    other = Settings(warehouse_url="sqlite:////srv/cx/other.db")
    assert other.report_dir != postgres.report_dir and "s3cret" not in str(postgres.report_dir)
    # An explicit folder wins, from the environment as from the constructor.
    monkeypatch.setenv("CX_REPORT_DIR", "/reports")
    assert Settings(warehouse_url="sqlite:////srv/cx/other.db").report_dir == Path("/reports")
    assert report_folder_for("sqlite://") == "sqlite-memory"


def test_the_dag_entry_points_derive_the_report_folder_from_the_warehouse_they_are_given(monkeypatch):
    monkeypatch.delenv("CX_REPORT_DIR", raising=False)
    settings = jobs._settings("postgresql+psycopg://127.0.0.1:5432/test")
    assert settings.report_dir == Path("warehouse/reports/postgresql-127.0.0.1-5432-test")
