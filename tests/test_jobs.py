"""The DAG's entry points that need no model or scheduler: ad-hoc source selection, asset events,
failure lines, and a report folder per warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


# ---------------------------------------------------------------- the mining DAG (cx_mine): intervals from loads

NOW = datetime(2026, 11, 8, 6, 30, tzinfo=UTC)


def _load(source: str, night: date, at: datetime, **counts) -> dict:
    """A load event as the mining task hands it over: the URI and extra cx_nightly's ingest task emits."""
    ingested = {
        "source": source,
        "stats": {"raw": 10, "feedback": 8, "languages": {"en": 8}, **counts},
        "source_failures": {},
    }
    uri, extra = jobs.source_loaded_event(ingested, night, night + timedelta(days=1))
    return jobs.asset_event(uri, extra, at, "cx_nightly", f"scheduled__{night}T00:00:00+00:00")


def test_the_mining_dag_takes_its_intervals_from_the_load_events_extras_in_order():
    events = [
        _load("support_tickets", date(2026, 11, 7), datetime(2026, 11, 8, 0, 9, tzinfo=UTC)),
        _load("portal_reviews", date(2026, 11, 6), datetime(2026, 11, 8, 0, 5, tzinfo=UTC)),
        _load("portal_reviews", date(2026, 11, 7), datetime(2026, 11, 8, 0, 4, tzinfo=UTC), feedback=3),
        # The same source loaded again later (a retry or an ad-hoc run): its latest counts are the night's.
        _load("portal_reviews", date(2026, 11, 7), datetime(2026, 11, 8, 0, 12, tzinfo=UTC), feedback=5),
    ]
    found = jobs.intervals_to_mine(events, now=NOW)
    assert found["notes"] == []
    assert [(i["start"], i["end"]) for i in found["intervals"]] == [
        ("2026-11-06", "2026-11-07"),
        ("2026-11-07", "2026-11-08"),
    ]
    night = found["intervals"][1]
    assert night["loaded_at"] == "2026-11-08T00:12:00+00:00"
    assert night["derived_from"] == ["event extra"]
    assert night["sources"] == {
        "portal_reviews": {"raw": 10, "feedback": 5},
        "support_tickets": {"raw": 10, "feedback": 8},
    }


def test_an_event_without_a_usable_interval_stands_for_the_day_before_it_was_emitted_and_says_so():
    at = datetime(2026, 11, 8, 0, 30, tzinfo=UTC)
    # As an event posted by hand through the REST API looks: an extra of its own, or none.
    posted = jobs.asset_event("cx-nlp://sources/nps_surveys", {"note": "reloaded by hand"}, at)
    broken = jobs.asset_event(
        "cx-nlp://sources/cfpb_complaints", {"interval_start": "2026-11-07", "interval_end": "2026-11-07"}, at
    )
    found = jobs.intervals_to_mine([posted, broken], now=NOW)
    assert [(i["start"], i["end"], i["derived_from"]) for i in found["intervals"]] == [
        ("2026-11-07", "2026-11-08", ["event time"])
    ]
    assert len(found["notes"]) == 2
    assert "nps_surveys" in found["notes"][0] and "no interval_start and interval_end" in found["notes"][0]
    assert "an empty interval [2026-11-07, 2026-11-07)" in found["notes"][1]
    assert found["notes"][0].endswith("taken as the day before it was emitted, [2026-11-07, 2026-11-08)")


def test_without_events_a_run_mines_its_data_interval_else_yesterday_and_old_loads_are_left_to_backfills():
    cron = jobs.intervals_to_mine([], (datetime(2026, 11, 6, 6, tzinfo=UTC), datetime(2026, 11, 7, 6, tzinfo=UTC)))
    assert [(i["start"], i["end"], i["loaded_at"]) for i in cron["intervals"]] == [("2026-11-06", "2026-11-07", None)]
    assert cron["intervals"][0]["derived_from"] == ["data interval"] and cron["notes"] == []
    bare = jobs.intervals_to_mine([], (None, None), now=NOW)
    assert [(i["start"], i["end"]) for i in bare["intervals"]] == [("2026-11-07", "2026-11-08")]
    assert bare["notes"] == ["no load event and no data interval: mining yesterday, [2026-11-07, 2026-11-08)"]
    # A first asset-triggered run is handed every event since the DAG began listening.
    old = _load("portal_reviews", date(2026, 9, 1), datetime(2026, 9, 2, tzinfo=UTC))
    fresh = _load("portal_reviews", date(2026, 11, 7), datetime(2026, 11, 8, tzinfo=UTC))
    found = jobs.intervals_to_mine([old, fresh], now=NOW)
    assert [(i["start"], i["end"]) for i in found["intervals"]] == [("2026-11-07", "2026-11-08")]
    assert len(found["notes"]) == 1 and "older than 28 days" in found["notes"][0]


def _record_run(engine, start: date, status: str, started: datetime) -> None:
    from sqlalchemy import update

    from cx_nlp.warehouse import schema as t
    from cx_nlp.warehouse import store

    end = start + timedelta(days=1)
    run_id = f"{start}_{end}"
    with engine.begin() as connection:
        store.start_run(connection, run_id, start, end, start - timedelta(days=27), ("s", "e"), ("host", 1))
        if status != "running":
            store.finish_run(connection, run_id, status, {})
        connection.execute(update(t.pipeline_run).where(t.pipeline_run.c.run_id == run_id).values(started_at=started))


def test_the_mining_plan_skips_nights_mined_since_their_loads_and_keeps_nights_in_order(warehouse_url):
    from cx_nlp.warehouse import store
    from cx_nlp.warehouse.db import make_engine

    jobs.migrate_warehouse(warehouse_url)
    engine = make_engine(warehouse_url)
    _record_run(engine, date(2026, 11, 4), "succeeded", datetime(2026, 11, 5, 0, 20, tzinfo=UTC))
    _record_run(engine, date(2026, 11, 5), "partial", datetime(2026, 11, 6, 0, 20, tzinfo=UTC))
    _record_run(engine, date(2026, 11, 6), "succeeded", datetime(2026, 11, 7, 0, 20, tzinfo=UTC))
    _record_run(engine, date(2026, 11, 7), "failed", datetime(2026, 11, 8, 0, 20, tzinfo=UTC))
    with engine.connect() as connection:
        runs = store.interval_runs(connection)
    engine.dispose()
    assert [(str(r["start"]), r["status"]) for r in runs] == [
        ("2026-11-04", "succeeded"),
        ("2026-11-05", "partial"),
        ("2026-11-06", "succeeded"),
        ("2026-11-07", "failed"),
    ]

    def plan(events, explicit=False, data_interval=None):
        wanted = jobs.intervals_to_mine(events, data_interval, now=NOW)["intervals"]
        return [(s["start"], s["action"]) for s in jobs.mining_plan(wanted, runs, explicit)]

    # cx_nightly loaded the 6th at 00:10 and mined it at 00:20: its events ask for nothing more.
    assert plan([_load("portal_reviews", date(2026, 11, 6), datetime(2026, 11, 7, 0, 10, tzinfo=UTC))]) == [
        ("2026-11-06", "skip")
    ]
    # A night whose mining failed is mined on its next load.
    assert plan([_load("portal_reviews", date(2026, 11, 7), datetime(2026, 11, 8, 0, 10, tzinfo=UTC))]) == [
        ("2026-11-07", "mine")
    ]
    # A source of the 5th loaded again after the 6th was mined: the 5th, then the 6th again (the failed 7th
    # is not a mined night to bring up to date).
    late = _load("support_tickets", date(2026, 11, 5), datetime(2026, 11, 7, 9, 0, tzinfo=UTC))
    steps = jobs.mining_plan(jobs.intervals_to_mine([late], now=NOW)["intervals"], runs)
    assert [(s["start"], s["action"]) for s in steps] == [("2026-11-05", "mine"), ("2026-11-06", "mine")]
    assert steps[1]["reason"] == "mined before [2026-11-05, 2026-11-06) was: mined again after it"
    # The cron's run mines its night only if it never was; a backfill's or a manual run's mines it anyway.
    cron_night = (datetime(2026, 11, 6, 6, tzinfo=UTC), datetime(2026, 11, 7, 6, tzinfo=UTC))
    assert plan([], data_interval=cron_night) == [("2026-11-06", "skip")]
    assert plan([], explicit=True, data_interval=cron_night) == [("2026-11-06", "mine")]
    assert plan([], data_interval=(datetime(2026, 11, 8, 6, tzinfo=UTC), datetime(2026, 11, 9, 6, tzinfo=UTC))) == [
        ("2026-11-08", "mine")
    ]


def test_a_recent_running_run_holds_the_mining_dag_back_and_a_dead_one_does_not(warehouse_url):
    from cx_nlp.warehouse.db import make_engine

    jobs.migrate_warehouse(warehouse_url)
    engine = make_engine(warehouse_url)
    _record_run(engine, date(2026, 11, 6), "running", NOW - timedelta(minutes=20))
    _record_run(engine, date(2026, 11, 2), "running", NOW - timedelta(hours=5))
    _record_run(engine, date(2026, 11, 5), "succeeded", NOW - timedelta(minutes=5))
    engine.dispose()
    assert jobs.mining_in_progress(warehouse_url, now=NOW) == ["2026-11-06_2026-11-07"]
