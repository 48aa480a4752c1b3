"""The paging rules the connector fixes rest on, on their own (a fake fetch, no socket): pages that cannot
be read fail the listing, an empty page after the first may, and a next link may not leave the listing."""

from __future__ import annotations

import logging

import pytest

from cx_nlp.sources.paging import EndRules, NextLinkPaginator, OffsetPaginator, Page, PageNumberPaginator, url_within
from cx_nlp.sources.streams import SourceError


def items(*ids: str) -> list[dict]:
    return [{"id": i} for i in ids]


class FakeApi:
    def __init__(self, pages: dict):
        self.pages, self.asked = pages, []

    def __call__(self, position):
        self.asked.append(position)
        return self.pages[position]


def read(paginator) -> list[str]:
    return [item["id"] for page in paginator.pages() for item in page.items]


def test_an_unreadable_page_fails_the_listing_before_its_items_are_handed_over():
    api = FakeApi({1: Page(items("a"), "/p1"), 2: Page(items("b"), "/p2", unreadable="JSON-LD cut off")})
    pages = PageNumberPaginator("s", api).pages()
    assert next(pages).items == items("a")
    with pytest.raises(SourceError, match=r"source s: /p2: JSON-LD cut off; .*the next run reads it again"):
        next(pages)


@pytest.mark.parametrize("rule", ["end", "unreadable"])
def test_an_empty_page_after_the_first_ends_the_listing_or_fails_it(rule):
    api = FakeApi({1: Page(items("a"), "/p1"), 2: Page([], "/p2")})
    paginator = PageNumberPaginator("s", api, until=EndRules(empty_page=True, empty_later_page=rule))
    if rule == "end":
        assert read(paginator) == ["a"]
    else:
        with pytest.raises(SourceError, match=r"/p2: nothing to read on a page linked to as next"):
            read(paginator)


def test_an_empty_first_page_is_an_empty_listing_whatever_the_rule():
    api = FakeApi({1: Page([], "/p1")})
    assert read(PageNumberPaginator("s", api, until=EndRules(empty_page=True, empty_later_page="unreadable"))) == []


def test_next_link_outside_the_listing_ends_it_with_a_warning(caplog):
    base = "https://blog.example/2026/best-sofas/"
    api = FakeApi(
        {
            base: Page(items("a"), base, next=base + "2/"),
            base + "2/": Page(items("b"), base + "2/", next="https://blog.example/2026/kitchen-tables/"),
        }
    )
    with caplog.at_level(logging.WARNING):
        assert read(NextLinkPaginator("s", api, first=base, within=base)) == ["a", "b"]
    assert api.asked == [base, base + "2/"]
    assert "outside the listing https://blog.example/2026/best-sofas/" in caplog.text


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://shop.example/p/sofa/reviews?page=2", True),
        ("https://shop.example/p/sofa/reviews/2", True),
        ("https://shop.example/p/sofa/reviews#more", True),
        ("https://SHOP.example/p/sofa/reviews?page=2", True),
        ("https://shop.example/p/sofa/reviews-2", False),
        ("https://shop.example/p/lamp/reviews", False),
        ("http://shop.example/p/sofa/reviews?page=2", False),
        ("https://other.example/p/sofa/reviews?page=2", False),
    ],
)
def test_url_within_the_listing(url, inside):
    assert url_within(url, "https://shop.example/p/sofa/reviews") is inside


def test_offset_paging_stops_at_a_short_page_or_a_page_that_repeats():
    # An API that ignores `offset` and always answers its first reviews, with a `total` far larger.
    short = FakeApi({0: Page(items("a", "b", "c"), "/o0", total=250)})
    rules = EndRules(short_page=20, total=True, repeated_page=lambda item: item["id"])
    assert read(OffsetPaginator("s", short, until=rules)) == ["a", "b", "c"] and short.asked == [0]
    full = FakeApi({n: Page(items("a", "b", "c"), f"/o{n}", total=250) for n in (0, 3)})
    rules = EndRules(short_page=3, total=True, repeated_page=lambda item: item["id"])
    assert read(OffsetPaginator("s", full, until=rules)) == ["a", "b", "c"] and full.asked == [0, 3]
