"""The review-pages (scraper) case."""

from __future__ import annotations

from datetime import UTC, datetime

from connector_helpers import FakeTime, fast_http
from fixture_server import FixtureServer, ok, robots, server_error, too_many_requests
from fixture_server.review_pages import jsonld_review, product_reviews_page

from cx_nlp.sources.connectors import ReviewPagesConfig, ReviewPagesStream


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
