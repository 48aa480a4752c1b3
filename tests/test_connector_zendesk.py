"""Zendesk specifics: cursor paging, ticket fields, credentials and config."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from connector_cases.zendesk import ZendeskCase
from connector_helpers import CONTACT, FakeTime, commit, fast_http, run
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
        # The e-mail's sender, as the ticket's `via.source.from` names them.
        "author": "Jane Doe",
    }
    # A web-form ticket names no sender: no author rather than an empty one.
    assert "author" not in next(r for r in result.records if r.external_id == "102").metadata


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


@pytest.mark.parametrize("generated", ["moved", "unchanged"])
def test_zendesk_ticket_deleted_later_lands_as_a_new_version(server, generated):
    case = ZendeskCase(server)
    case.install()
    store = MemoryStateStore()
    commit(run(case, store), store)

    # Ticket 101 (updated 3 October, long before the bookmark of 22 October) is deleted: Zendesk sends it
    # again with status `deleted` and the same `updated_at`; only `generated_timestamp` may move.
    live = case.pages()[0]["tickets"][0]
    deleted = dict(live, status="deleted")
    if generated == "moved":
        deleted["generated_timestamp"] = int(datetime(2026, 10, 25, 8, tzinfo=UTC).timestamp())
    server.route(ZENDESK_EXPORT, ok(zendesk_export_page([deleted], "c3", True, case.base)), query={"cursor": "c2"})
    later = run(case, store)

    assert [(r.external_id, r.metadata["status"]) for r in later.records] == [("101", "deleted")]
    assert later.already_synced == 0 and later.state["cursor"] == "c3"
    # The bookmark date does not go back.
    assert later.state["replication_key_value"] >= "2026-10-22T16:00:00+00:00"


def test_zendesk_first_load_still_starts_at_since(server):
    case = ZendeskCase(server)
    old = case.ticket(90, "Old", "From September.", "2026-09-01T09:00:00Z", "2026-09-02T09:00:00Z")
    one = case.pages()[0]
    one["tickets"].insert(0, old)
    case.install()
    server.route(ZENDESK_EXPORT, ok(one), query=case.first)
    result = run(case, MemoryStateStore())
    assert "90" not in {r.external_id for r in result.records} and result.already_synced == 1
