"""Zendesk specifics: cursor paging, ticket fields, credentials and config."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from connector_cases.zendesk import ZendeskCase
from connector_helpers import CONTACT, FakeTime, fast_http, run
from fixture_server import FixtureServer, ok
from fixture_server.zendesk import ZENDESK_EXPORT, zendesk_export_page
from pydantic import SecretStr, ValidationError

from cx_nlp.sources.connectors import ZendeskConfig, ZendeskTicketsStream
from cx_nlp.sources.streams import MemoryStateStore, SourceError, sync


def zendesk(server: FixtureServer, fake: FakeTime | None = None, **config) -> ZendeskTicketsStream:
    values = {"base_url": server.url(), "http": fast_http()}
    values.update(config)
    return ZendeskTicketsStream(ZendeskConfig(**values), **(fake or FakeTime()).options())


def test_zendesk_pages_by_cursor_and_maps_ticket_fields(server):
    case = ZendeskCase(server)
    case.install()
    result = run(case, MemoryStateStore())

    targets = [r.query for r in case.data_requests()]
    assert targets == [case.first, {"cursor": "c1"}]
    assert result.state["cursor"] == "c2"
    first = next(r for r in result.records if r.external_id == "101")
    assert first.text == "Refund still missing. I returned the sofa three weeks ago."
    assert first.source_kind == "ticket"
    assert first.created_at == datetime(2026, 10, 2, 9, tzinfo=UTC)
    assert first.metadata == {
        "status": "open",
        "tags": ["refund"],
        "channel": "email",
        "updated_at": "2026-10-03T10:00:00Z",
        "product_area": "returns",
    }


def test_zendesk_ticket_repeated_across_pages_is_delivered_once(server):
    case = ZendeskCase(server)
    case.install()
    one, two = case.pages()
    two["tickets"].append(one["tickets"][0])
    server.route(ZENDESK_EXPORT, ok(two), query={"cursor": "c1"})
    result = run(case, MemoryStateStore())
    assert sorted(r.external_id for r in result.records) == sorted(case.expected_ids)
    assert result.duplicates == 1


def test_zendesk_sends_api_token_or_oauth_credentials(server):
    server.route(ZENDESK_EXPORT, ok(zendesk_export_page([], "c1", True, server.url())))
    sync(zendesk(server, email="bot@acme.example", api_token=SecretStr("s3cret")), MemoryStateStore())
    sync(zendesk(server, oauth_token=SecretStr("oauth-abc")), MemoryStateStore())

    basic, bearer = (r.headers["authorization"] for r in server.log(ZENDESK_EXPORT))
    assert base64.b64decode(basic.removeprefix("Basic ")).decode() == "bot@acme.example/token:s3cret"
    assert bearer == "Bearer oauth-abc"
    assert server.log()[0].headers["user-agent"] == f"cx-nlp/0.1.0 (+{CONTACT})"


def test_zendesk_config_rejects_token_without_email_and_foreign_base_url():
    with pytest.raises(ValidationError, match="api_token needs email"):
        ZendeskConfig(base_url="https://acme.zendesk.com", api_token="x")
    with pytest.raises(ValidationError, match=r"does not include 'acme.zendesk.com'"):
        ZendeskConfig(base_url="https://acme.zendesk.com", http={"allowed_hosts": ["other.example"]})
    config = ZendeskConfig(base_url="https://acme.zendesk.com/", api_token="zd-s3cret", email="a@b.c")
    assert config.http.allowed_hosts == {"acme.zendesk.com"} and "zd-s3cret" not in repr(config)


def test_zendesk_cursor_that_never_ends_is_an_error_not_a_hang(server):
    server.route(ZENDESK_EXPORT, ok(zendesk_export_page([], "same", False, server.url())))
    with pytest.raises(SourceError, match="cursor 'same' twice"):
        sync(zendesk(server), MemoryStateStore(), since=datetime(2026, 10, 1, tzinfo=UTC))
    assert len(server.log(ZENDESK_EXPORT)) == 2
