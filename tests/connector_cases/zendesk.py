"""The Zendesk ticket export case."""

from __future__ import annotations

from datetime import UTC, datetime

from connector_helpers import FakeTime, fast_http
from fixture_server import FixtureServer, ok, server_error, too_many_requests, truncated_json
from fixture_server.zendesk import ZENDESK_EXPORT, zendesk_export_page, zendesk_ticket
from pydantic import SecretStr

from cx_nlp.sources.connectors import ZendeskConfig, ZendeskTicketsStream


class ZendeskCase:
    kind = "zendesk_tickets"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"101", "102", "103", "104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"105"})
    # A rerun with nothing new asks the export once, from the saved cursor.
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server
        self.base = server.url()
        self.first = {"start_time": str(int(self.since.timestamp()))}

    def ticket(self, ticket_id, subject, description, created, updated, **extra) -> dict:
        return zendesk_ticket(
            ticket_id, subject=subject, description=description, created_at=created, updated_at=updated, **extra
        )

    def pages(self) -> tuple[dict, dict]:
        one = zendesk_export_page(
            [
                self.ticket(
                    101,
                    "Refund still missing",
                    "I returned the sofa three weeks ago.",
                    "2026-10-02T09:00:00Z",
                    "2026-10-03T10:00:00Z",
                    tags=("refund",),
                    custom_fields={360001: "returns"},
                ),
                self.ticket(
                    102,
                    "Driver left parcel outside",
                    "It rained all day.",
                    "2026-10-05T08:30:00Z",
                    "2026-10-05T09:00:00Z",
                    channel="web",
                ),
            ],
            "c1",
            False,
            self.base,
        )
        two = zendesk_export_page(
            [
                self.ticket(
                    103,
                    "Wrong colour",
                    "Ordered grey, got beige.",
                    "2026-10-10T12:00:00Z",
                    "2026-10-12T12:00:00Z",
                    status="solved",
                ),
                self.ticket(
                    104,
                    "App crashes at checkout",
                    "Every time I press pay.",
                    "2026-10-20T07:00:00Z",
                    "2026-10-22T16:00:00Z",
                    channel="mobile_sdk",
                ),
            ],
            "c2",
            True,
            self.base,
        )
        return one, two

    def install(self) -> None:
        one, two = self.pages()
        self.server.route(ZENDESK_EXPORT, ok(one), query=self.first)
        self.server.route(ZENDESK_EXPORT, ok(two), query={"cursor": "c1"})
        # At the end of the stream Zendesk hands back a cursor that later polls resume from.
        self.server.route(ZENDESK_EXPORT, ok(zendesk_export_page([], "c2", True, self.base)), query={"cursor": "c2"})

    def make_stream(self, fake: FakeTime, **http) -> ZendeskTicketsStream:
        config = ZendeskConfig(
            base_url=self.base,
            email="bot@acme.example",
            api_token=SecretStr("zd-token"),
            custom_fields={"360001": "product_area"},
            http=fast_http(**http),
        )
        return ZendeskTicketsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = self.ticket(
            105, "Second delivery also late", "Still waiting.", "2026-10-23T10:00:00Z", "2026-10-24T10:00:00Z"
        )
        self.server.route(ZENDESK_EXPORT, ok(zendesk_export_page([new], "c3", True, self.base)), query={"cursor": "c2"})
        self.server.route(ZENDESK_EXPORT, ok(zendesk_export_page([], "c3", True, self.base)), query={"cursor": "c3"})

    def data_requests(self) -> list:
        return self.server.log(ZENDESK_EXPORT)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(ZENDESK_EXPORT, too_many_requests("7"), query=self.first)
        self.server.fail_first(ZENDESK_EXPORT, server_error(503), query={"cursor": "c1"})

    def break_second_page(self) -> str:
        _, two = self.pages()
        self.server.route(ZENDESK_EXPORT, truncated_json(two), query={"cursor": "c1"})
        return "InvalidJSONError"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        tickets = [
            self.ticket(201, "Fine", "A normal ticket.", "2026-10-02T09:00:00Z", "2026-10-02T09:00:00Z"),
            self.ticket(None, "Ghost", "No id at all.", "2026-10-02T09:00:00Z", "2026-10-02T09:05:00Z"),
            self.ticket(202, "", "   ", "2026-10-02T09:00:00Z", "2026-10-02T09:10:00Z"),
            self.ticket(203, "Dated", "Bad created_at.", "yesterday", "2026-10-02T09:15:00Z"),
        ]
        self.server.route(ZENDESK_EXPORT, ok(zendesk_export_page(tickets, "c9", True, self.base)), query=self.first)
        return {"201"}, [
            ("id", "missing id"),
            ("description", "record '202': empty text"),
            ("created_at", "record '203': unparseable date 'yesterday'"),
        ]
