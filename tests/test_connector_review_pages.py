"""Review page specifics: JSON-LD, microdata and CSS extraction, paging, robots.txt."""

from __future__ import annotations

import pytest
from connector_cases.review_pages import ReviewPagesCase
from connector_helpers import FakeTime, fast_http, run
from fixture_server import Canned, FixtureServer, ok, robots
from fixture_server.review_pages import (
    blog_post_page,
    challenge_page,
    jsonld_review,
    microdata_reviews_page,
    plain_reviews_page,
    product_reviews_page,
)
from pydantic import ValidationError

from cx_nlp.sources.connectors import ReviewPagesConfig, ReviewPagesStream
from cx_nlp.sources.streams import MemoryStateStore, SourceError, sync


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


def truncated(html: str) -> str:
    """The page cut off inside its JSON-LD, as a proxy dropping the tail of a 200 answer leaves it."""
    return html[: html.index('"reviewBody"', html.index('"reviewBody"') + 1)]


@pytest.mark.parametrize("trouble", ["empty", "blocked", "truncated"])
def test_scraper_later_page_that_cannot_be_read_fails_the_source_and_keeps_the_bookmark(server, trouble):
    server.route("/robots.txt", robots())
    one = [jsonld_review(author="K", date="2026-10-20", body="Newest.", review_id="k1")]
    two = [jsonld_review(author=f"L{n}", date=f"2026-10-1{n}", body=f"Older {n}.", review_id=f"l{n}") for n in "987"]
    server.route("/r", ok(product_reviews_page("R", one, next_href="/r?page=2")), query={})
    page_two = {
        "empty": product_reviews_page("R", []),
        "blocked": challenge_page(),
        "truncated": truncated(product_reviews_page("R", two)),
    }[trouble]
    server.route("/r", ok(page_two), query={"page": "2"})
    store = MemoryStateStore({"review_pages": {"replication_key_value": "2026-10-01T00:00:00+00:00"}})

    with pytest.raises(SourceError, match=r"/r\?page=2: .*(no reviews|cut off)") as failure:
        sync(scraper(server, "/r"), store)
    assert "the next run reads it again" in str(failure.value)
    assert store.get("review_pages")["replication_key_value"] == "2026-10-01T00:00:00+00:00"

    # Once the page reads whole, the run goes through, the older reviews included.
    server.route("/r", ok(product_reviews_page("R", two)), query={"page": "2"})
    result = sync(scraper(server, "/r"), store)
    assert [r.text for r in result.records] == ["Newest.", "Older 9.", "Older 8.", "Older 7."]


def test_scraper_malformed_json_ld_block_that_is_closed_is_not_a_cut_off_page(server):
    server.route("/robots.txt", robots())
    one = [jsonld_review(author="S", date="2026-10-12", body="Kept.", review_id="https://shop.example/s1")]
    # A site's own broken block (an unclosed object) beside the good one, the page complete after it.
    broken = '<script type="application/ld+json">{"@type": "BreadcrumbList", "itemListElement": [</script>'
    server.route("/m", ok(product_reviews_page("M", one).replace("</head>", broken + "</head>")))
    result = sync(scraper(server, "/m"), MemoryStateStore())
    assert [r.text for r in result.records] == ["Kept."]


def test_scraper_first_page_without_reviews_is_an_empty_listing(server):
    server.route("/robots.txt", robots())
    server.route("/new-product", ok(product_reviews_page("New", [])))
    assert sync(scraper(server, "/new-product"), MemoryStateStore()).raw == []


def test_scraper_does_not_take_a_blogs_next_post_for_the_next_page(server, caplog):
    server.route("/robots.txt", robots())
    sofas = [jsonld_review(author="M", date="2026-10-12", body="Sofa A sags.", review_id="m1")]
    tables = [jsonld_review(author="N", date="2026-10-11", body="Table wobbles.", review_id="n1")]
    post = "/blog/best-sofas-2026/"
    server.route(post, ok(blog_post_page("Best sofas", sofas, next_post="/blog/kitchen-tables-2026/")))
    server.route("/blog/kitchen-tables-2026/", ok(blog_post_page("Kitchen tables", tables)))
    with caplog.at_level("WARNING"):
        result = sync(scraper(server, post), MemoryStateStore())

    assert [r.text for r in result.records] == ["Sofa A sags."]
    assert [r.path for r in server.requests] == ["/robots.txt", post]
    assert "outside the listing" in caplog.text


def test_scraper_follows_the_articles_own_next_page(server):
    server.route("/robots.txt", robots())
    one = [jsonld_review(author="O", date="2026-10-12", body="Page one.", review_id="o1")]
    two = [jsonld_review(author="P", date="2026-10-11", body="Page two.", review_id="p1")]
    post = "/blog/best-sofas-2026/"
    next_post = "/blog/kitchen-tables-2026/"
    server.route(post, ok(blog_post_page("Best sofas", one, next_post=next_post, next_page=f"{post}2/")))
    server.route(f"{post}2/", ok(blog_post_page("Best sofas", two, next_post=next_post)))
    result = sync(scraper(server, post), MemoryStateStore())
    assert [r.text for r in result.records] == ["Page one.", "Page two."]


def test_scraper_listing_scope_can_be_widened_in_config(server):
    server.route("/robots.txt", robots())
    one = [jsonld_review(author="Q", date="2026-10-12", body="Newest.", review_id="q1")]
    two = [jsonld_review(author="R", date="2026-10-11", body="Older.", review_id="q2")]
    # A site that pages its reviews under a sibling path.
    server.route("/p/sofa/reviews", ok(product_reviews_page("Sofa", one, next_href="/p/sofa/reviews-2")))
    server.route("/p/sofa/reviews-2", ok(product_reviews_page("Sofa", two)))
    narrow = sync(scraper(server, "/p/sofa/reviews"), MemoryStateStore())
    wide = sync(scraper(server, "/p/sofa/reviews", listing_scope=server.url("/p/sofa/")), MemoryStateStore())
    assert [r.text for r in narrow.records] == ["Newest."]
    assert [r.text for r in wide.records] == ["Newest.", "Older."]
