"""Web connectors: one contract every connector in CONNECTORS must pass, then each one's specifics and HttpClient.

All HTTP goes to a loopback fixture server; retries and rate limits run on a fake clock, so nothing here
sleeps for real except one deliberate 0.1 s read timeout.
"""

from __future__ import annotations

import base64
import email
import json
import mailbox
import shutil
import tempfile
import weakref
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from fixture_imap import FakeImapServer
from fixture_server import (
    FRESHDESK_TICKETS,
    ZENDESK_EXPORT,
    Canned,
    FixtureServer,
    app_store_app_entry,
    app_store_entry,
    app_store_feed,
    app_store_feed_path,
    freshdesk_conversation,
    freshdesk_ticket,
    freshdesk_tickets_query,
    google_review,
    google_reviews_page,
    google_reviews_path,
    jsonld_review,
    microdata_reviews_page,
    ok,
    plain_reviews_page,
    product_reviews_page,
    robots,
    server_error,
    slow,
    too_many_requests,
    truncated_json,
    trustpilot_review,
    trustpilot_reviews_page,
    trustpilot_reviews_path,
    yelp_review,
    yelp_reviews_page,
    yelp_reviews_path,
    zendesk_export_page,
    zendesk_ticket,
)
from pydantic import SecretStr, ValidationError

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors import (
    CONNECTORS,
    AppStoreConfig,
    AppStoreReviewsStream,
    CfpbComplaintsStream,
    CfpbConfig,
    FreshdeskConfig,
    FreshdeskTicketsStream,
    GoogleBusinessConfig,
    GoogleBusinessReviewsStream,
    ImapConfig,
    ImapStream,
    MboxConfig,
    MboxStream,
    ReviewPagesConfig,
    ReviewPagesStream,
    SurveyConfig,
    SurveyResponsesStream,
    TrustpilotConfig,
    TrustpilotReviewsStream,
    YelpConfig,
    YelpReviewsStream,
    ZendeskConfig,
    ZendeskTicketsStream,
    build_stream,
)
from cx_nlp.sources.connectors import freshdesk as freshdesk_module
from cx_nlp.sources.fields import payload_key
from cx_nlp.sources.http import (
    BasicAuth,
    BearerAuth,
    HostNotAllowedError,
    HttpClient,
    HttpClientConfig,
    HttpError,
    HttpStatusError,
    InvalidJSONError,
    parse_retry_after,
)
from cx_nlp.sources.streams import HttpStream, MemoryStateStore, SourceError, StreamState, SyncResult, sync

CONTACT = "mailto:cx-data@acme.example"


@pytest.fixture
def server():
    with FixtureServer() as running:
        yield running


class FakeTime:
    """Monotonic clock and sleep for HttpClient: sleeping only moves the clock and is recorded."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def options(self) -> dict:
        return {"clock": self.clock, "sleep": self.sleep}


def fast_http(**overrides) -> dict:
    settings = {
        "contact": CONTACT,
        "timeout_s": 2.0,
        "connect_timeout_s": 2.0,
        "max_attempts": 4,
        "backoff_initial_s": 0.5,
        "backoff_max_s": 8.0,
        "backoff_jitter_s": 0.5,
        "retry_after_max_s": 30.0,
        "min_interval_s": 1.0,
    }
    settings.update(overrides)
    return settings


# -- one case per connector: canned data in the source's real shape, and how to break it -------------


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


class ReviewPagesCase:
    kind = "review_pages"
    listing = "/products/sofa-3000/reviews"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset(
        {
            "https://shop.example/reviews/1",
            "https://shop.example/reviews/2",
            "https://shop.example/reviews/3",
            "https://shop.example/reviews/6",
        }
    )
    # Seven on the pages; the one dated before `since` is not delivered.
    expected_count = 6
    expected_bookmark = datetime(2026, 10, 25, tzinfo=UTC)
    new_ids = frozenset({"https://shop.example/reviews/0"})
    # robots.txt (a fresh client each run) and the first page, whose older reviews show nothing new follows.
    rerun_requests = 2
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server

    def review(self, n: int, date: str, body: str, rating: int = 4, **extra) -> dict:
        extra.setdefault("review_id", f"https://shop.example/reviews/{n}")
        return jsonld_review(author=f"Customer {n}", date=date, body=body, rating=rating, **extra)

    def page_one(self, newest: list[dict] | None = None) -> str:
        reviews = [
            self.review(1, "2026-10-25", "Cushions flattened within a month.", 2),
            self.review(2, "2026-10-24", "Delivery team were brilliant."),
            self.review(3, "2026-10-22", "Colour is not as pictured.", 3),
        ]
        return product_reviews_page("Sofa 3000", (newest or []) + reviews, next_href=f"{self.listing}?page=2")

    def install(self) -> None:
        self.server.route("/robots.txt", robots("/private/", "/account/"))
        self.server.route(self.listing, ok(self.page_one()), query={})
        page_two = [
            self.review(4, "2026-10-20", "Assembly instructions were missing.", 1, review_id=None, url="/reviews/4"),
            self.review(5, "2026-10-18", "Great value for the price.", 5, review_id=None),
        ]
        self.server.route(
            self.listing,
            ok(product_reviews_page("Sofa 3000", page_two, next_href=f"{self.listing}?page=3", graph=True)),
            query={"page": "2"},
        )
        page_three = [
            self.review(6, "2026-10-15", "Customer service never called back.", 1),
            self.review(7, "2026-09-12", "Sturdy frame.", 5),
        ]
        self.server.route(self.listing, ok(product_reviews_page("Sofa 3000", page_three)), query={"page": "3"})

    def make_stream(self, fake: FakeTime, **http) -> ReviewPagesStream:
        config = ReviewPagesConfig(
            start_url=self.server.url(self.listing),
            http=fast_http(allowed_hosts=["127.0.0.1"], **http),
        )
        return ReviewPagesStream(config, **fake.options())

    def add_new_item(self) -> None:
        newest = [self.review(0, "2026-10-27", "Leg snapped on day one.", 1)]
        self.server.route(self.listing, ok(self.page_one(newest)), query={})

    def data_requests(self) -> list:
        return self.server.log(self.listing)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(self.listing, too_many_requests("7"), query={})
        self.server.fail_first(self.listing, server_error(502), query={"page": "2"})

    def break_second_page(self) -> str:
        self.server.route(self.listing, server_error(500), query={"page": "2"})
        return "HTTP 500 after 4 attempts"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        self.server.route("/robots.txt", robots("/private/"))
        reviews = [
            self.review(11, "2026-10-20", "Fine sofa."),
            jsonld_review(
                author="No Words", date="2026-10-19", body=None, rating=3, review_id="https://shop.example/r/12"
            ),
            jsonld_review(
                author="No Date", date=None, body="When was this?", rating=3, review_id="https://shop.example/r/13"
            ),
            jsonld_review(author="Bad Date", date="last Tuesday", body="Hmm.", review_id="https://shop.example/r/14"),
            jsonld_review(
                author="Too Keen", date="2026-10-18", body="Ten stars!", rating=9, review_id="https://shop.example/r/15"
            ),
        ]
        self.server.route(self.listing, ok(product_reviews_page("Sofa 3000", reviews)), query={})
        return {"https://shop.example/reviews/11"}, [
            ("body", "record 'https://shop.example/r/12': empty text"),
            ("date_published", "record 'https://shop.example/r/13': unparseable date None"),
            ("date_published", "record 'https://shop.example/r/14': unparseable date 'last Tuesday'"),
            ("rating", "record 'https://shop.example/r/15': rating 9 outside 1..5"),
        ]


class GoogleBusinessCase:
    kind = "google_business_reviews"
    account, location = "1234567890", "9876543210"
    path = google_reviews_path(account, location)
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"g1", "g2", "g3", "g4"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"g0"})
    # Page one already reaches reviews updated before the bookmark.
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server
        self.first = {"pageSize": "50", "orderBy": "updateTime desc"}
        self.second = {**self.first, "pageToken": "tok-2"}

    def review(self, review_id, comment, star, created, updated=None, **extra) -> dict:
        return google_review(
            review_id,
            comment=comment,
            star=star,
            create_time=created,
            update_time=updated,
            account=self.account,
            location=self.location,
            **extra,
        )

    def page_one(self, newest: list[dict] | None = None) -> dict:
        reviews = [
            self.review("g1", "Checkout queue took 25 minutes.", "TWO", "2026-10-22T15:58:00Z", "2026-10-22T16:00:00Z"),
            self.review("g2", "Friendly staff.", "FIVE", "2026-10-20T11:00:00.123456789Z", reply="Thank you!"),
            self.review("g3", "Car park is always full.", "THREE", "2026-10-15T09:30:00Z"),
        ]
        return google_reviews_page((newest or []) + reviews, "tok-2")

    def page_two(self) -> dict:
        reviews = [
            self.review("g4", "Returned a kettle without a receipt, no fuss.", "FOUR", "2026-10-08T13:00:00Z"),
            self.review("g5", "Rude at the till.", "ONE", "2026-09-20T10:00:00Z", "2026-09-21T10:00:00Z"),
        ]
        # A token is still offered, but g5 predates the run: nothing newer can follow.
        return google_reviews_page(reviews, "tok-3")

    def install(self) -> None:
        self.server.route(self.path, ok(self.page_one()), query=self.first)
        self.server.route(self.path, ok(self.page_two()), query=self.second)

    def make_stream(self, fake: FakeTime, **http) -> GoogleBusinessReviewsStream:
        config = GoogleBusinessConfig(
            base_url=self.server.url(),
            account_id=self.account,
            location_id=self.location,
            oauth_token=SecretStr("ya29.test-token"),
            http=fast_http(**http),
        )
        return GoogleBusinessReviewsStream(config, **fake.options())

    def add_new_item(self) -> None:
        newest = [self.review("g0", "Self-checkout broken again.", "ONE", "2026-10-24T09:00:00Z")]
        self.server.route(self.path, ok(self.page_one(newest)), query=self.first)

    def data_requests(self) -> list:
        return self.server.log(self.path)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(self.path, too_many_requests("7"), query=self.first)
        self.server.fail_first(self.path, server_error(503), query=self.second)

    def break_second_page(self) -> str:
        self.server.route(self.path, truncated_json(self.page_two()), query=self.second)
        return "InvalidJSONError"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        reviews = [
            self.review("g-ok", "Lovely bakery counter.", "FIVE", "2026-10-20T09:00:00Z"),
            self.review(None, "Who am I?", "FOUR", "2026-10-19T09:00:00Z"),
            self.review("g-star", None, "FOUR", "2026-10-18T09:00:00Z"),
            self.review("g-date", "When?", "TWO", "last week", "2026-10-17T09:00:00Z"),
            self.review("g-word", "Ten out of ten.", "TEN", "2026-10-16T09:00:00Z"),
        ]
        self.server.route(self.path, ok(google_reviews_page(reviews)), query=self.first)
        return {"g-ok"}, [
            ("reviewId", "missing id"),
            ("comment", "record 'g-star': empty text"),
            ("createTime", "record 'g-date': unparseable date 'last week'"),
            ("starRating", "record 'g-word': starRating 'TEN' is not one of ONE..FIVE"),
        ]


class YelpCase:
    kind = "yelp_reviews"
    business = "acme-coffee-roasters-san-francisco"
    path = yelp_reviews_path(business)
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"y1", "y2", "y3", "y4"})
    expected_count = 4
    # 14:03 Pacific daylight time.
    expected_bookmark = datetime(2026, 10, 21, 21, 3, tzinfo=UTC)
    new_ids = frozenset({"y0"})
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server
        self.first = {"limit": "3", "offset": "0", "sort_by": "newest"}
        self.second = {"limit": "3", "offset": "3", "sort_by": "newest"}

    def reviews(self) -> list[dict]:
        return [
            yelp_review("y1", text="Cold brew was watery and the...", rating=2, time_created="2026-10-21 14:03:00"),
            yelp_review("y2", text="Best flat white in SoMa, hands...", rating=5, time_created="2026-10-18 09:00:00"),
            yelp_review("y3", text="Waited 20 minutes for a mocha...", rating=2, time_created="2026-10-12 20:30:00"),
            yelp_review("y4", text="Pastries sold out by 10am again...", rating=3, time_created="2026-10-05 07:45:00"),
            yelp_review("y5", text="Lovely staff.", rating=5, time_created="2026-09-28 12:00:00"),
            yelp_review("y6", text="Too loud to work here.", rating=3, time_created="2026-09-20 18:00:00"),
        ]

    def install(self) -> None:
        reviews = self.reviews()
        self.server.route(self.path, ok(yelp_reviews_page(reviews[:3], 8)), query=self.first)
        # y5 predates `since`, so offset 6 is never asked for.
        self.server.route(self.path, ok(yelp_reviews_page(reviews[3:], 8)), query=self.second)

    def make_stream(self, fake: FakeTime, **http) -> YelpReviewsStream:
        config = YelpConfig(
            base_url=self.server.url(),
            business_id=self.business,
            api_key=SecretStr("yelp-key"),
            page_size=3,
            http=fast_http(**http),
        )
        return YelpReviewsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = yelp_review("y0", text="Card machine down, cash only.", rating=1, time_created="2026-10-25 10:00:00")
        self.server.route(self.path, ok(yelp_reviews_page([new, *self.reviews()[:2]], 9)), query=self.first)

    def data_requests(self) -> list:
        return self.server.log(self.path)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(self.path, too_many_requests("7"), query=self.first)
        self.server.fail_first(self.path, server_error(503), query=self.second)

    def break_second_page(self) -> str:
        self.server.route(self.path, server_error(502), query=self.second)
        return "HTTP 502 after 4 attempts"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        reviews = [
            yelp_review("y-ok", text="Great beans.", rating=5, time_created="2026-10-20 08:00:00"),
            yelp_review(None, text="Anonymous?", rating=4, time_created="2026-10-19 08:00:00"),
            yelp_review("y-empty", text="", rating=4, time_created="2026-10-18 08:00:00"),
            yelp_review("y-date", text="Hmm.", rating=3, time_created="yesterday"),
            yelp_review("y-six", text="Six stars!", rating=6, time_created="2026-10-17 08:00:00"),
        ]
        self.server.route(self.path, ok(yelp_reviews_page(reviews, len(reviews))), query=self.first)
        return {"y-ok"}, [
            ("id", "missing id"),
            ("text", "record 'y-empty': empty text"),
            ("time_created", "record 'y-date': unparseable date 'yesterday'"),
            ("rating", "record 'y-six': rating 6 outside 1..5"),
        ]


class TrustpilotCase:
    kind = "trustpilot_reviews"
    unit = "5f1e2d3c4b5a697887766554"
    path = trustpilot_reviews_path(unit)
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"t1", "t2", "t3", "t4"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 23, 8, 15, tzinfo=UTC)
    new_ids = frozenset({"t0"})
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server

    def query(self, page: int) -> dict:
        return {"page": str(page), "perPage": "100", "orderBy": "createdat.desc"}

    def href(self, page: int) -> str:
        return self.server.url(f"{self.path}?page={page}&perPage=100&orderBy=createdat.desc")

    def page_one(self, newest: list[dict] | None = None) -> dict:
        reviews = [
            trustpilot_review(
                "t1", stars=1, title="Late again", text="Third delivery slot missed.", created_at="2026-10-23T08:15:00Z"
            ),
            trustpilot_review(
                "t2",
                stars=5,
                title="Smooth return",
                text="Label by email, refund in two days.",
                created_at="2026-10-19T12:00:00.000Z",
                updated_at="2026-10-20T09:00:00Z",
                reply="Glad to hear it!",
            ),
            trustpilot_review(
                "t3", stars=3, title="OK", text="Sofa fine, assembly guide poor.", created_at="2026-10-14T17:40:00Z"
            ),
        ]
        return trustpilot_reviews_page((newest or []) + reviews, next_href=self.href(2))

    def page_two(self) -> dict:
        reviews = [
            trustpilot_review(
                "t4", stars=2, title="Damaged", text="Lamp shade crushed.", created_at="2026-10-06T10:00:00Z"
            ),
            trustpilot_review("t5", stars=4, title="Good", text="Nice rug.", created_at="2026-09-25T10:00:00Z"),
        ]
        return trustpilot_reviews_page(reviews, next_href=self.href(3), prev_href=self.href(1))

    def install(self) -> None:
        self.server.route(self.path, ok(self.page_one()), query=self.query(1))
        self.server.route(self.path, ok(self.page_two()), query=self.query(2))

    def make_stream(self, fake: FakeTime, **http) -> TrustpilotReviewsStream:
        config = TrustpilotConfig(
            base_url=self.server.url(),
            business_unit_id=self.unit,
            api_key=SecretStr("tp-key"),
            http=fast_http(**http),
        )
        return TrustpilotReviewsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = trustpilot_review(
            "t0", stars=1, title="Never arrived", text="Order 5531 lost.", created_at="2026-10-26T07:00:00Z"
        )
        self.server.route(self.path, ok(self.page_one([new])), query=self.query(1))

    def data_requests(self) -> list:
        return self.server.log(self.path)

    def inject_transient_faults(self) -> None:
        self.server.fail_first(self.path, too_many_requests("7"), query=self.query(1))
        self.server.fail_first(self.path, server_error(503), query=self.query(2))

    def break_second_page(self) -> str:
        self.server.route(self.path, truncated_json(self.page_two()), query=self.query(2))
        return "InvalidJSONError"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        reviews = [
            trustpilot_review("t-ok", stars=4, title="Fine", text="All good.", created_at="2026-10-20T08:00:00Z"),
            trustpilot_review(None, stars=4, title="Ghost", text="No id.", created_at="2026-10-19T08:00:00Z"),
            trustpilot_review("t-empty", stars=2, title=None, text="  ", created_at="2026-10-18T08:00:00Z"),
            trustpilot_review("t-date", stars=3, title="Odd", text="Bad date.", created_at="2026-13-45T00:00:00Z"),
            trustpilot_review("t-zero", stars=0, title="Zero", text="No stars.", created_at="2026-10-17T08:00:00Z"),
        ]
        self.server.route(self.path, ok(trustpilot_reviews_page(reviews)), query=self.query(1))
        return {"t-ok"}, [
            ("id", "missing id"),
            ("text", "record 't-empty': empty text"),
            ("createdAt", "record 't-date': unparseable date '2026-13-45T00:00:00Z'"),
            ("stars", "record 't-zero': rating 0 outside 1..5"),
        ]


class AppStoreCase:
    kind = "app_store_reviews"
    app_id, country = "1234567890", "gb"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"11001", "11002", "11003", "11004"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 21, 14, 12, 33, tzinfo=UTC)
    new_ids = frozenset({"11000"})
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server

    def path(self, page: int) -> str:
        return app_store_feed_path(self.country, self.app_id, page)

    def feed(self, entries: list[dict], page: int) -> dict:
        return app_store_feed(entries, page=page, app_id=self.app_id, country=self.country, base=self.server.url())

    def page_one(self, newest: list[dict] | None = None) -> dict:
        entries = [
            app_store_entry(
                "11001", rating="1", title="Crashes", content="Dies at checkout.", updated="2026-10-21T07:12:33-07:00"
            ),
            app_store_entry(
                "11002", rating="4", title="Handy", content="Tracking works.", updated="2026-10-17T22:05:00-07:00"
            ),
            app_store_entry("11003", rating="2", title="Slow", content=None, updated="2026-10-11T09:00:00-07:00"),
        ]
        return self.feed((newest or []) + entries, 1)

    def install(self) -> None:
        self.server.route(self.path(1), ok(self.page_one()))
        # One review on a page: the feed gives `entry` as an object, not a list.
        lone = app_store_entry(
            "11004", rating="5", title="Love it", content="So easy.", updated="2026-10-03T10:00:00-07:00"
        )
        self.server.route(self.path(2), ok(self.feed([lone], 2)))
        # Past the end the feed still answers, with no `entry` at all.
        self.server.route(self.path(3), ok(self.feed([], 3)))

    def make_stream(self, fake: FakeTime, **http) -> AppStoreReviewsStream:
        config = AppStoreConfig(
            base_url=self.server.url(), app_id=self.app_id, country=self.country, http=fast_http(**http)
        )
        return AppStoreReviewsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = app_store_entry(
            "11000", rating="1", title="Logged out", content="Logs me out.", updated="2026-10-26T08:00:00-07:00"
        )
        self.server.route(self.path(1), ok(self.page_one([new])))

    def data_requests(self) -> list:
        return self.server.log(f"/{self.country}/rss/customerreviews/")

    def inject_transient_faults(self) -> None:
        self.server.fail_first(self.path(1), too_many_requests("7"))
        self.server.fail_first(self.path(2), server_error(503))

    def break_second_page(self) -> str:
        self.server.route(self.path(2), server_error(500))
        return "HTTP 500 after 4 attempts"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        entries = [
            app_store_entry("a-ok", rating="5", title="Great", content="Works.", updated="2026-10-20T08:00:00-07:00"),
            app_store_entry(None, rating="4", title="Who", content="No id.", updated="2026-10-19T08:00:00-07:00"),
            app_store_entry("a-empty", rating="3", title=None, content=None, updated="2026-10-18T08:00:00-07:00"),
            app_store_entry("a-date", rating="3", title="When", content="Bad date.", updated="last week"),
            app_store_entry("a-seven", rating="7", title="Wow", content="Seven!", updated="2026-10-17T08:00:00-07:00"),
        ]
        self.server.route(self.path(1), ok(self.feed(entries, 1)))
        self.server.route(self.path(2), ok(self.feed([], 2)))
        return {"a-ok"}, [
            ("id.label", "missing id"),
            ("content.label", "record 'a-empty': empty text"),
            ("updated.label", "record 'a-date': unparseable date 'last week'"),
            ("im:rating.label", "record 'a-seven': rating '7' outside 1..5"),
        ]


# -- feedback sources beyond the web APIs: Freshdesk over HTTP, e-mail, CFPB and survey exports -------

FIXTURES = Path(__file__).parent / "fixtures"


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


def mail(message_id: str | None, date: str, body: str, *, subject: str = "Complaint", attachment_only=False) -> bytes:
    """A small RFC 5322 message; `attachment_only` sends nothing but a PDF."""
    headers = [f"Message-ID: <{message_id}>"] if message_id else []
    headers += [f"Date: {date}", "From: A Customer <customer@mail.example>", "To: complaints@acme.example"]
    headers += [f"Subject: {subject}", "MIME-Version: 1.0"]
    if attachment_only:
        headers.append('Content-Type: multipart/mixed; boundary="b"')
        content = (
            '--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="scan.pdf"\n'
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
        )
    else:
        headers.append("Content-Type: text/plain; charset=utf-8")
        content = body + "\n"
    return ("\n".join(headers) + "\n\n" + content).encode()


def bad_mails() -> tuple[set[str], list[tuple[str, str]], list[bytes]]:
    messages = [
        mail("b11@mail.example", "Fri, 02 Oct 2026 09:00:00 +0000", "A normal complaint."),
        mail("b12@mail.example", "Fri, 02 Oct 2026 10:00:00 +0000", "", attachment_only=True),
        mail("b13@mail.example", "yesterday", "When was this?"),
    ]
    return (
        {"b11@mail.example"},
        [
            ("body", "record 'b12@mail.example': empty text"),
            ("date", "record 'b13@mail.example': unparseable date 'yesterday'"),
        ],
        messages,
    )


class _ExportCase:
    """A case whose source is a file: copied to a private folder, so each case can change its own."""

    fixture: str
    # Nothing goes over the network: a rerun sends no request at all.
    rerun_requests = 0
    retry_after = 0.0

    def __init__(self, server: FixtureServer):
        self.server = server
        folder = Path(tempfile.mkdtemp(prefix="cx-export-case-"))
        weakref.finalize(self, shutil.rmtree, folder, True)
        self.export_file = folder / self.fixture

    def install(self) -> None:
        shutil.copyfile(FIXTURES / self.fixture, self.export_file)

    def data_requests(self) -> list:
        return []

    def inject_transient_faults(self) -> None:
        raise AssertionError("file sources have no transient faults to inject")


class MboxCase(_ExportCase):
    kind = "email_mbox"
    fixture = "complaints.mbox"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset(
        {"c1.refund@mail.example", "c2.html@mail.example", "c3.attachment@mail.example", "c4.app@mail.example"}
    )
    # Plus one without a Message-ID, keyed by hash; the September message is before `since`.
    expected_count = 5
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"c5.new@mail.example"})

    def make_stream(self, fake: FakeTime, **http) -> MboxStream:
        return MboxStream(MboxConfig(path=self.export_file))

    def add_new_item(self) -> None:
        box = mailbox.mbox(self.export_file)
        box.add(mail("c5.new@mail.example", "Sat, 24 Oct 2026 10:00:00 +0000", "Second delivery also late."))
        box.close()

    def break_second_page(self) -> str:
        self.export_file.unlink()
        return "mbox file not found"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        good, problems, messages = bad_mails()
        self.export_file.unlink()
        box = mailbox.mbox(self.export_file)
        for message in messages:
            box.add(message)
        box.close()
        return good, problems


class ImapCase:
    kind = "email_imap"
    since = MboxCase.since
    expected_ids = MboxCase.expected_ids
    expected_count = MboxCase.expected_count
    expected_bookmark = MboxCase.expected_bookmark
    new_ids = MboxCase.new_ids
    # CAPABILITY, LOGIN, EXAMINE, UID SEARCH and LOGOUT: no UID FETCH when no UID is new.
    rerun_requests = 5
    retry_after = 0.0

    def __init__(self, server: FixtureServer):
        self.server = server
        # Logs into the HTTP fixture's request log, so the contract reads IMAP traffic the same way.
        self.imap = FakeImapServer(server.requests).start()
        weakref.finalize(self, self.imap.stop)

    def install(self) -> None:
        self.imap.reset()
        box = mailbox.mbox(FIXTURES / "complaints.mbox", create=False)
        messages = [box.get_bytes(key) for key in box.iterkeys()]
        box.close()
        # UIDs in arrival order; the arrival (INTERNALDATE) is the Date header here.
        dated = sorted((parsedate_to_datetime(email.message_from_bytes(m)["Date"]), m) for m in messages)
        for uid, (when, message) in enumerate(dated, start=1):
            self.imap.add(uid, when, message)

    def make_stream(self, fake: FakeTime, **http) -> ImapStream:
        config = ImapConfig(
            host="127.0.0.1", port=self.imap.port, ssl=False, user=SecretStr("cx-bot"), password=SecretStr("imap-pw")
        )
        return ImapStream(config)

    def add_new_item(self) -> None:
        when = datetime(2026, 10, 24, 10, tzinfo=UTC)
        self.imap.add(max(self.imap.messages) + 1, when, mail("c5.new@mail.example", format_datetime(when), "Late."))

    def data_requests(self) -> list:
        return self.server.log("IMAP UID")

    def inject_transient_faults(self) -> None:
        raise AssertionError("IMAP reads do not go through HttpClient")

    def break_second_page(self) -> str:
        self.imap.fail_fetch = True
        return "UID FETCH 2:6 failed: [UNAVAILABLE]"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        good, problems, messages = bad_mails()
        self.imap.reset()
        for uid, message in enumerate(messages, start=1):
            self.imap.add(uid, datetime(2026, 10, 2, 9 + uid, tzinfo=UTC), message)
        return good, problems


CFPB_HEADER = FIXTURES.joinpath("cfpb_complaints.csv").read_text().splitlines()[0]


def cfpb_row(complaint_id: str, received: str, narrative: str, company: str = "ACME BANK, N.A.") -> str:
    quoted = '"' + narrative.replace('"', '""') + '"'
    return (
        f'{received},Credit card,Store credit card,Fees or interest,Problem with fees,{quoted},,"{company}",OH,'
        f"432XX,,Consent provided,Web,{received},Closed with explanation,Yes,N/A,{complaint_id}"
    )


class CfpbCase(_ExportCase):
    kind = "cfpb_complaints"
    fixture = "cfpb_complaints.csv"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    # 9100199 is about another company; 9100090 was received before `since`.
    expected_ids = frozenset({"9100101", "9100102", "9100103", "9100104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, tzinfo=UTC)
    new_ids = frozenset({"9100105"})

    def make_stream(self, fake: FakeTime, **http) -> CfpbComplaintsStream:
        return CfpbComplaintsStream(CfpbConfig(path=self.export_file, companies=["Acme Bank, N.A."]))

    def add_new_item(self) -> None:
        with self.export_file.open("a") as handle:
            handle.write(cfpb_row("9100105", "10/24/2026", "Fee charged twice.") + "\n")

    def break_second_page(self) -> str:
        # A download cut off inside a quoted narrative.
        text = self.export_file.read_text()
        self.export_file.write_text(text[: text.index("without asking me")])
        return "malformed CSV"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        rows = [
            cfpb_row("9100201", "10/02/2026", "A late fee on a payment made on time."),
            cfpb_row("9100202", "10/02/2026", ""),
            cfpb_row("9100203", "13/45/2026", "Bad date."),
            cfpb_row("", "10/03/2026", "No complaint id."),
        ]
        self.export_file.write_text("\n".join([CFPB_HEADER, *rows]) + "\n")
        return {"9100201"}, [
            ("complaint_what_happened", "record '9100202': empty text"),
            ("date_received", "record '9100203': unparseable date '13/45/2026'"),
            ("complaint_id", "missing id"),
        ]


class SurveyCase(_ExportCase):
    kind = "survey_responses"
    fixture = "survey_nps.csv"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"r-101", "r-102", "r-103", "r-104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"r-105"})

    def make_stream(self, fake: FakeTime, **http) -> SurveyResponsesStream:
        return SurveyResponsesStream(SurveyConfig(path=self.export_file, score_type="nps", metadata=["touchpoint"]))

    def add_new_item(self) -> None:
        with self.export_file.open("a") as handle:
            handle.write("r-105,2026-10-24T10:00:00Z,0,Never again.,delivery\n")

    def break_second_page(self) -> str:
        self.export_file.unlink()
        return "survey export not found"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        self.export_file.write_text(
            "response_id,submitted_at,score,comment,touchpoint\n"
            "r-201,2026-10-02T09:00:00Z,6,Slow refund.,support\n"
            "r-202,2026-10-02T09:00:00Z,11,Off the scale.,support\n"
            "r-203,2026-10-02T09:00:00Z,8,,support\n"
            "r-204,2026-10-02T09:00:00Z,ten,Not a number.,support\n"
        )
        return {"r-201"}, [
            ("score", "record 'r-202': rating '11' outside 0..10"),
            ("comment", "record 'r-203': empty text"),
            ("score", "record 'r-204': rating 'ten' is not a number"),
        ]


CASES = {ZendeskCase.kind: ZendeskCase, ReviewPagesCase.kind: ReviewPagesCase}
CASES.update({c.kind: c for c in (GoogleBusinessCase, YelpCase, TrustpilotCase, AppStoreCase)})
CASES.update({c.kind: c for c in (FreshdeskCase, MboxCase, ImapCase, CfpbCase, SurveyCase)})


def test_every_registered_connector_has_a_contract_case():
    assert set(CASES) == set(CONNECTORS)


@pytest.fixture(params=sorted(CONNECTORS))
def case(request, server):
    chosen = CASES[request.param](server)
    chosen.install()
    return chosen


@pytest.fixture(params=sorted(kind for kind, cls in CONNECTORS.items() if issubclass(cls, HttpStream)))
def http_case(request, server):
    """The connectors that read over HTTP: the ones the retry and Retry-After contract applies to."""
    chosen = CASES[request.param](server)
    chosen.install()
    return chosen


def run(case, store: MemoryStateStore, fake: FakeTime | None = None, **http) -> SyncResult:
    stream = case.make_stream(fake or FakeTime(), **http)
    try:
        return sync(stream, store, since=case.since)
    finally:
        stream.close()


def reads_http(case) -> bool:
    return issubclass(CONNECTORS[case.kind], HttpStream)


def export_path(case) -> Path | None:
    """The file a file-source case reads; None for cases served by a loopback server."""
    return getattr(case, "export_file", None)


def commit(result: SyncResult, store: MemoryStateStore) -> None:
    """What the pipeline does after writing the rows: only then move the bookmark."""
    store.set(result.stream, result.state)


# -- the contract -----------------------------------------------------------------------------------


def test_contract_declares_stream_shape(case):
    cls = CONNECTORS[case.kind]
    assert cls.name == case.kind
    assert cls.primary_keys and cls.replication_key
    for column in (*cls.primary_keys, cls.replication_key):
        assert column.split(".")[0] in cls.schema["properties"]


def test_contract_full_load(case):
    store = MemoryStateStore()
    result = run(case, store)

    ids = [r.external_id for r in result.records]
    assert len(ids) == case.expected_count == len(set(ids))
    assert case.expected_ids <= set(ids)
    assert result.quarantined == []
    for raw in result.raw:
        assert raw.source == case.kind and raw.record_key == payload_key(raw.payload)
    assert [r.position for r in result.raw] == list(range(1, len(result.raw) + 1))
    assert {r.raw_record_key for r in result.records} == {r.record_key for r in result.raw}
    assert all(isinstance(r, SourceRecord) and r.text and r.created_at.tzinfo for r in result.records)
    assert StreamState.from_dict(result.state).bookmark == case.expected_bookmark
    # sync hands the bookmark back; saving it is the caller's move, after the commit.
    assert store.get(case.kind) is None


def test_contract_incremental_rerun_fetches_nothing_new_twice(case, server):
    store = MemoryStateStore()
    first = run(case, store)
    commit(first, store)
    full_requests = len(case.data_requests())

    logs, results = [], []
    for _ in range(2):
        server.clear_log()
        result = run(case, store)
        commit(result, store)
        logs.append([(r.path, r.query) for r in server.requests])
        results.append(result)
    assert all(r.raw == [] for r in results)
    assert logs[0] == logs[1]
    assert len(logs[0]) == case.rerun_requests
    # A file is read whole every run; only a networked source can ask for less.
    if export_path(case) is None:
        assert len(case.data_requests()) < full_requests

    case.add_new_item()
    newer = run(case, store)
    commit(newer, store)
    assert {r.external_id for r in newer.records} == case.new_ids

    keys = [r.record_key for res in (first, *results, newer) for r in res.raw]
    assert len(keys) == len(set(keys)), "a record was delivered twice"
    ids = [r.external_id for res in (first, *results, newer) for r in res.records]
    assert len(ids) == len(set(ids))


def test_contract_recovers_from_429_and_5xx_without_losing_records(http_case, server):
    case = http_case
    clean = run(case, MemoryStateStore())
    server.clear_log()
    case.install()
    case.inject_transient_faults()

    fake = FakeTime()
    result = run(case, MemoryStateStore(), fake)

    assert sorted(r.external_id for r in result.records) == sorted(r.external_id for r in clean.records)
    assert case.retry_after in fake.sleeps  # Retry-After honoured, not replaced by backoff
    targets = [r.target for r in case.data_requests()]
    assert len(targets) == len(set(targets)) + 2  # exactly the two failed requests were repeated


def test_contract_failure_midway_raises_source_error_and_keeps_state(case):
    store = MemoryStateStore()
    expected = case.break_second_page()

    with pytest.raises(SourceError) as failure:
        run(case, store)
    assert failure.value.stream == case.kind
    assert expected in str(failure.value) and str(export_path(case) or "127.0.0.1") in str(failure.value)
    assert store.get(case.kind) is None

    case.install()
    recovered = run(case, store)
    assert len(recovered.records) == case.expected_count


def test_contract_bad_records_are_quarantined_with_field_and_reason(case):
    good_ids, problems = case.install_bad_records()
    result = run(case, MemoryStateStore())

    assert {r.external_id for r in result.records} == good_ids
    found = [(q.field, q.reason) for q in result.quarantined]
    assert len(found) == len(problems)
    for (field, reason), (want_field, want_reason) in zip(found, problems):
        assert field == want_field and want_reason in reason
    assert all(isinstance(q, QuarantinedRecord) and q.source == case.kind and q.payload for q in result.quarantined)
    # Quarantined rows are still raw rows: nothing the source sent is dropped.
    assert len(result.raw) == len(result.records) + len(result.quarantined)


# -- Zendesk specifics ------------------------------------------------------------------------------


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


def test_build_stream_validates_config_by_kind(server):
    stream = build_stream("zendesk_tickets", {"base_url": server.url()})
    assert isinstance(stream, ZendeskTicketsStream)
    stream.close()
    with pytest.raises(ValueError, match="unknown connector kind 'trustpilot'"):
        build_stream("trustpilot", {})


# -- review page specifics --------------------------------------------------------------------------


def scraper(server: FixtureServer, path: str, fake: FakeTime | None = None, **config) -> ReviewPagesStream:
    values = {"start_url": server.url(path), "http": fast_http(allowed_hosts=["127.0.0.1"])}
    values.update(config)
    return ReviewPagesStream(ReviewPagesConfig(**values), **(fake or FakeTime()).options())


def test_scraper_reads_json_ld_product_reviews_and_graph(server):
    case = ReviewPagesCase(server)
    case.install()
    result = run(case, MemoryStateStore())

    by_id = {r.external_id: r for r in result.records}
    assert by_id["https://shop.example/reviews/1"].rating == 2.0
    assert by_id["https://shop.example/reviews/1"].metadata["item_reviewed"] == "Sofa 3000"
    assert by_id[server.url("/reviews/4")].text == "Assembly instructions were missing."
    hashed = [i for i in by_id if i.startswith("sha256:")]
    assert len(hashed) == 1
    assert by_id[hashed[0]].metadata["extraction"] == "json-ld"
    # The AggregateRating (3.4 over 120 reviews) is not a review.
    assert all(r.rating != 3.4 for r in result.records)
    # The review from before `since` sits on the last page and is not delivered.
    assert "https://shop.example/reviews/7" not in by_id and result.already_synced == 1


def test_scraper_hash_id_is_stable_when_a_review_moves_page(server):
    review = jsonld_review(author="Ann", date="2026-10-10", body="No id on this one.", rating=4)
    server.route("/robots.txt", Canned(404, "not found"))
    server.route("/r", ok(product_reviews_page("Lamp", [review])))
    before = sync(scraper(server, "/r"), MemoryStateStore())
    others = [jsonld_review(author=f"P{n}", date="2026-10-11", body=f"new {n}", review_id=f"x{n}") for n in range(2)]
    server.route("/r", ok(product_reviews_page("Lamp", others, next_href="/r?page=2")), query={})
    server.route("/r", ok(product_reviews_page("Lamp", [review])), query={"page": "2"})
    after = sync(scraper(server, "/r"), MemoryStateStore())

    old_id = before.records[0].external_id
    assert old_id.startswith("sha256:") and old_id in {r.external_id for r in after.records}


def test_scraper_falls_back_to_microdata(server):
    server.route("/robots.txt", robots())
    reviews = [
        {"author": "Bea", "date": "2026-10-12", "rating": 2, "body": "Queue was out of the door."},
        {"author": "Cal", "date": "2026-10-11", "rating": 5, "body": "Staff sorted my <b>refund</b> quickly."},
    ]
    server.route("/store/leeds", ok(microdata_reviews_page("Acme Leeds", reviews)))
    result = sync(scraper(server, "/store/leeds"), MemoryStateStore())

    assert [(r.text, r.rating, r.created_at.day) for r in result.records] == [
        ("Queue was out of the door.", 2.0, 12),
        ("Staff sorted my refund quickly.", 5.0, 11),
    ]
    assert {r.metadata["item_reviewed"] for r in result.records} == {"Acme Leeds"}
    assert [r.payload["author"] for r in result.raw] == ["Bea", "Cal"]
    assert {r.payload["extraction"] for r in result.raw} == {"microdata"}


def test_scraper_css_selector_fallback_and_configured_next_link(server):
    server.route("/robots.txt", robots())
    page1 = [{"id": "a1", "author": "Dee", "date": "2026-10-05", "rating": 1, "body": "Broken on arrival."}]
    page2 = [{"id": "a2", "author": "Eli", "date": "2026-10-04", "rating": 4, "body": "Good after the swap."}]
    server.route("/shop/reviews", ok(plain_reviews_page(page1, next_href="/shop/reviews/older")))
    server.route("/shop/reviews/older", ok(plain_reviews_page(page2)))
    selectors = {
        "item": "li.review",
        "body": ".text",
        "date": ".when",
        "rating": ".stars",
        "author": ".who",
        "id_attribute": "data-review-id",
    }
    stream = scraper(server, "/shop/reviews", selectors=selectors, next_selector="a.pager-next")
    result = sync(stream, MemoryStateStore())

    assert [(r.external_id, r.text, r.rating) for r in result.records] == [
        ("a1", "Broken on arrival.", 1.0),
        ("a2", "Good after the swap.", 4.0),
    ]


def test_scraper_stops_when_pages_loop(server):
    server.route("/robots.txt", robots())
    one = [jsonld_review(author="F", date="2026-10-09", body="first", review_id="r1")]
    two = [jsonld_review(author="G", date="2026-10-08", body="second", review_id="r2")]
    server.route("/loop", ok(product_reviews_page("Loop", one, next_href="/loop?page=2")), query={})
    # Page 2 links "back" to page 1 under another URL, whose next link carries a tracking parameter:
    # only recognising the reviews as already read stops the walk.
    server.route("/loop", ok(product_reviews_page("Loop", two, next_href="/loop?page=1")), query={"page": "2"})
    server.route("/loop", ok(product_reviews_page("Loop", one, next_href="/loop?page=2&ref=p1")), query={"page": "1"})
    server.route(
        "/loop", ok(product_reviews_page("Loop", two, next_href="/loop?page=1")), query={"page": "2", "ref": "p1"}
    )
    result = sync(scraper(server, "/loop"), MemoryStateStore())

    assert sorted(r.text for r in result.records) == ["first", "second"]
    assert [r.target for r in server.log("/loop")] == ["/loop", "/loop?page=2", "/loop?page=1"]

    # A page whose next link is itself is not fetched a second time.
    server.route("/self", ok(product_reviews_page("Self", one, next_href="/self#more")))
    sync(scraper(server, "/self"), MemoryStateStore())
    assert len(server.log("/self")) == 1


def test_scraper_refuses_a_start_url_robots_txt_disallows(server):
    ReviewPagesCase(server).install()
    with pytest.raises(SourceError, match=r"disallowed by http://127\.0\.0\.1:\d+/robots\.txt"):
        sync(scraper(server, "/private/reviews"), MemoryStateStore())
    assert [r.path for r in server.requests] == ["/robots.txt"]


def test_scraper_does_not_follow_next_links_to_disallowed_paths_or_foreign_hosts(server):
    server.route("/robots.txt", robots("/private/"))
    one = [jsonld_review(author="H", date="2026-10-09", body="kept", review_id="h1")]
    server.route("/a", ok(product_reviews_page("A", one, next_href="/private/a?page=2")))
    server.route("/b", ok(product_reviews_page("B", one, next_href=server.url("/b2", host="localhost"))))
    server.route("/b2", ok(product_reviews_page("B", [])))

    for path in ("/a", "/b"):
        result = sync(scraper(server, path), MemoryStateStore())
        assert [r.text for r in result.records] == ["kept"]
    # localhost is this same server: it would show in the log had the client sent anything there.
    assert [r.path for r in server.requests] == ["/robots.txt", "/a", "/robots.txt", "/b"]
    assert {r.host for r in server.requests} == {"127.0.0.1"}


def test_scraper_config_refuses_foreign_start_hosts_and_robots_opt_out(server):
    with pytest.raises(ValidationError, match=r"not in http.allowed_hosts"):
        ReviewPagesConfig(start_url=server.url("/x", host="localhost"), http=fast_http(allowed_hosts=["127.0.0.1"]))
    with pytest.raises(ValidationError, match="respect_robots cannot be turned off"):
        ReviewPagesConfig(start_url=server.url("/x"), http=fast_http(allowed_hosts=["127.0.0.1"], respect_robots=False))
    with pytest.raises(ValidationError, match=r"http.contact is required"):
        ReviewPagesConfig(start_url=server.url("/x"), http={"allowed_hosts": ["127.0.0.1"]})


def test_scraper_honours_crawl_delay(server):
    server.route("/robots.txt", robots(crawl_delay=5))
    one = [jsonld_review(author="I", date="2026-10-09", body="one", review_id="i1")]
    two = [jsonld_review(author="J", date="2026-10-08", body="two", review_id="i2")]
    server.route("/c", ok(product_reviews_page("C", one, next_href="/c?page=2")), query={})
    server.route("/c", ok(product_reviews_page("C", two)), query={"page": "2"})
    fake = FakeTime()
    sync(scraper(server, "/c", fake), MemoryStateStore())
    # The site's Crawl-delay (5 s) overrides our 1 s minimum from the first page on.
    assert fake.sleeps == [5.0, 5.0]


# -- review API specifics (Google Business Profile, Yelp, Trustpilot, App Store) ---------------------


def test_google_maps_star_words_and_asks_newest_update_first(server):
    case = GoogleBusinessCase(server)
    words = ["ONE", "TWO", "THREE", "FOUR", "FIVE", "STAR_RATING_UNSPECIFIED"]
    reviews = [case.review(f"s{n}", f"Review {n}.", word, f"2026-10-2{n}T09:00:00Z") for n, word in enumerate(words)]
    reviews[0] = case.review("s0", "Review 0.", "ONE", "2026-10-20T09:00:00Z", reply="Sorry to hear that.")
    server.route(case.path, ok(google_reviews_page(reviews)))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())

    assert [r.rating for r in result.records] == [1.0, 2.0, 3.0, 4.0, 5.0, None]
    assert result.records[0].metadata == {
        "platform": "google_business",
        "account_id": case.account,
        "location_id": case.location,
        "star_rating": "ONE",
        "update_time": "2026-10-20T09:00:00Z",
        "has_reply": True,
        "reviewer_anonymous": False,
    }
    (request,) = case.data_requests()
    assert request.query == case.first
    assert request.headers["authorization"] == "Bearer ya29.test-token"


def test_google_location_without_reviews_answers_an_empty_object(server):
    case = GoogleBusinessCase(server)
    server.route(case.path, ok({}))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())
    assert result.raw == [] and result.state["replication_key_value"] is None


def test_google_page_token_that_repeats_is_an_error_not_a_hang(server):
    case = GoogleBusinessCase(server)
    recent = [case.review("r1", "Fine.", "FOUR", "2026-10-20T09:00:00Z")]
    server.route(case.path, ok(google_reviews_page(recent, "tok-2")))
    with pytest.raises(SourceError, match="nextPageToken 'tok-2' came back twice"):
        sync(case.make_stream(FakeTime()), MemoryStateStore())


def test_yelp_offset_paging_ends_at_total_and_reads_pacific_time(server):
    case = YelpCase(server)
    page_one = [
        yelp_review("w1", text="Winter rush.", rating=2, time_created="2026-12-01 10:00:00"),
        yelp_review("w2", text="Still good.", rating=4, time_created="2026-11-20 09:00:00"),
        yelp_review("w3", text="Autumn menu.", rating=5, time_created="2026-10-21 14:03:00"),
    ]
    page_two = [
        yelp_review("w4", text="Busy.", rating=3, time_created="2026-10-02 08:00:00"),
        yelp_review("w5", text="Quiet.", rating=4, time_created="2026-09-01 08:00:00"),
    ]
    server.route(case.path, ok(yelp_reviews_page(page_one, 5)), query=case.first)
    server.route(case.path, ok(yelp_reviews_page(page_two, 5)), query=case.second)
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())

    # Offset 5 reaches `total`: no third request.
    assert [r.query["offset"] for r in case.data_requests()] == ["0", "3"]
    times = {r.external_id: r.created_at for r in result.records}
    assert times["w1"] == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # PST, UTC-8
    assert times["w3"] == datetime(2026, 10, 21, 21, 3, tzinfo=UTC)  # PDT, UTC-7
    assert result.records[0].metadata["text_is_excerpt"] is True
    assert case.data_requests()[0].headers["authorization"] == "Bearer yelp-key"


def test_yelp_empty_first_page_ends_the_run(server):
    case = YelpCase(server)
    server.route(case.path, ok(yelp_reviews_page([], 0)))
    assert sync(case.make_stream(FakeTime()), MemoryStateStore()).raw == []
    assert len(case.data_requests()) == 1


def test_trustpilot_follows_next_page_link_with_its_own_parameters(server):
    case = TrustpilotCase(server)
    one = [trustpilot_review("p1", stars=4, title="Good", text="Fast.", created_at="2026-10-20T08:00:00Z")]
    two = [trustpilot_review("p2", stars=2, title="Meh", text="Slow.", created_at="2026-10-19T08:00:00Z")]
    # The link drops orderBy and perPage: the connector keeps its own, so the order stays what paging relies on.
    server.route(case.path, ok(trustpilot_reviews_page(one, next_href=f"{case.path}?page=2")), query=case.query(1))
    server.route(case.path, ok(trustpilot_reviews_page(two, prev_href=case.href(1))), query=case.query(2))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())

    assert [r.external_id for r in result.records] == ["p1", "p2"]
    assert [r.query for r in case.data_requests()] == [case.query(1), case.query(2)]
    headers = case.data_requests()[0].headers
    assert headers["apikey"] == "tp-key" and "authorization" not in headers
    assert result.records[0].text == "Good. Fast."


def test_trustpilot_next_page_link_pointing_back_is_an_error(server):
    case = TrustpilotCase(server)
    one = [trustpilot_review("p1", stars=4, title="Good", text="Fast.", created_at="2026-10-20T08:00:00Z")]
    server.route(case.path, ok(trustpilot_reviews_page(one, next_href=case.href(1))))
    with pytest.raises(SourceError, match="next-page link points back to page 1"):
        sync(case.make_stream(FakeTime()), MemoryStateStore())


def test_app_store_single_entry_object_app_entry_and_empty_last_page(server):
    case = AppStoreCase(server)
    review = app_store_entry("9001", rating="3", title="Meh", content="Fine.", updated="2026-10-20T08:00:00-07:00")
    # Older feeds open page 1 with the app itself; with one review beside it the entry list has two items.
    server.route(case.path(1), ok(case.feed([app_store_app_entry(case.app_id), review], 1)))
    lone = app_store_entry("9002", rating="5", title="Yes", content="Great.", updated="2026-10-19T08:00:00-07:00")
    server.route(case.path(2), ok(case.feed([lone], 2)))
    server.route(case.path(3), ok(case.feed([], 3)))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())

    assert [(r.external_id, r.rating, r.text) for r in result.records] == [
        ("9001", 3.0, "Meh. Fine."),
        ("9002", 5.0, "Yes. Great."),
    ]
    assert result.records[0].created_at == datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
    assert result.records[0].metadata["app_version"] == "5.12.0"
    assert [r.path for r in case.data_requests()] == [case.path(1), case.path(2), case.path(3)]


def test_app_store_reads_at_most_ten_pages(server):
    case = AppStoreCase(server)
    for page in range(1, 12):
        entry = app_store_entry(
            f"p{page}", rating="4", title="Ok", content=f"Page {page}.", updated=f"2026-10-{30 - page}T08:00:00Z"
        )
        server.route(case.path(page), ok(app_store_feed([entry], page=page, app_id=case.app_id, last_page=20)))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore())
    assert len(result.records) == 10 and len(case.data_requests()) == 10
    with pytest.raises(ValidationError, match="less than or equal to 10"):
        AppStoreConfig(app_id="1", max_pages=11)


def test_review_api_configs_pin_hosts_validate_ids_and_hide_secrets():
    google = GoogleBusinessConfig(account_id="accounts/12", location_id="locations/34", oauth_token="g-s3cret")
    yelp = YelpConfig(business_id="acme-coffee", api_key="y-s3cret")
    trustpilot = TrustpilotConfig(business_unit_id="5f1e2d", api_key="t-s3cret")
    apple = AppStoreConfig(app_id="1234567890", country="GB")
    assert (google.account_id, google.location_id, apple.country) == ("12", "34", "gb")
    assert google.http.allowed_hosts == {"mybusiness.googleapis.com"}
    assert yelp.http.allowed_hosts == {"api.yelp.com"}
    assert trustpilot.http.allowed_hosts == {"api.trustpilot.com"}
    assert apple.http.allowed_hosts == {"itunes.apple.com"}
    assert not any(secret in repr(c) for c in (google, yelp, trustpilot) for secret in ("g-s3", "y-s3", "t-s3"))

    with pytest.raises(ValidationError, match="business_id"):
        YelpConfig(business_id="acme/../../v3/events", api_key="k")
    with pytest.raises(ValidationError, match=r"does not include 'api.trustpilot.com'"):
        TrustpilotConfig(business_unit_id="x", api_key="k", http={"allowed_hosts": ["evil.example"]})
    with pytest.raises(ValidationError, match="timezone 'Pacific' is not an IANA zone"):
        YelpConfig(business_id="acme", api_key="k", timezone="Pacific")
    with pytest.raises(ValidationError, match="oauth_token"):
        GoogleBusinessConfig(account_id="1", location_id="2")


def test_build_stream_builds_each_review_api_connector(server):
    configs = {
        "google_business_reviews": {"account_id": "1", "location_id": "2", "oauth_token": "t"},
        "yelp_reviews": {"business_id": "acme", "api_key": "k"},
        "trustpilot_reviews": {"business_unit_id": "5f1e2d", "api_key": "k"},
        "app_store_reviews": {"app_id": "1234567890"},
    }
    for kind, config in configs.items():
        stream = build_stream(kind, {"base_url": server.url(), **config})
        assert isinstance(stream, CONNECTORS[kind]) and stream.name == kind
        stream.close()


# -- Freshdesk specifics ----------------------------------------------------------------------------


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


# -- e-mail specifics ---------------------------------------------------------------------------------


def mbox_records() -> dict[str, SourceRecord]:
    result = sync(MboxStream(MboxConfig(path=FIXTURES / "complaints.mbox")), MemoryStateStore())
    return {r.external_id: r for r in result.records}


def test_email_quoted_reply_and_signature_are_stripped():
    record = mbox_records()["c1.refund@mail.example"]
    assert record.text == "I returned the sofa three weeks ago and the refund has still not arrived."
    assert record.source_kind == "complaint"
    assert record.metadata["from"] == "Jane Doe <jane.doe@mail.example>"
    assert record.metadata["subject"] == "Re: Your refund request"


def test_email_html_only_message_becomes_text():
    record = mbox_records()["c2.html@mail.example"]
    assert record.text == (
        "The driver left my parcel outside and it rained all day. The box was soaked & the lamp inside is ruined."
    )
    assert record.created_at == datetime(2026, 10, 5, 8, 30, tzinfo=UTC)


def test_email_attachments_are_ignored_and_plain_text_preferred():
    records = mbox_records()
    with_attachments = records["c3.attachment@mail.example"]
    assert with_attachments.text == "I ordered the grey sofa and a beige one arrived. Photo attached."
    assert with_attachments.metadata["attachments"] == 2
    assert records["c4.app@mail.example"].text == "The app crashes every time I press pay."
    assert records["c4.app@mail.example"].created_at == datetime(2026, 10, 22, 16, tzinfo=UTC)


def test_email_without_message_id_gets_a_stable_hash_key():
    hashed = [i for i in mbox_records() if i.startswith("sha256:")]
    assert len(hashed) == 1 and hashed == [i for i in mbox_records() if i.startswith("sha256:")]


@pytest.fixture
def imap(server):
    with FakeImapServer(server.requests) as running:
        yield running


def imap_stream(imap: FakeImapServer, **config) -> ImapStream:
    values = {"host": "127.0.0.1", "port": imap.port, "ssl": False, "user": "cx-bot", "password": "imap-pw"}
    values.update(config)
    return ImapStream(ImapConfig(**values))


def test_imap_reads_incrementally_by_uid_without_marking_mail_seen(server, imap):
    first = datetime(2026, 10, 2, 9, tzinfo=UTC)
    imap.add(10, first, mail("i1@mail.example", format_datetime(first), "First complaint."))
    imap.add(11, first + timedelta(hours=2), mail("i2@mail.example", format_datetime(first), "Second complaint."))
    store = MemoryStateStore()
    one = sync(imap_stream(imap), store, since=datetime(2026, 10, 1, tzinfo=UTC))
    commit(one, store)

    assert [r.external_id for r in one.records] == ["i1@mail.example", "i2@mail.example"]
    assert one.state["cursor"] == "1:11"
    assert [r.payload["uid"] for r in one.raw] == [10, 11]
    commands = [(r.path, r.query["args"]) for r in server.requests]
    assert ("IMAP EXAMINE", '"INBOX"') in commands and ("IMAP UID SEARCH", "SINCE 01-Oct-2026") in commands
    assert ("IMAP UID FETCH", "10,11 (UID INTERNALDATE BODY.PEEK[])") in commands
    assert ("IMAP LOGIN", "***") in commands

    server.clear_log()
    imap.add(12, first + timedelta(days=1), mail("i3@mail.example", format_datetime(first), "Third."))
    two = sync(imap_stream(imap), store)
    commands = [(r.path, r.query["args"]) for r in server.requests]
    assert ("IMAP UID SEARCH", "SINCE 02-Oct-2026") in commands
    assert [a for p, a in commands if p == "IMAP UID FETCH"] == ["12 (UID INTERNALDATE BODY.PEEK[])"]
    assert [r.external_id for r in two.records] == ["i3@mail.example"] and two.state["cursor"] == "1:12"


def test_imap_new_uidvalidity_rereads_from_the_bookmark_day(server, imap):
    when = datetime(2026, 10, 2, 9, tzinfo=UTC)
    imap.add(5, when, mail("v1@mail.example", format_datetime(when), "Kept."))
    store = MemoryStateStore({"email_imap": {"replication_key_value": when.isoformat(), "cursor": "9:99"}})
    result = sync(imap_stream(imap), store)
    assert [r.payload["uid"] for r in result.raw] == [5]
    assert result.state["cursor"] == "1:5"


def test_imap_login_failure_names_the_server_not_the_password(imap):
    with pytest.raises(SourceError) as failure:
        sync(imap_stream(imap, password="wrong-pw"), MemoryStateStore())
    message = str(failure.value)
    assert f"imap://127.0.0.1:{imap.port}/INBOX: LOGIN failed" in message and "AUTHENTICATIONFAILED" in message
    assert "wrong-pw" not in message and "cx-bot" not in message


# -- CFPB and survey specifics ------------------------------------------------------------------------


def test_cfpb_json_export_unwraps_hits_and_quarantines_empty_narratives():
    stream = CfpbComplaintsStream(CfpbConfig(path=FIXTURES / "cfpb_complaints.json"))
    result = sync(stream, MemoryStateStore())

    (record,) = result.records
    assert record.external_id == "9100201" and record.source_kind == "complaint"
    assert record.created_at == datetime(2026, 10, 3, tzinfo=UTC)
    assert record.metadata["product"] == "Debt collection"
    assert record.metadata["issue"] == "Attempts to collect debt not owed"
    (empty,) = result.quarantined
    assert (empty.field, empty.reason) == ("complaint_what_happened", "record '9100202': empty text")


def test_cfpb_csv_rows_use_the_json_field_names_and_the_company_filter():
    stream = CfpbComplaintsStream(CfpbConfig(path=FIXTURES / "cfpb_complaints.csv", companies=["other lender llc"]))
    result = sync(stream, MemoryStateStore())

    (raw,) = result.raw
    assert raw.payload["complaint_id"] == "9100199" and "Consumer complaint narrative" not in raw.payload
    assert result.records[0].created_at == datetime(2026, 10, 7, tzinfo=UTC)
    assert result.records[0].metadata["company"] == "OTHER LENDER LLC"


def test_survey_scores_off_the_scale_are_quarantined_per_score_type(tmp_path):
    export = tmp_path / "csat.jsonl"
    lines = [
        {"id": "s1", "when": "02/10/2026", "stars": 5, "verbatim": "Lovely staff.", "store": "Leeds"},
        {"id": "s2", "when": "02/10/2026", "stars": 6, "verbatim": "Six of five?", "store": "Leeds"},
        {"id": "s3", "when": "02/10/2026", "stars": 0, "verbatim": "Zero is not a CSAT answer.", "store": "York"},
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n{not json\n")
    config = SurveyConfig(
        path=export,
        score_type="csat",
        fields={"id": "id", "score": "stars", "text": "verbatim", "created_at": "when"},
        date_format="%d/%m/%Y",
        metadata=["store"],
    )
    result = sync(SurveyResponsesStream(config), MemoryStateStore())

    (record,) = result.records
    assert (record.rating, record.metadata) == (5.0, {"score_type": "csat", "store": "Leeds"})
    assert record.source_kind == "survey" and record.created_at == datetime(2026, 10, 2, tzinfo=UTC)
    assert [(q.field, q.reason) for q in result.quarantined] == [
        ("stars", "record 's2': rating 6 outside 1..5"),
        ("stars", "record 's3': rating 0 outside 1..5"),
        ("(row)", "line 4: invalid JSON: Expecting property name enclosed in double quotes"),
    ]


def test_build_stream_builds_file_and_imap_streams_from_dicts():
    stream = build_stream("survey_responses", {"path": str(FIXTURES / "survey_nps.csv"), "score_type": "ces"})
    assert isinstance(stream, SurveyResponsesStream) and stream.config.score_type == "ces"
    assert isinstance(build_stream("email_mbox", {"path": "x.mbox"}), MboxStream)
    with pytest.raises(ValidationError, match="score_type"):
        build_stream("survey_responses", {"path": "s.csv", "score_type": "stars"})
    with pytest.raises(TypeError, match="reads no HTTP"):
        build_stream("cfpb_complaints", {"path": "c.csv"}, clock=lambda: 0.0)


# -- HttpClient ---------------------------------------------------------------------------------


def client(fake: FakeTime | None = None, **overrides) -> HttpClient:
    settings = fast_http(allowed_hosts=["127.0.0.1", "localhost"], min_interval_s=0.0)
    settings.update(overrides)
    return HttpClient(HttpClientConfig(**settings), **(fake or FakeTime()).options())


def test_parse_retry_after_seconds_and_http_dates():
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 20 Oct 2026 12:00:45 GMT", now) == 45.0
    assert parse_retry_after("Tue, 20 Oct 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_is_honoured_and_capped(server):
    server.route("/a", too_many_requests("3"), ok({"ok": 1}))
    server.route("/b", too_many_requests("3600"), ok({"ok": 2}))
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.route("/c", too_many_requests(when), ok({"ok": 3}))
    fake = FakeTime()
    with client(fake, retry_after_max_s=30) as http:
        assert http.get_json(server.url("/a")) == {"ok": 1}
        assert http.get_json(server.url("/b")) == {"ok": 2}
        assert http.get_json(server.url("/c")) == {"ok": 3}
    assert fake.sleeps[:2] == [3.0, 30.0]
    assert 17 <= fake.sleeps[2] <= 20


def test_backoff_is_exponential_with_jitter_then_gives_up_naming_url(server):
    server.route("/flaky", server_error(500), server_error(503), server_error(500), ok({"ok": True}))
    fake = FakeTime()
    with client(fake, backoff_initial_s=1.0, backoff_jitter_s=0.5) as http:
        assert http.get_json(server.url("/flaky")) == {"ok": True}
    assert [int(s) for s in fake.sleeps] == [1, 2, 4]
    assert all(0 <= s - int(s) <= 0.5 for s in fake.sleeps)

    server.route("/down", server_error(500))
    with client() as http, pytest.raises(HttpStatusError) as failure:
        http.get(server.url("/down"))
    assert failure.value.status == 500 and failure.value.attempts == 4
    assert "/down: HTTP 500 after 4 attempts" in str(failure.value)
    assert len(server.log("/down")) == 4


def test_client_errors_are_not_retried(server):
    with client() as http, pytest.raises(HttpStatusError) as failure:
        http.get(server.url("/missing"))
    assert failure.value.status == 404 and not failure.value.retryable
    assert len(server.log("/missing")) == 1


def test_read_timeout_and_refused_connection_are_retried(server):
    server.route("/slow", slow(ok({"late": True}), 0.5), ok({"late": False}))
    fake = FakeTime()
    with client(fake, timeout_s=0.1) as http:
        assert http.get_json(server.url("/slow")) == {"late": False}
    assert len(server.log("/slow")) == 2 and len(fake.sleeps) == 1

    closed = FixtureServer().start()
    dead_url = closed.url("/gone")
    closed.stop()
    with client() as http, pytest.raises(HttpError, match="ConnectError after 4 attempts"):
        http.get(dead_url)


def test_rate_limit_spaces_requests_per_host(server):
    server.route("/r", ok({}))
    fake = FakeTime()
    with client(fake, min_interval_s=2.0) as http:
        http.get(server.url("/r"))
        http.get(server.url("/r"))  # same host at once: waits the full interval
        fake.now += 0.5
        http.get(server.url("/r"))  # half a second already passed
        http.get(server.url("/r", host="localhost"))  # another host: no wait
    assert fake.sleeps == [2.0, 1.5]


def test_user_agent_auth_and_secret_hygiene(server):
    server.route("/me", ok({}))
    auth = BasicAuth(username="svc", password=SecretStr("pa55"))
    with HttpClient(HttpClientConfig(**fast_http(allowed_hosts=["127.0.0.1"])), auth=auth) as http:
        http.get(server.url("/me"))
    with HttpClient(HttpClientConfig(**fast_http(allowed_hosts=["127.0.0.1"])), auth=BearerAuth(token="t0k")) as http:
        http.get(server.url("/me"))
    first, second = server.log("/me")
    assert first.headers["user-agent"] == f"cx-nlp/0.1.0 (+{CONTACT})"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"svc:pa55").decode()
    assert second.headers["authorization"] == "Bearer t0k"
    assert "pa55" not in repr(auth) and "t0k" not in repr(BearerAuth(token="t0k"))


def test_invalid_json_raises_a_typed_error_naming_the_url(server):
    server.route("/broken.json", truncated_json({"tickets": [{"id": 1, "subject": "x" * 50}]}))
    with client() as http, pytest.raises(InvalidJSONError) as failure:
        http.get_json(server.url("/broken.json"))
    assert failure.value.url == server.url("/broken.json")
    assert "invalid JSON" in str(failure.value)


def test_foreign_hosts_are_refused_before_sending_even_via_redirect(server):
    server.route("/go", Canned(302, b"", {"Location": server.url("/landed", host="localhost")}))
    with client(allowed_hosts=["127.0.0.1"]) as http:
        with pytest.raises(HostNotAllowedError, match="'localhost' is not in allowed_hosts"):
            http.get(server.url("/x", host="localhost"))
        with pytest.raises(HostNotAllowedError, match="redirected to host 'localhost'"):
            http.get(server.url("/go"))
    assert [(r.host, r.path) for r in server.requests] == [("127.0.0.1", "/go")]


def test_robots_txt_is_fetched_once_per_host_and_interpreted(server):
    server.route("/robots.txt", robots("/private/"))
    with client() as http:
        assert http.allowed(server.url("/public/page"))
        assert not http.allowed(server.url("/private/page"))
        assert http.allowed(server.url("/other"))
    assert len(server.log("/robots.txt")) == 1

    server.route("/robots.txt", Canned(404, "no robots here"))
    with client() as http:
        assert http.allowed(server.url("/private/page"))
    server.route("/robots.txt", server_error(503))
    with client() as http:
        assert not http.allowed(server.url("/anything"))


def test_memory_state_store_round_trips_json_only():
    store = MemoryStateStore()
    state = StreamState("2026-10-22T16:00:00+00:00", "c2", ["k1"]).to_dict()
    store.set("s", state)
    assert store.get("s") == state and store.get("other") is None
    with pytest.raises(TypeError):
        store.set("s", {"when": datetime(2026, 1, 1)})
    assert json.loads(json.dumps(store.get("s"))) == state
