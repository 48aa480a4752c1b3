"""The Freshdesk tickets case."""

from __future__ import annotations

from datetime import UTC, datetime

from connector_helpers import FakeTime, fast_http
from fixture_server import FixtureServer, ok, server_error, too_many_requests, truncated_json
from fixture_server.freshdesk import FRESHDESK_TICKETS, freshdesk_ticket, freshdesk_tickets_query
from pydantic import SecretStr

from cx_nlp.sources.connectors import FreshdeskConfig, FreshdeskTicketsStream


class FreshdeskCase:
    kind = "freshdesk_tickets"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"101", "102", "103", "104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"105"})
    # From the bookmark, one short page holding only the ticket already delivered.
    rerun_requests = 1
    retry_after = 7.0
    per_page = 3

    def __init__(self, server: FixtureServer):
        self.server = server

    def query(self, page: int, updated_since: str = "2026-10-01T00:00:00Z") -> dict[str, str]:
        return freshdesk_tickets_query(updated_since, page, self.per_page)

    def ticket(self, ticket_id, subject, text, created, updated, **extra) -> dict:
        return freshdesk_ticket(
            ticket_id, subject=subject, description_text=text, created_at=created, updated_at=updated, **extra
        )

    def tickets(self) -> list[dict]:
        return [
            self.ticket(
                101,
                "Refund still missing",
                "I returned the sofa three weeks ago.",
                "2026-10-02T09:00:00Z",
                "2026-10-03T10:00:00Z",
                tags=("refund",),
                custom_fields={"cf_product_area": "returns"},
            ),
            self.ticket(102, "Parcel outside", "It rained all day.", "2026-10-05T08:30:00Z", "2026-10-05T09:00:00Z"),
            self.ticket(103, "Wrong colour", "Grey, not beige.", "2026-10-10T12:00:00Z", "2026-10-12T12:00:00Z"),
            self.ticket(
                104, "App crashes", "Every time I press pay.", "2026-10-20T07:00:00Z", "2026-10-22T16:00:00Z", source=7
            ),
        ]

    def install(self) -> None:
        tickets = self.tickets()
        self.server.route(FRESHDESK_TICKETS, ok(tickets[:3]), query=self.query(1))
        self.server.route(FRESHDESK_TICKETS, ok(tickets[3:]), query=self.query(2))
        # Freshdesk's updated_since includes the instant itself: the bookmarked ticket comes back.
        self.server.route(FRESHDESK_TICKETS, ok(tickets[3:]), query=self.query(1, "2026-10-22T16:00:00Z"))

    def make_stream(self, fake: FakeTime, **http) -> FreshdeskTicketsStream:
        config = FreshdeskConfig(
            base_url=self.server.url(),
            api_key=SecretStr("fd-key"),
            per_page=self.per_page,
            custom_fields={"cf_product_area": "product_area"},
            http=fast_http(**http),
        )
        return FreshdeskTicketsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = self.ticket(105, "Late again", "Still waiting.", "2026-10-23T10:00:00Z", "2026-10-24T10:00:00Z")
        self.server.route(FRESHDESK_TICKETS, ok([self.tickets()[3], new]), query=self.query(1, "2026-10-22T16:00:00Z"))

    def data_requests(self) -> list:
        return self.server.log(FRESHDESK_TICKETS)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(FRESHDESK_TICKETS, too_many_requests("7"), query=self.query(1))
        self.server.fail_first(FRESHDESK_TICKETS, server_error(503), query=self.query(2))

    def break_second_page(self) -> str:
        self.server.route(FRESHDESK_TICKETS, truncated_json(self.tickets()[3:]), query=self.query(2))
        return "InvalidJSONError"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        tickets = [
            self.ticket(201, "Fine", "A normal ticket.", "2026-10-02T09:00:00Z", "2026-10-02T09:00:00Z"),
            self.ticket(None, "Ghost", "No id at all.", "2026-10-02T09:00:00Z", "2026-10-02T09:05:00Z"),
            self.ticket(202, "", "   ", "2026-10-02T09:00:00Z", "2026-10-02T09:10:00Z"),
            self.ticket(203, "Dated", "Bad created_at.", "yesterday", "2026-10-02T09:15:00Z"),
        ]
        self.server.route(FRESHDESK_TICKETS, ok(tickets), query=self.query(1))
        self.server.route(FRESHDESK_TICKETS, ok([]), query=self.query(2))
        return {"201"}, [
            ("id", "missing id"),
            ("description_text", "record '202': empty text"),
            ("created_at", "record '203': unparseable date 'yesterday'"),
        ]
