"""The review API cases: Google Business Profile, Yelp, Trustpilot and the App Store."""

from __future__ import annotations

from datetime import UTC, datetime

from connector_helpers import FakeTime, fast_http
from fixture_server import FixtureServer, ok, server_error, too_many_requests, truncated_json
from fixture_server.app_store import app_store_entry, app_store_feed, app_store_feed_path, app_store_feed_xml
from fixture_server.google_business import google_review, google_reviews_page, google_reviews_path
from fixture_server.trustpilot import trustpilot_review, trustpilot_reviews_page, trustpilot_reviews_path
from fixture_server.yelp import yelp_review, yelp_reviews_page, yelp_reviews_path
from pydantic import SecretStr

from cx_nlp.sources.connectors import (
    AppStoreConfig,
    AppStoreReviewsStream,
    GoogleBusinessConfig,
    GoogleBusinessReviewsStream,
    TrustpilotConfig,
    TrustpilotReviewsStream,
    YelpConfig,
    YelpReviewsStream,
)


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
    # Apple numbers reviews in the order they are written: a newer review has a higher id.
    expected_ids = frozenset({"11009", "11007", "11006", "11002"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 21, 14, 12, 33, tzinfo=UTC)
    new_ids = frozenset({"11012"})
    rerun_requests = 1
    retry_after = 7.0

    def __init__(self, server: FixtureServer):
        self.server = server

    def path(self, page: int, form: str = "json") -> str:
        return app_store_feed_path(self.country, self.app_id, page, form)

    def feed(self, entries: list[dict], page: int) -> dict:
        return app_store_feed(entries, page=page, app_id=self.app_id, country=self.country, base=self.server.url())

    def serve(self, page: int, reviews: list[tuple[dict, str]]) -> None:
        """A page as JSON (entries as given, some without `updated`) and as XML (every date)."""
        self.server.route(self.path(page), ok(self.feed([entry for entry, _ in reviews], page)))
        xml = app_store_feed_xml(reviews, page=page, app_id=self.app_id, country=self.country)
        self.server.route(self.path(page, "xml"), ok(xml, **{"Content-Type": "text/xml; charset=UTF-8"}))

    def page_one(self) -> list[tuple[dict, str]]:
        # As real feeds do, the JSON leaves `updated` out of some entries; the XML has every date.
        dated = "2026-10-21T07:12:33-07:00"
        return [
            (app_store_entry("11009", rating="1", title="Crashes", content="Dies at checkout.", updated=dated), dated),
            (
                app_store_entry("11007", rating="4", title="Handy", content="Tracking works.", updated=None),
                "2026-10-17T22:05:00-07:00",
            ),
            (
                app_store_entry("11006", rating="2", title="Slow", content=None, updated=None),
                "2026-10-11T09:00:00-07:00",
            ),
        ]

    def install(self) -> None:
        self.serve(1, self.page_one())
        # One review on a page: the feed gives `entry` as an object, not a list.
        lone = app_store_entry("11002", rating="5", title="Love it", content="So easy.", updated=None)
        self.serve(2, [(lone, "2026-10-03T10:00:00-07:00")])
        # Past the end the feed still answers, with no `entry` at all.
        self.server.route(self.path(3), ok(self.feed([], 3)))

    def make_stream(self, fake: FakeTime, **http) -> AppStoreReviewsStream:
        config = AppStoreConfig(
            base_url=self.server.url(), app_id=self.app_id, country=self.country, http=fast_http(**http)
        )
        return AppStoreReviewsStream(config, **fake.options())

    def add_new_item(self) -> None:
        new = app_store_entry("11012", rating="1", title="Logged out", content="Logs me out.", updated=None)
        self.serve(1, [(new, "2026-10-26T08:00:00-07:00"), *self.page_one()])

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
