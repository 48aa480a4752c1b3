"""Web connectors: one contract every connector in CONNECTORS must pass, then each one's specifics and HttpClient.

All HTTP goes to a loopback fixture server; retries and rate limits run on a fake clock, so nothing here
sleeps for real except one deliberate 0.1 s read timeout.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fixture_server import (
    ZENDESK_EXPORT,
    Canned,
    FixtureServer,
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
    zendesk_export_page,
    zendesk_ticket,
)
from pydantic import SecretStr, ValidationError

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors import (
    CONNECTORS,
    ReviewPagesConfig,
    ReviewPagesStream,
    ZendeskConfig,
    ZendeskTicketsStream,
    build_stream,
)
from cx_nlp.sources.file import payload_key
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
from cx_nlp.sources.streams import MemoryStateStore, SourceError, StreamState, SyncResult, sync

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


CASES = {ZendeskCase.kind: ZendeskCase, ReviewPagesCase.kind: ReviewPagesCase}


def test_every_registered_connector_has_a_contract_case():
    assert set(CASES) == set(CONNECTORS)


@pytest.fixture(params=sorted(CONNECTORS))
def case(request, server):
    chosen = CASES[request.param](server)
    chosen.install()
    return chosen


def run(case, store: MemoryStateStore, fake: FakeTime | None = None, **http) -> SyncResult:
    stream = case.make_stream(fake or FakeTime(), **http)
    try:
        return sync(stream, store, since=case.since)
    finally:
        stream.close()


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
    assert len(case.data_requests()) < full_requests

    case.add_new_item()
    newer = run(case, store)
    commit(newer, store)
    assert {r.external_id for r in newer.records} == case.new_ids

    keys = [r.record_key for res in (first, *results, newer) for r in res.raw]
    assert len(keys) == len(set(keys)), "a record was delivered twice"
    ids = [r.external_id for res in (first, *results, newer) for r in res.records]
    assert len(ids) == len(set(ids))


def test_contract_recovers_from_429_and_5xx_without_losing_records(case, server):
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
    assert expected in str(failure.value) and "127.0.0.1" in str(failure.value)
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
    with pytest.raises(ValidationError, match="does not include 'acme.zendesk.com'"):
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
    with pytest.raises(ValidationError, match="not in http.allowed_hosts"):
        ReviewPagesConfig(start_url=server.url("/x", host="localhost"), http=fast_http(allowed_hosts=["127.0.0.1"]))
    with pytest.raises(ValidationError, match="respect_robots cannot be turned off"):
        ReviewPagesConfig(start_url=server.url("/x"), http=fast_http(allowed_hosts=["127.0.0.1"], respect_robots=False))
    with pytest.raises(ValidationError, match="http.contact is required"):
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
