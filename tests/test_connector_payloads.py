"""What every connector delivers whatever the payload holds: text without lone surrogates, pages with a
stray non-UTF-8 byte, text over the size limit, and the author's display name in metadata."""

from __future__ import annotations

import json
import logging
import mailbox

from connector_cases.freshdesk import FreshdeskCase
from connector_cases.review_apis import AppStoreCase, GoogleBusinessCase, TrustpilotCase, YelpCase
from connector_cases.review_pages import ReviewPagesCase
from connector_helpers import FakeTime, fast_http
from fixture_server import Canned, ok, robots
from fixture_server.app_store import app_store_entry
from fixture_server.google_business import google_reviews_page
from fixture_server.review_pages import product_reviews_page
from fixture_server.trustpilot import trustpilot_review, trustpilot_reviews_page
from fixture_server.yelp import yelp_review, yelp_reviews_page

from cx_nlp.normalise import content_hash
from cx_nlp.sources.connectors import MboxConfig, MboxStream, ReviewPagesConfig, ReviewPagesStream
from cx_nlp.sources.streams import MAX_TEXT_CHARS, MemoryStateStore, sync


def json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


def assert_storable(payload: dict) -> None:
    """What a UTF-8 database (PostgreSQL JSONB) accepts: no lone surrogate anywhere in the payload as delivered."""
    json.dumps(payload, ensure_ascii=False).encode("utf-8")


def test_lone_surrogate_from_a_json_api_becomes_a_replacement_character(server):
    case = YelpCase(server)
    review = yelp_review("s1", text="Loved the flat white \ud83d", rating=5, time_created="2026-10-20 08:00:00")
    # json.dumps writes the half emoji as the escape `\ud83d`, as the API's excerpt does.
    server.route(case.path, ok(json_bytes(yelp_reviews_page([review], 1)), **{"Content-Type": "application/json"}))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore(), since=case.since)

    [record] = result.records
    assert record.text == "Loved the flat white \ufffd"
    content_hash(record.text)
    assert_storable(result.raw[0].payload)


def test_lone_surrogate_in_json_ld_and_in_a_mail_header(server, tmp_path):
    server.route("/robots.txt", robots())
    review = {"@type": "Review", "@id": "r1", "datePublished": "2026-10-20", "reviewBody": "Sofa \udc9d sags."}
    # The JSON-LD carries the escape `\udc9d`; the visible copy of the text is left out.
    server.route("/s", ok(product_reviews_page("Sofa", [review]).replace("\udc9d", "")))
    config = ReviewPagesConfig(start_url=server.url("/s"), http=fast_http(allowed_hosts=["127.0.0.1"]))
    page = sync(ReviewPagesStream(config, **FakeTime().options()), MemoryStateStore())
    assert page.records[0].text == "Sofa \ufffd sags."
    assert_storable(page.raw[0].payload)

    box = mailbox.mbox(tmp_path / "box.mbox")
    # Raw 8-bit Latin-1 in a header: the parser keeps such bytes as lone surrogates.
    box.add(
        b"From: J\xfcrgen <j@mail.example>\nSubject: R\xfcckerstattung\nMessage-ID: <m1@mail.example>\n"
        b"Date: Fri, 02 Oct 2026 09:00:00 +0000\n\nWhere is it?\n"
    )
    box.close()
    mail = sync(MboxStream(MboxConfig(path=tmp_path / "box.mbox")), MemoryStateStore())
    assert_storable(mail.raw[0].payload)
    assert mail.records[0].metadata["author"] == "J\ufffdrgen"


def test_a_stray_non_utf8_byte_costs_one_character_not_the_page(server, caplog):
    case = TrustpilotCase(server)
    reviews = [
        trustpilot_review("b1", stars=2, title="Cold", text="CAFE_BYTE was cold.", created_at="2026-10-20T08:00:00Z"),
        trustpilot_review("b2", stars=4, title="Fine", text="All good.", created_at="2026-10-19T08:00:00Z"),
    ]
    body = json_bytes(trustpilot_reviews_page(reviews)).replace(b"CAFE_BYTE", b"Caf\xe9")
    server.route(case.path, Canned(200, body, {"Content-Type": "application/json"}), query=case.query(1))
    with caplog.at_level(logging.WARNING):
        result = sync(case.make_stream(FakeTime()), MemoryStateStore(), since=case.since)

    assert [r.text for r in result.records] == ["Cold. Caf\ufffd was cold.", "Fine. All good."]
    assert "not UTF-8" in caplog.text and case.path in caplog.text


def test_text_over_the_limit_is_truncated_and_flagged_not_quarantined(server):
    case = TrustpilotCase(server)
    long = "x" * (MAX_TEXT_CHARS + 5_000)
    reviews = [
        trustpilot_review("l1", stars=1, title="Essay", text=long, created_at="2026-10-20T08:00:00Z"),
        trustpilot_review("l2", stars=4, title="Short", text="Fine.", created_at="2026-10-19T08:00:00Z"),
    ]
    server.route(case.path, ok(trustpilot_reviews_page(reviews)), query=case.query(1))
    result = sync(case.make_stream(FakeTime()), MemoryStateStore(), since=case.since)

    assert result.quarantined == []
    essay, short = result.records
    assert len(essay.text) == MAX_TEXT_CHARS and essay.text.startswith("Essay. xxx")
    assert essay.metadata["text_truncated"] is True and "text_truncated" not in short.metadata
    # The raw payload keeps the whole text.
    assert result.raw[0].payload["text"] == long


def authors(result) -> list:
    return [r.metadata.get("author") for r in result.records]


def test_every_review_api_carries_the_authors_display_name(server):
    google = GoogleBusinessCase(server)
    reviews = [
        google.review("g1", "Fine.", "FOUR", "2026-10-20T09:00:00Z", reviewer="Priya Shah"),
        # An anonymous reviewer's display name is a placeholder, not a person.
        google.review("g2", "Meh.", "TWO", "2026-10-19T09:00:00Z", reviewer="A Google User", anonymous=True),
    ]
    server.route(google.path, ok(google_reviews_page(reviews)))
    assert authors(sync(google.make_stream(FakeTime()), MemoryStateStore())) == ["Priya Shah", None]

    for case, expected in ((YelpCase(server), "Sam K."), (TrustpilotCase(server), "Jo Bloggs")):
        case.install()
        assert set(authors(sync(case.make_stream(FakeTime()), MemoryStateStore(), since=case.since))) == {expected}

    apple = AppStoreCase(server)
    entry = app_store_entry("7", rating="3", title="Ok", content="Ok.", updated="2026-10-20T08:00:00-07:00")
    server.route(apple.path(1), ok(apple.feed([dict(entry, author={"name": {"label": "Pat"}, "label": ""})], 1)))
    server.route(apple.path(2), ok(apple.feed([], 2)))
    assert authors(sync(apple.make_stream(FakeTime()), MemoryStateStore())) == ["Pat"]


def test_scraped_reviews_and_sideloaded_requesters_carry_the_author(server):
    pages = ReviewPagesCase(server)
    pages.install()
    result = sync(pages.make_stream(FakeTime()), MemoryStateStore(), since=pages.since)
    assert authors(result)[:3] == ["Customer 1", "Customer 2", "Customer 3"]

    desk = FreshdeskCase(server)
    desk.install()
    stream = desk.make_stream(FakeTime())
    payload = {"id": 9, "subject": "Hi", "description_text": "Help.", "created_at": "2026-10-02T09:00:00Z"}
    record = stream.to_source_record({**payload, "requester": {"id": 1, "name": "Ada Lovelace"}})
    assert record.metadata["author"] == "Ada Lovelace"
    assert "author" not in stream.to_source_record(payload).metadata
    stream.close()
