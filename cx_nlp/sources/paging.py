"""Paging through web listings: one paginator per paging style, with max_pages, a loop guard and end rules.

A connector says how to fetch one page (`fetch(position) -> Page`) and which signs of the end its API
gives (`EndRules`); the paginator walks the positions and stops where a rule says the data ends, at
`max_pages` (with a warning: the listing goes on), or where a page points back at a position already
asked (a loop: a SourceError naming the URL, or for a scraper, whose links are the site's business, a
warning and a stop). The connector yields each page's items as it arrives, so after a failure half-way
sync keeps the bookmark where it was.

A page that could not be read whole (`Page.unreadable`: cut off, a bot wall, emptied where more was
promised) is a SourceError, never an end: the bookmark of a newest-first listing is its newest item, so
ending there quietly would move the bookmark past the older items on that page for good. Failing keeps
the state; the next run reads the page again, and a page that stays unreadable shows as a failed source
rather than as reviews silently missing.

Styles, by what the next position is:
- CursorPaginator: the token a page hands back (Zendesk `after_cursor`, Google `nextPageToken`).
- PageNumberPaginator: the number a page's next link names, else the next number (Freshdesk,
  Trustpilot, the App Store feed).
- OffsetPaginator: the offset plus the items received (Yelp).
- NextLinkPaginator: the URL a page links to as next (HTML rel=next, or the HTTP `Link` header).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from cx_nlp import secrets
from cx_nlp.sources.streams import SourceError

log = logging.getLogger(__name__)


@dataclass
class Page:
    """One fetched page, as a paginator needs to see it."""

    items: list[dict]
    # The request as sent (or, after a redirect, where the answer came from): named in errors and warnings.
    url: str
    # The next position the page names (a cursor, a page number or a URL); None where it names none.
    next: Hashable | None = None
    # The page's own flag that nothing follows (Zendesk's `end_of_stream`).
    end_of_stream: bool = False
    # How many items the whole listing holds, where the API says (Yelp's `total`).
    total: int | None = None
    # Entries the page held, objects or not, where that differs from len(items): what a short page counts.
    size: int | None = None
    # Why the page could not be read whole (its structured data cut off, say); the listing fails there.
    unreadable: str | None = None


@dataclass(frozen=True)
class EndRules:
    """The signs of the end of a listing an API gives. Each is off unless set; APIs differ in which they keep.

    `empty_page` and `repeated_page` are read before a page's items are handed over (there is nothing
    new on it); the others after, since such a page still carries the last items.
    """

    empty_page: bool = False
    # A page holding only items already read (by this key) means the links loop under other URLs.
    repeated_page: Callable[[dict], Hashable] | None = None
    # The page size asked for: a page with fewer entries is the last.
    short_page: int | None = None
    # A page naming no next position is the last (page-number paging otherwise counts on).
    no_next: bool = False
    end_of_stream: bool = False
    # Offset paging: the next offset reaches the page's `total`.
    total: bool = False
    # E.g. `older_than(...)`: a newest-first page already reached rows this run does not want.
    passed: Callable[[list[dict]], bool] | None = None
    # With `empty_page`: what an empty page *after the first* is. "end" for APIs that answer past their
    # last page with an empty one; "unreadable" where a page linked to as next must hold items (a scraped
    # listing: an empty page there is a bot wall, a page cut off before its reviews, or a broken render).
    empty_later_page: Literal["end", "unreadable"] = "end"

    def ends_after(self, page: Page, following: Hashable | None) -> bool:
        size = len(page.items) if page.size is None else page.size
        return bool(
            (self.short_page is not None and size < self.short_page)
            or (self.no_next and page.next is None)
            or (self.end_of_stream and page.end_of_stream)
            or (self.total and page.total is not None and isinstance(following, int) and following >= page.total)
            or (self.passed is not None and self.passed(page.items))
        )


def passed_bookmark(values: Iterable[datetime | None], start: datetime | None) -> bool:
    """Whether a newest-first page already reached rows older than this run's start.

    Strictly older: rows dated exactly at the bookmark may continue on the next page, and sync itself
    drops the ones an earlier run delivered.
    """
    return start is not None and any(value is not None and value < start for value in values)


def older_than(dated: Callable[[dict], datetime | None], start: datetime | None) -> Callable[[list[dict]], bool]:
    """The `EndRules.passed` rule of a newest-first listing: a page holds an item dated before `start`."""
    return lambda items: passed_bookmark((dated(item) for item in items), start)


Fetch = Callable[[Hashable], Page | None]


@dataclass
class Paginator:
    """Walks one listing page by page; subclasses say how a page leads to the next position.

    `fetch` answers None where there is nothing to read at a position (a link the client may not
    follow): the listing ends there. Messages are `str.format` templates over `stream`, `url` (the
    page's), `position` (the page's), `next` (the position it leads to) and `max_pages`; a loop
    message of None is the style's own, a max_pages warning of None means stopping there is silent.
    """

    stream: str
    fetch: Fetch
    first: Hashable | None = None
    until: EndRules = field(default_factory=EndRules)
    max_pages: int | None = None
    on_loop: Literal["error", "stop"] = "error"
    loop_message: str | None = None
    max_pages_warning: str | None = "{stream}: stopped after max_pages={max_pages} at {url}"

    default_loop_message: ClassVar[str] = "{url}: {next!r} was asked before"
    unreadable_message: ClassVar[str] = (
        "{url}: {why}; not reading past it, so the bookmark stays and the next run reads it again"
    )

    def following(self, position: Hashable, page: Page) -> Hashable | None:
        """The position after this page; None where the listing cannot go on."""
        return page.next

    def key(self, position: Hashable) -> Hashable:
        """What makes two positions the same one, for the loop guard."""
        return position

    def pages(self) -> Iterator[Page]:
        position = self.first
        asked: set[Hashable] = set()
        seen_items: set[Hashable] = set()
        handed_over = 0
        while True:
            asked.add(self.key(position))
            page = self.fetch(position)
            if page is None:
                return
            if page.unreadable is None and handed_over and not page.items:
                if self.until.empty_page and self.until.empty_later_page == "unreadable":
                    page.unreadable = "nothing to read on a page linked to as next (blocked, cut off or emptied)"
            if page.unreadable is not None:
                raise SourceError(self.stream, self.unreadable_message.format(url=page.url, why=page.unreadable))
            if self.until.empty_page and not page.items:
                return
            asked.update(self._also_answered_at(page))
            if self._repeats(page, seen_items):
                log.warning("%s: %s repeats items already read; stopping", self.stream, secrets.mask(page.url))
                return
            yield page
            handed_over += 1
            following = self.following(position, page)
            if self.until.ends_after(page, following) or following is None:
                return
            fields = {"stream": self.stream, "url": page.url, "position": position, "next": following}
            if self.key(following) in asked:
                self._loop((self.loop_message or self.default_loop_message).format(**fields, max_pages=self.max_pages))
                return
            if self.max_pages is not None and handed_over >= self.max_pages:
                if self.max_pages_warning:
                    log.warning(secrets.mask(self.max_pages_warning.format(**fields, max_pages=self.max_pages)))
                return
            position = following

    def items(self) -> Iterator[dict]:
        """The items of every page in order, for a connector with nothing to do between pages."""
        for page in self.pages():
            yield from page.items

    def _also_answered_at(self, page: Page) -> Iterable[Hashable]:
        return ()

    def _repeats(self, page: Page, seen_items: set[Hashable]) -> bool:
        if self.until.repeated_page is None:
            return False
        keys = {self.until.repeated_page(item) for item in page.items}
        if keys and keys <= seen_items:
            return True
        seen_items |= keys
        return False

    def _loop(self, message: str) -> None:
        if self.on_loop == "error":
            raise SourceError(self.stream, message)
        log.warning("%s: %s; stopping", self.stream, secrets.mask(message))


@dataclass
class CursorPaginator(Paginator):
    """An opaque token from each page to ask for the next; `first` is a saved cursor, or None for the start."""

    default_loop_message = "{url}: cursor {next!r} came back twice"


@dataclass
class PageNumberPaginator(Paginator):
    """Pages 1, 2, 3...: the number a page's next link names where it names one, else the next number."""

    first: Hashable | None = 1
    default_loop_message = "{url}: next page {next} was read already"

    def following(self, position: Hashable, page: Page) -> Hashable | None:
        return page.next if page.next is not None else position + 1  # type: ignore[operator]


@dataclass
class OffsetPaginator(Paginator):
    """Offsets 0, n, 2n...: each page starts where the items received so far end."""

    first: Hashable | None = 0
    default_loop_message = "{url}: offset {next} was read already"

    def following(self, position: Hashable, page: Page) -> Hashable | None:
        return position + len(page.items)  # type: ignore[operator]


@dataclass
class NextLinkPaginator(Paginator):
    """The URL each page links to as next; `first` is the listing's URL.

    URLs differing only in their fragment are one page, and a page reached through a redirect is
    known by both URLs, so a link back to either is a loop. With `within` (a URL prefix: the listing's
    own pages), a next link elsewhere ends the listing with a warning: a blog's `rel="next"` is often
    the *next article*, whose reviews are not this listing's.
    """

    within: str | None = None

    default_loop_message = "next link of {url} points back to {next}"

    def key(self, position: Hashable) -> Hashable:
        return urldefrag(str(position))[0]

    def _also_answered_at(self, page: Page) -> Iterable[Hashable]:
        return (self.key(page.url),)

    def following(self, position: Hashable, page: Page) -> Hashable | None:
        if page.next is None or self.within is None or url_within(str(page.next), self.within):
            return page.next
        log.warning(
            "%s: not following next link %s of %s: outside the listing %s",
            self.stream,
            secrets.mask(str(page.next)),
            secrets.mask(page.url),
            secrets.mask(self.within),
        )
        return None


def url_within(url: str, prefix: str) -> bool:
    """Whether `url` is `prefix` or below it: the same scheme and host, and the prefix's path or a path
    under it (`/reviews` covers `/reviews?page=2` and `/reviews/2`, not `/reviews-2`); queries aside."""
    target, scope = urlsplit(url), urlsplit(prefix)
    if (target.scheme.lower(), target.netloc.lower()) != (scope.scheme.lower(), scope.netloc.lower()):
        return False
    path, base = target.path or "/", scope.path or "/"
    return path == base or path.startswith(base if base.endswith("/") else base + "/")


def link_header_next(response: httpx.Response) -> str | None:
    """The absolute URL of an HTTP `Link: <...>; rel="next"` header, None without one."""
    target = response.links.get("next", {}).get("url")
    return urljoin(str(response.url), target) if target else None


def page_items(
    stream: str, where: str, page: object, key: str | None = None, *, absent_is_empty: bool = False
) -> list[dict]:
    """The objects a page lists: the page itself (a JSON array) or, with `key`, the list under that key.

    Entries that are not objects are skipped; a page of another shape is a SourceError naming `where`.
    `absent_is_empty`: the API leaves an empty list out of the object (Google answers `{}`).
    """
    if key is None:
        listed, expected = page, "a JSON array"
    else:
        listed = page.get(key) if isinstance(page, dict) else None
        if listed is None and absent_is_empty and isinstance(page, dict):
            listed = []
        expected = f"an object with a {key!r} list"
    if not isinstance(listed, list):
        raise SourceError(stream, f"{where}: expected {expected}")
    return [item for item in listed if isinstance(item, dict)]
