"""A connector source (Zendesk export on a loopback server) through the nightly run, on both databases.

Proves the bookmark is committed with the records, that the next night fetches only what is new,
and that incremental feedback is upserted rather than rewritten per interval.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fixture_server import ok, server_error
from fixture_server.zendesk import ZENDESK_EXPORT, zendesk_export_page, zendesk_ticket
from sqlalchemy import select, text

from cx_nlp.pipeline import PipelineContext, run_interval
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.db import make_engine, migrate
from cx_nlp.warehouse.state import WarehouseStateStore


def tickets(base: str, *specs: tuple[int, str, str]) -> list[dict]:
    return [
        zendesk_ticket(number, subject=subject, description=body, created_at=when, updated_at=when, base=base)
        for number, (subject, body, when) in ((s[0], s[1:]) for s in specs)
    ]


def test_connector_source_is_incremental_through_the_run(
    server, settings_factory, models, warehouse_url, tmp_path, monkeypatch
):
    base = server.url()
    monkeypatch.setenv("CX_TEST_ZENDESK_TOKEN", "s3cret")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - name: helpdesk\n"
        "    kind: zendesk_tickets\n"
        "    options:\n"
        f"      base_url: {base}\n"
        "      email: bot@acme.example\n"
        "      api_token: ${CX_TEST_ZENDESK_TOKEN}\n"
        "      http: {contact: 'mailto:cx@acme.example', min_interval_s: 0, backoff_initial_s: 0, backoff_jitter_s: 0}\n"
    )
    first_night = tickets(
        base,
        (501, "Charged twice", "You charged my card twice for order 88.", "2026-11-02T09:00:00Z"),
        (502, "Late parcel", "My parcel is a week late and nobody answers.", "2026-11-02T11:00:00Z"),
        (503, None, None, "2026-11-02T12:00:00Z"),  # no text: quarantined
    )
    server.route(
        ZENDESK_EXPORT,
        ok(zendesk_export_page(first_night, "c1", True, base)),
        query={"start_time": str(int(datetime(2026, 11, 2, tzinfo=UTC).timestamp()))},
    )
    server.route(ZENDESK_EXPORT, ok(zendesk_export_page([], "c1", True, base)), query={"cursor": "c1"})

    context = PipelineContext.from_settings(
        settings_factory(warehouse_url=warehouse_url, sources_config=sources), models=models
    )
    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    first = run_interval(context, engine, date(2026, 11, 2), date(2026, 11, 3))
    assert first.stats["feedback"] == 2 and first.stats["quarantined"] == 1
    with engine.connect() as connection:
        bookmark = WarehouseStateStore(connection).get("helpdesk")
        texts = connection.execute(select(t.feedback.c.feedback_id, t.feedback.c.text)).all()
    assert bookmark["cursor"] == "c1"
    assert sorted(i for i, _ in texts) == ["helpdesk:501", "helpdesk:502"]
    assert all("[EMAIL]" not in body for _, body in texts)

    # Next night: one new ticket after cursor c1, an edited old one; nothing fetched twice.
    server.clear_log()
    second_night = tickets(
        base,
        (504, "Coupon", "The WELCOME10 code is rejected at checkout.", "2026-11-03T08:00:00Z"),
        (502, "Late parcel", "My parcel is a week late. Update: it finally came, damaged.", "2026-11-03T09:30:00Z"),
    )
    server.route(ZENDESK_EXPORT, ok(zendesk_export_page(second_night, "c2", True, base)), query={"cursor": "c1"})
    second = run_interval(context, engine, date(2026, 11, 3), date(2026, 11, 4))
    assert [r.query for r in server.log(ZENDESK_EXPORT)] == [{"cursor": "c1"}]
    # Two new texts and the two sentences of the edited one (a one-sentence ticket is its own segment).
    assert second.stats["feedback"] == 2 and second.stats["scored"] == 4
    with engine.connect() as connection:
        rows = dict(connection.execute(select(t.feedback.c.feedback_id, t.feedback.c.text)).all())
        per_id = connection.execute(text("SELECT feedback_id, COUNT(*) FROM feedback GROUP BY feedback_id")).all()
        bookmark = WarehouseStateStore(connection).get("helpdesk")
    assert sorted(rows) == ["helpdesk:501", "helpdesk:502", "helpdesk:504"]
    assert "finally came" in rows["helpdesk:502"]  # the edit replaced the old version
    assert all(count == 1 for _, count in per_id)
    assert bookmark["cursor"] == "c2"

    # A night whose source fails: the run is partial, nothing is lost, the bookmark stays.
    server.route(
        ZENDESK_EXPORT,
        server_error(500),
        server_error(500),
        server_error(500),
        server_error(500),
        query={"cursor": "c2"},
    )
    third = run_interval(context, engine, date(2026, 11, 4), date(2026, 11, 5))
    assert "helpdesk" in third.stats["source_failures"]
    with engine.connect() as connection:
        assert WarehouseStateStore(connection).get("helpdesk")["cursor"] == "c2"
        assert connection.execute(text("SELECT COUNT(*) FROM feedback")).scalar_one() == 3
        status = connection.execute(
            select(t.pipeline_run.c.status).where(t.pipeline_run.c.run_id == third.run_id)
        ).scalar_one()
    assert status == "partial"
    engine.dispose()


def test_file_reading_connector_resolves_its_path_against_the_project(settings_factory, models, tmp_path):
    from cx_nlp.pipeline import ingest_interval

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - {name: complaints_inbox, kind: email_mbox, options: {path: tests/fixtures/complaints.mbox}}\n"
    )
    url = f"sqlite:///{tmp_path / 'mbox.db'}"
    context = PipelineContext.from_settings(settings_factory(warehouse_url=url, sources_config=sources), models=models)
    engine = make_engine(url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    result = ingest_interval(context, engine, date(2026, 10, 1), date(2026, 11, 1))
    assert result.source_failures == {}
    assert result.stats["feedback"] >= 3  # the September message is before the interval's start
    with engine.connect() as connection:
        kinds = set(connection.execute(select(t.feedback.c.source_kind)).scalars())
        bookmark = WarehouseStateStore(connection).get("complaints_inbox")
    assert kinds == {"complaint"} and bookmark["replication_key_value"].startswith("2026-10-22")
    engine.dispose()
