"""Review API specifics: Google Business Profile, Yelp, Trustpilot and the App Store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from connector_cases.review_apis import AppStoreCase, GoogleBusinessCase, TrustpilotCase, YelpCase
from connector_helpers import FakeTime, commit, fast_http
from fixture_server import Canned, ok
from fixture_server.app_store import app_store_app_entry, app_store_entry, app_store_feed, app_store_feed_xml
from fixture_server.google_business import google_reviews_page
from fixture_server.trustpilot import trustpilot_review, trustpilot_reviews_page
from fixture_server.yelp import yelp_review, yelp_reviews_page
from pydantic import ValidationError

from cx_nlp.sources.connectors import (
    CONNECTORS,
    AppStoreConfig,
    GoogleBusinessConfig,
    TrustpilotConfig,
    YelpConfig,
    YelpReviewsStream,
    build_stream,
)
from cx_nlp.sources.streams import MemoryStateStore, SourceError, sync


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
        "author": "Chris Morgan",
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


def undated_feed(case: AppStoreCase, numbers: range, *, xml_dates: bool = True) -> None:
    """A real-shaped page 1 whose JSON entries carry no `updated`; the XML has the dates (or some not)."""
    reviews = [
        (
            app_store_entry(str(n), rating="4", title="Fine", content=f"Review {n}.", updated=None),
            f"2026-10-{n - 20000 + 10:02d}T08:00:00-07:00",
        )
        for n in numbers
    ]
    case.serve(1, reviews)
    if not xml_dates:
        # The XML misses the second review: it has no date anywhere.
        xml = app_store_feed_xml(reviews[:1] + reviews[2:], page=1, app_id=case.app_id, country=case.country)
        server = case.server
        server.route(case.path(1, "xml"), ok(xml, **{"Content-Type": "text/xml"}))
    case.server.route(case.path(2), ok(case.feed([], 2)))


def test_app_store_entries_without_updated_are_dated_from_the_xml_feed_and_read_once(server):
    case = AppStoreCase(server)
    undated_feed(case, range(20005, 20000, -1))
    store = MemoryStateStore()
    first = sync(case.make_stream(FakeTime()), store, since=case.since)
    commit(first, store)

    assert first.quarantined == []
    assert [r.external_id for r in first.records] == ["20005", "20004", "20003", "20002", "20001"]
    assert first.records[0].created_at == datetime(2026, 10, 15, 15, 0, tzinfo=UTC)
    assert first.state["cursor"] == "20005"

    server.clear_log()
    again = sync(case.make_stream(FakeTime()), store, since=case.since)
    # Nothing is read again, nothing quarantined again, and the XML is not asked for what was read.
    assert again.raw == [] and again.quarantined == []
    assert [r.path for r in case.data_requests()] == [case.path(1)]

    undated_feed(case, range(20006, 20000, -1))
    newer = sync(case.make_stream(FakeTime()), store, since=case.since)
    assert [r.external_id for r in newer.records] == ["20006"] and newer.state["cursor"] == "20006"


def test_app_store_review_dated_nowhere_is_quarantined_once_and_the_cursor_moves_past_it(server):
    case = AppStoreCase(server)
    undated_feed(case, range(20003, 20000, -1), xml_dates=False)
    store = MemoryStateStore()
    first = sync(case.make_stream(FakeTime()), store, since=case.since)
    commit(first, store)
    assert [(q.field, q.reason) for q in first.quarantined] == [
        ("updated.label", "record '20002': unparseable date None")
    ]
    assert [r.external_id for r in first.records] == ["20003", "20001"]
    again = sync(case.make_stream(FakeTime()), store, since=case.since)
    assert again.raw == [] and again.quarantined == []


def yelp(case: YelpCase, **config) -> YelpReviewsStream:
    values = {"base_url": case.server.url(), "business_id": case.business, "api_key": "k", "http": fast_http()}
    return YelpReviewsStream(YelpConfig(**(values | config)), **FakeTime().options())


@pytest.mark.parametrize("later", ["same page again", "HTTP 400"])
def test_yelp_short_page_is_the_last_whatever_total_says(server, later):
    case = YelpCase(server)
    three = case.reviews()[:3]
    # Fusion serves 3 reviews of a business with 250 and ignores `offset`, or rejects it.
    server.route(case.path, ok(yelp_reviews_page(three, 250)))
    if later == "HTTP 400":
        error = {"error": {"code": "VALIDATION_ERROR", "description": "offset is out of range"}}
        server.route(case.path, Canned(400, error), query={"limit": "20", "offset": "3", "sort_by": "newest"})
    result = sync(yelp(case), MemoryStateStore(), since=case.since)

    assert [r.external_id for r in result.records] == ["y1", "y2", "y3"]
    assert result.duplicates == 0 and len(case.data_requests()) == 1


def test_yelp_full_page_that_comes_back_at_the_next_offset_ends_the_listing(server):
    case = YelpCase(server)
    server.route(case.path, ok(yelp_reviews_page(case.reviews()[:3], 250)))
    fake = FakeTime()
    config = {"base_url": server.url(), "business_id": case.business, "api_key": "k", "page_size": 3}
    stream = YelpReviewsStream(YelpConfig(**config, http=fast_http()), **fake.options())
    result = sync(stream, MemoryStateStore(), since=case.since)

    assert len(result.records) == 3 and result.duplicates == 0
    assert len(case.data_requests()) == 2 and sum(fake.sleeps) <= 2.0


def test_app_store_xml_page_that_cannot_be_read_fails_the_source(server):
    case = AppStoreCase(server)
    undated_feed(case, range(20002, 20000, -1))
    server.route(
        case.path(1, "xml"), ok(b"<?xml version='1.0'?><feed><entry><id>20002", **{"Content-Type": "text/xml"})
    )
    with pytest.raises(SourceError, match=r"/page=1/id=1234567890/sortby=mostrecent/xml: invalid XML feed"):
        sync(case.make_stream(FakeTime()), MemoryStateStore(), since=case.since)
