"""Freshdesk specifics: page numbers, the page limit, customer replies and config."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from connector_cases.freshdesk import FreshdeskCase
from connector_helpers import FakeTime, commit, fast_http
from fixture_server import FixtureServer, ok
from fixture_server.freshdesk import FRESHDESK_TICKETS, freshdesk_conversation, freshdesk_tickets_query
from pydantic import SecretStr, ValidationError

from cx_nlp.sources.connectors import FreshdeskConfig, FreshdeskTicketsStream
from cx_nlp.sources.connectors import freshdesk as freshdesk_module
from cx_nlp.sources.streams import MemoryStateStore, StreamState, sync


def freshdesk(server: FixtureServer, **config) -> FreshdeskTicketsStream:
    values = {"base_url": server.url(), "api_key": SecretStr("fd-key"), "http": fast_http()}
    values.update(config)
    return FreshdeskTicketsStream(FreshdeskConfig(**values), **FakeTime().options())


def test_freshdesk_pages_until_an_empty_page_and_resumes_from_updated_since(server):
    case = FreshdeskCase(server)
    tickets = case.tickets()
    since = "2026-10-01T00:00:00Z"
    server.route(FRESHDESK_TICKETS, ok(tickets[:2]), query=freshdesk_tickets_query(since, 1, 2))
    server.route(FRESHDESK_TICKETS, ok(tickets[2:]), query=freshdesk_tickets_query(since, 2, 2))
    server.route(FRESHDESK_TICKETS, ok([]), query=freshdesk_tickets_query(since, 3, 2))
    store = MemoryStateStore()
    first = sync(freshdesk(server, per_page=2), store, since=case.since)
    commit(first, store)

    assert [r.query["page"] for r in server.log(FRESHDESK_TICKETS)] == ["1", "2", "3"]
    assert [r.external_id for r in first.records] == ["101", "102", "103", "104"]
    ticket = first.records[0]
    assert ticket.text == "Refund still missing. I returned the sofa three weeks ago."
    assert ticket.source_kind == "ticket"
    assert ticket.metadata["status"] == "open" and ticket.metadata["channel"] == "email"
    assert first.records[3].metadata["channel"] == "chat"
    basic = server.log(FRESHDESK_TICKETS)[0].headers["authorization"]
    assert base64.b64decode(basic.removeprefix("Basic ")).decode() == "fd-key:X"

    server.clear_log()
    server.route(FRESHDESK_TICKETS, ok(tickets[3:]), query=freshdesk_tickets_query("2026-10-22T16:00:00Z", 1, 2))
    again = sync(freshdesk(server, per_page=2), store)
    assert [r.query["updated_since"] for r in server.log(FRESHDESK_TICKETS)] == ["2026-10-22T16:00:00Z"]
    assert again.raw == [] and again.already_synced == 1


def test_freshdesk_stops_at_the_page_limit_and_the_bookmark_carries_on(server, monkeypatch, caplog):
    monkeypatch.setattr(freshdesk_module, "MAX_PAGE", 2)
    case = FreshdeskCase(server)
    tickets = case.tickets()
    since = "2026-10-01T00:00:00Z"
    server.route(FRESHDESK_TICKETS, ok(tickets[0:1]), query=freshdesk_tickets_query(since, 1, 1))
    server.route(FRESHDESK_TICKETS, ok(tickets[1:2]), query=freshdesk_tickets_query(since, 2, 1))
    result = sync(freshdesk(server, per_page=1), MemoryStateStore(), since=case.since)

    assert [r.query["page"] for r in server.log(FRESHDESK_TICKETS)] == ["1", "2"]
    assert StreamState.from_dict(result.state).bookmark == datetime(2026, 10, 5, 9, tzinfo=UTC)
    assert "stopped at Freshdesk's last page" in caplog.text


def test_freshdesk_appends_only_the_customers_public_replies(server):
    case = FreshdeskCase(server)
    ticket = case.tickets()[0]
    server.route(FRESHDESK_TICKETS, ok([ticket]), query=freshdesk_tickets_query("2026-10-01T00:00:00Z", 1, 100))
    conversations = [
        freshdesk_conversation(1, 101, "We are looking into it.", incoming=False),
        freshdesk_conversation(
            2, 101, "Still nothing.\n\nOn Mon, 5 Oct 2026, Acme wrote:\n> We are looking", incoming=True
        ),
        freshdesk_conversation(3, 101, "Internal: refund blocked by finance.", incoming=False, private=True),
    ]
    server.route(f"{FRESHDESK_TICKETS}/101/conversations", ok(conversations))
    result = sync(freshdesk(server, include_conversations=True), MemoryStateStore(), since=case.since)

    (record,) = result.records
    assert record.text == "Refund still missing. I returned the sofa three weeks ago.\n\nStill nothing."
    assert [r["id"] for r in result.raw[0].payload["customer_replies"]] == [2]


def test_freshdesk_config_checks_base_url_and_hides_the_key():
    with pytest.raises(ValidationError, match="must be an http"):
        FreshdeskConfig(base_url="acme.freshdesk.com")
    config = FreshdeskConfig(base_url="https://acme.freshdesk.com/", api_key="fd-s3cret")
    assert config.http.allowed_hosts == {"acme.freshdesk.com"} and "fd-s3cret" not in repr(config)
    stream = FreshdeskTicketsStream(config)
    assert "fd-s3cret" not in repr(stream.auth())
    stream.close()
