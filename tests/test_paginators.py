"""The paginators on their own: a fake fetch function stands in for the API, so nothing here opens a socket."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from cx_nlp.sources.paging import (
    CursorPaginator,
    EndRules,
    NextLinkPaginator,
    OffsetPaginator,
    Page,
    PageNumberPaginator,
    link_header_next,
    older_than,
    page_items,
    passed_bookmark,
)
from cx_nlp.sources.streams import SourceError


class FakeApi:
    """Answers each position from a dict of pages and records what was asked, in order."""

    def __init__(self, pages: dict):
        self.pages = pages
        self.asked: list = []

    def __call__(self, position):
        self.asked.append(position)
        return self.pages[position]


def items(*ids: str) -> list[dict]:
    return [{"id": i} for i in ids]


def read(paginator) -> list[str]:
    return [item["id"] for page in paginator.pages() for item in page.items]


# -- cursor -------------------------------------------------------------------------------------------


def test_cursor_follows_tokens_until_a_page_names_none():
    api = FakeApi({None: Page(items("a"), "/x", next="t1"), "t1": Page(items("b"), "/x?c=t1", next=None)})
    assert read(CursorPaginator("s", api, until=EndRules(no_next=True))) == ["a", "b"]
    assert api.asked == [None, "t1"]


def test_cursor_starts_from_a_saved_cursor_and_stops_at_end_of_stream_whatever_the_token():
    api = FakeApi({"saved": Page(items("a"), "/x", next="t2", end_of_stream=True)})
    assert read(CursorPaginator("s", api, first="saved", until=EndRules(end_of_stream=True))) == ["a"]
    assert api.asked == ["saved"]


def test_cursor_asked_twice_is_a_source_error_naming_the_url():
    api = FakeApi({None: Page([], "/x?start=0", next="same"), "same": Page([], "/x?cursor=same", next="same")})
    with pytest.raises(SourceError, match=r"source s: /x\?cursor=same: cursor 'same' came back twice") as failure:
        read(CursorPaginator("s", api))
    assert failure.value.stream == "s" and api.asked == [None, "same"]


def test_loop_message_is_the_connectors_own():
    api = FakeApi({None: Page([], "/x", next="t"), "t": Page([], "/x?t", next="t")})
    with pytest.raises(SourceError, match="nextPageToken 't' came back twice"):
        read(CursorPaginator("s", api, loop_message="{url}: nextPageToken {next!r} came back twice"))


def test_pages_are_fetched_only_as_the_caller_reads_them():
    api = FakeApi({None: Page(items("a"), "/x", next="t1"), "t1": Page(items("b"), "/x", next=None)})
    pages = CursorPaginator("s", api).pages()
    first = next(pages)
    assert first.items == items("a") and api.asked == [None]


# -- page number ----------------------------------------------------------------------------------------


def test_page_numbers_count_on_until_a_short_page():
    api = FakeApi({1: Page(items("a", "b"), "/p1"), 2: Page(items("c", "d"), "/p2"), 3: Page(items("e"), "/p3")})
    assert read(PageNumberPaginator("s", api, until=EndRules(short_page=2))) == ["a", "b", "c", "d", "e"]
    assert api.asked == [1, 2, 3]


def test_short_page_counts_entries_that_are_not_objects():
    # Two entries, one of them not an object: a full page of two, so paging goes on.
    api = FakeApi({1: Page(items("a"), "/p1", size=2), 2: Page([], "/p2", size=0)})
    assert read(PageNumberPaginator("s", api, until=EndRules(short_page=2))) == ["a"]
    assert api.asked == [1, 2]


def test_page_number_follows_the_number_a_next_link_names_and_stops_without_one():
    api = FakeApi({1: Page(items("a"), "/p1", next=3), 3: Page(items("b"), "/p3", next=None)})
    assert read(PageNumberPaginator("s", api, until=EndRules(no_next=True))) == ["a", "b"]
    assert api.asked == [1, 3]


def test_next_link_back_to_a_page_already_read_is_an_error():
    api = FakeApi({1: Page(items("a"), "/p?page=1", next=2), 2: Page(items("b"), "/p?page=2", next=1)})
    with pytest.raises(SourceError, match=r"/p\?page=2: next page 1 was read already"):
        read(PageNumberPaginator("s", api, until=EndRules(no_next=True)))


def test_max_pages_stops_with_the_connectors_warning(caplog):
    api = FakeApi({n: Page(items(f"i{n}"), f"/p{n}") for n in range(1, 10)})
    paginator = PageNumberPaginator(
        "s", api, max_pages=3, max_pages_warning="{stream}: stopped after max_pages={max_pages} at page {position}"
    )
    with caplog.at_level(logging.WARNING):
        assert read(paginator) == ["i1", "i2", "i3"]
    assert api.asked == [1, 2, 3]
    assert "s: stopped after max_pages=3 at page 3" in caplog.text


def test_max_pages_can_be_silent_where_it_is_the_listings_own_end(caplog):
    api = FakeApi({n: Page(items(f"i{n}"), f"/p{n}", next=n + 1) for n in range(1, 5)})
    with caplog.at_level(logging.WARNING):
        assert read(PageNumberPaginator("s", api, max_pages=2, max_pages_warning=None)) == ["i1", "i2"]
    assert caplog.text == ""


def test_an_end_rule_on_the_last_allowed_page_ends_without_a_warning(caplog):
    api = FakeApi({1: Page(items("a"), "/p1"), 2: Page(items("b"), "/p2", next=None)})
    with caplog.at_level(logging.WARNING):
        assert read(PageNumberPaginator("s", api, max_pages=2, until=EndRules(short_page=5))) == ["a"]
    assert caplog.text == ""


# -- offset ------------------------------------------------------------------------------------------------


def test_offset_moves_by_the_items_received_and_stops_at_total():
    api = FakeApi({0: Page(items("a", "b", "c"), "/o0", total=5), 3: Page(items("d", "e"), "/o3", total=5)})
    assert read(OffsetPaginator("s", api, until=EndRules(total=True))) == ["a", "b", "c", "d", "e"]
    assert api.asked == [0, 3]


def test_offset_empty_page_ends_and_a_short_page_ends_only_when_asked_to():
    pages = {0: Page(items("a", "b"), "/o0"), 2: Page(items("c"), "/o2"), 3: Page([], "/o3")}
    api = FakeApi(pages)
    # Yelp's rules today: a short page (1 of 2) is not the end, the empty page after it is.
    assert read(OffsetPaginator("s", api, until=EndRules(empty_page=True))) == ["a", "b", "c"]
    assert api.asked == [0, 2, 3]
    api = FakeApi(pages)
    assert read(OffsetPaginator("s", api, until=EndRules(empty_page=True, short_page=2))) == ["a", "b", "c"]
    assert api.asked == [0, 2]


def test_offset_max_pages_warns_at_the_next_offset(caplog):
    api = FakeApi({n: Page(items(f"i{n}"), f"/o{n}") for n in range(0, 10)})
    paginator = OffsetPaginator(
        "s", api, max_pages=2, max_pages_warning="{stream}: stopped after max_pages={max_pages} at offset {next}"
    )
    with caplog.at_level(logging.WARNING):
        assert read(paginator) == ["i0", "i1"]
    assert "s: stopped after max_pages=2 at offset 2" in caplog.text


def test_offset_that_does_not_move_is_a_loop():
    api = FakeApi({0: Page([], "/o0")})
    with pytest.raises(SourceError, match="offset 0 was read already"):
        read(OffsetPaginator("s", api))


# -- next link ---------------------------------------------------------------------------------------------


def test_next_link_loop_stops_with_a_warning_for_a_scraper(caplog):
    api = FakeApi({"/a": Page(items("a"), "/a", next="/b"), "/b": Page(items("b"), "/b", next="/a#top")})
    with caplog.at_level(logging.WARNING):
        assert read(NextLinkPaginator("s", api, first="/a", on_loop="stop")) == ["a", "b"]
    assert api.asked == ["/a", "/b"]
    assert "s: next link of /b points back to /a#top; stopping" in caplog.text


def test_next_link_loop_is_an_error_by_default_and_a_redirect_counts_as_read():
    # /a redirects to /a2, which links back to /a2: the page answered there, so it was read.
    api = FakeApi({"/a": Page(items("a"), "/a2", next="/a2")})
    with pytest.raises(SourceError, match="next link of /a2 points back to /a2"):
        read(NextLinkPaginator("s", api, first="/a"))
    assert api.asked == ["/a"]


def test_a_page_of_items_already_read_ends_the_listing_unread(caplog):
    api = FakeApi({"/1": Page(items("a"), "/1", next="/2"), "/2": Page(items("a"), "/2", next="/3")})
    paginator = NextLinkPaginator("s", api, first="/1", until=EndRules(repeated_page=lambda item: item["id"]))
    with caplog.at_level(logging.WARNING):
        pages = list(paginator.pages())
    assert [p.url for p in pages] == ["/1"] and api.asked == ["/1", "/2"]
    assert "/2 repeats items already read" in caplog.text


def test_fetch_answering_none_ends_the_listing():
    api = FakeApi({"/1": Page(items("a"), "/1", next="/refused"), "/refused": None})
    assert read(NextLinkPaginator("s", api, first="/1")) == ["a"]


def test_link_header_next_reads_rel_next_and_resolves_it():
    request = httpx.Request("GET", "https://api.example/items?page=1")
    response = httpx.Response(
        200, headers={"Link": '</items?page=2>; rel="next", </items?page=9>; rel="last"'}, request=request
    )
    assert link_header_next(response) == "https://api.example/items?page=2"
    assert link_header_next(httpx.Response(200, request=request)) is None


def test_next_link_paging_over_link_headers():
    """An API that pages with `Link: <...>; rel="next"`: the header is the page's next position."""
    link = {"/r?page=1": '</r?page=2>; rel="next"', "/r?page=2": ""}

    def fetch(url: str) -> Page:
        request = httpx.Request("GET", f"https://api.example{url}")
        response = httpx.Response(200, headers={"Link": link[url]} if link[url] else {}, request=request)
        target = link_header_next(response)
        return Page(items(url), url, next=target and target.removeprefix("https://api.example"))

    assert read(NextLinkPaginator("s", fetch, first="/r?page=1")) == ["/r?page=1", "/r?page=2"]


# -- end rules and page shapes -----------------------------------------------------------------------------


def test_bookmark_passed_only_for_rows_strictly_older_than_the_start():
    start = datetime(2026, 10, 10, tzinfo=UTC)
    assert not passed_bookmark([start, None], start)  # the same instant may go on on the next page
    assert passed_bookmark([datetime(2026, 10, 9, tzinfo=UTC)], start)
    assert not passed_bookmark([datetime(2026, 10, 9, tzinfo=UTC)], None)  # a first load reads everything

    def dated(item: dict) -> datetime:
        return datetime.fromisoformat(item["at"])

    dates = {1: "2026-10-11", 2: "2026-10-10", 3: "2026-10-09"}
    api = FakeApi({n: Page([{"id": f"i{n}", "at": f"{day}T00:00:00+00:00"}], f"/p{n}") for n, day in dates.items()})
    paginator = PageNumberPaginator("s", api, until=EndRules(passed=older_than(dated, start)))
    assert read(paginator) == ["i1", "i2", "i3"]  # the 9th is handed over; sync drops it
    assert api.asked == [1, 2, 3]


def test_page_items_checks_the_shape_and_names_the_request():
    assert page_items("s", "/x", [{"id": 1}, "junk"]) == [{"id": 1}]
    assert page_items("s", "/x", {"reviews": [{"id": 1}]}, "reviews") == [{"id": 1}]
    assert page_items("s", "/x", {}, "reviews", absent_is_empty=True) == []
    with pytest.raises(SourceError, match=r"/x\?page=2: expected an object with a 'reviews' list"):
        page_items("s", "/x?page=2", {"error": "nope"}, "reviews")
    with pytest.raises(SourceError, match="/x: expected a JSON array"):
        page_items("s", "/x", {"tickets": []})
