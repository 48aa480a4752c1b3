"""Reviews scraped from public review pages that publish schema.org `Review` markup.

Extraction prefers JSON-LD (the markup search engines read, so sites keep it correct), falls back
to microdata, then to CSS selectors from config for sites with no structured data at all. Paging
follows `rel=next` (or a configured selector), newest first, and stops at the bookmark date, at a page
already seen, at `max_pages`, at a link robots.txt or allowed_hosts rules out, or at a link outside the
listing (`listing_scope`: a blog's `rel=next` is often the next *article*).

A page the listing links to as next that holds no reviews (a bot wall answering 200, a page cut off
before its reviews, a broken render), or whose JSON-LD is cut off, fails the source instead of ending
the listing: its state is kept and the next run reads that page again. Ending quietly would move the
bookmark to this run's newest review, past the older reviews of the page never read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urljoin

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode

from cx_nlp import secrets
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, parse_timestamp
from cx_nlp.sources.http import (
    HostNotAllowedError,
    HttpClientConfig,
    RobotsDisallowedError,
    without_lone_surrogates,
)
from cx_nlp.sources.paging import EndRules, NextLinkPaginator, Page, Paginator

log = logging.getLogger(__name__)

# Types whose `name` is what a nested review is about (Product > review[], LocalBusiness > review[]).
_REVIEWED_TYPES = {"Product", "LocalBusiness", "Organization", "Restaurant", "Hotel", "Store", "Service", "Thing"}


class ReviewSelectors(BaseModel):
    """CSS fallback for pages without schema.org markup; each field selects inside one `item`."""

    model_config = ConfigDict(extra="forbid")

    item: str
    body: str
    date: str | None = None
    rating: str | None = None
    author: str | None = None
    title: str | None = None
    # Attribute of the item element carrying the site's own review id (e.g. data-review-id).
    id_attribute: str | None = None


def _scraper_http_defaults() -> HttpClientConfig:
    return HttpClientConfig(respect_robots=True, min_interval_s=2.0)


class ReviewPagesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="review_pages", pattern=SOURCE_NAME)
    kind: Literal["review_pages"] = "review_pages"
    # One listing per source: its bookmark is the newest review date of that listing alone.
    start_url: str
    # Where this listing's pages live: a next link outside it is not followed. Default: the start URL
    # without its query (`/p/sofa/reviews` covers `?page=2` and `/p/sofa/reviews/2`).
    listing_scope: str | None = None
    next_selector: str | None = None
    selectors: ReviewSelectors | None = None
    # Listings sorted newest first let a run stop at the bookmark; otherwise every page is read.
    newest_first: bool = True
    max_pages: int = Field(default=20, ge=1)
    date_format: str | None = None
    rating_range: tuple[float, float] = (1.0, 5.0)
    http: HttpClientConfig = Field(default_factory=_scraper_http_defaults)

    @field_validator("http", mode="before")
    @classmethod
    def _robots_on_unless_said(cls, value: object) -> object:
        # HttpClientConfig defaults to ignoring robots.txt (APIs have none); a scraper defaults to obeying it.
        if isinstance(value, dict) and "respect_robots" not in value:
            return {**value, "respect_robots": True}
        return value

    @model_validator(mode="after")
    def _check(self) -> ReviewPagesConfig:
        url = httpx.URL(self.start_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"start_url {self.start_url!r} must be an http(s) URL")
        if not self.http.allowed_hosts:
            raise ValueError("http.allowed_hosts must list the hosts this scraper may fetch")
        if url.host.lower() not in self.http.allowed_hosts:
            raise ValueError(
                f"start_url host {url.host!r} is not in http.allowed_hosts {sorted(self.http.allowed_hosts)}"
            )
        if not self.http.respect_robots:
            raise ValueError("http.respect_robots cannot be turned off for a scraper")
        if not self.http.contact:
            raise ValueError("http.contact is required for scraping: site operators must be able to reach us")
        scope = httpx.URL(self.listing_scope) if self.listing_scope else url.copy_with(query=None, fragment=None)
        if scope.scheme not in ("http", "https") or scope.host.lower() not in self.http.allowed_hosts:
            raise ValueError(f"listing_scope {str(scope)!r} must be an http(s) URL on one of http.allowed_hosts")
        self.listing_scope = str(scope)
        return self


def _local_type(value: object) -> set[str]:
    """`Review`, `schema:Review` and `https://schema.org/Review` all name the same type."""
    values = value if isinstance(value, list) else [value]
    return {str(v).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if v}


def _clean(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        return _clean(value)
    if isinstance(value, dict):
        return _clean(value.get("name") or value.get("@value"))
    text = " ".join(str(value).split())
    return text or None


def _node_value(node: LexborNode | None) -> str | None:
    """A microdata/CSS property's value: `content`/`datetime` attributes win over visible text."""
    if node is None:
        return None
    attributes = node.attributes
    for attribute in ("content", "datetime"):
        if attributes.get(attribute):
            return _clean(attributes[attribute])
    if node.tag in ("a", "link") and attributes.get("href"):
        return attributes["href"]
    return _clean(node.text(deep=True))


def _scope_props(scope: LexborNode) -> dict[str, LexborNode]:
    """Microdata properties that belong to this itemscope itself, not to an item nested inside it."""
    props: dict[str, LexborNode] = {}
    for node in scope.css("[itemprop]"):
        owner = node.parent
        while owner is not None and owner != scope and "itemscope" not in owner.attributes:
            owner = owner.parent
        if owner is not None and owner == scope:
            for name in (node.attributes.get("itemprop") or "").split():
                props.setdefault(name, node)
    return props


def _ends_early(exc: json.JSONDecodeError) -> bool:
    """Whether JSON failed because its text ran out, as a body cut short leaves it, not for a typo."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(exc.doc.rstrip())


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _enclosing_name(item: LexborNode) -> str | None:
    """Name of the Product/LocalBusiness a microdata review sits inside, if any."""
    owner = item.parent
    while owner is not None:
        if (
            "itemscope" in owner.attributes
            and _local_type(owner.attributes.get("itemtype", "").split()) & _REVIEWED_TYPES
        ):
            return _node_value(_scope_props(owner).get("name"))
        owner = owner.parent
    return None


class ReviewPagesStream(ReviewListingStream):
    name = "review_pages"
    primary_keys = ("id",)
    replication_key = "date_published"
    source_kind = "review"
    config_model = ReviewPagesConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "listing_url", "extraction"],
        "properties": {
            "id": {"type": "string", "description": "JSON-LD @id/url, microdata itemid, else a content hash"},
            "url": {"type": ["string", "null"]},
            "author": {"type": ["string", "null"]},
            "date_published": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]},
            "body": {"type": ["string", "null"]},
            "rating": {"type": ["string", "number", "null"]},
            "best_rating": {"type": ["string", "number", "null"]},
            "worst_rating": {"type": ["string", "number", "null"]},
            "item_reviewed": {"type": ["string", "null"]},
            "listing_url": {"type": "string"},
            "extraction": {"enum": ["json-ld", "microdata", "css"]},
        },
        "additionalProperties": False,
    }

    config: ReviewPagesConfig

    @property
    def newest_first(self) -> bool:
        return self.config.newest_first

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        return NextLinkPaginator(
            self.name,
            self._listing_page,
            first=self.config.start_url,
            # A page of reviews already read means the links loop under URLs that differ.
            until=EndRules(
                empty_page=True,
                empty_later_page="unreadable",
                repeated_page=lambda review: review["id"],
                passed=passed,
            ),
            max_pages=self.config.max_pages,
            # A site's links that loop are the site's business: what was read so far is kept.
            on_loop="stop",
            within=self.config.listing_scope,
        )

    def _listing_page(self, url: str) -> Page | None:
        try:
            response = self.client.get(url)
        except (HostNotAllowedError, RobotsDisallowedError) as exc:
            if url == self.config.start_url:
                raise
            # Later pages are only a link on the site: skipping them loses older reviews, not the run.
            log.warning("%s: not following %s: %s", self.name, secrets.mask(url), exc.reason)
            return None
        page_url = str(response.url)
        tree = LexborHTMLParser(response.text)
        reviews, cut_off = self._extract(tree, page_url, response.text)
        return Page(reviews, page_url, next=self._next_url(tree, page_url), unreadable=cut_off)

    def _next_url(self, tree: LexborHTMLParser, page_url: str) -> str | None:
        if self.config.next_selector:
            node = tree.css_first(self.config.next_selector)
            href = node.attributes.get("href") if node is not None else None
            return urljoin(page_url, href) if href else None
        for node in tree.css("link[rel], a[rel]"):
            rel = (node.attributes.get("rel") or "").lower().split()
            href = node.attributes.get("href")
            if "next" in rel and href:
                return urljoin(page_url, href)
        return None

    # -- extraction -------------------------------------------------------------------------------

    def _extract(self, tree: LexborHTMLParser, page_url: str, html: str) -> tuple[list[dict], str | None]:
        """The page's reviews, and why it could not be read whole (None when it could)."""
        reviews, cut_off = self._from_json_ld(tree, page_url, html)
        if not reviews:
            reviews = self._from_microdata(tree, page_url)
        if not reviews and self.config.selectors:
            reviews = self._from_css(tree, self.config.selectors)
        unique: dict[str, dict] = {}
        for review in reviews:
            unique.setdefault(review["id"], review)
        return list(unique.values()), cut_off

    def _payload(self, extraction: str, *, native_id: str | None, page_url: str | None, **fields: Any) -> dict:
        payload = {
            "id": None,
            "url": fields.get("url"),
            "author": _clean(fields.get("author")),
            "date_published": _clean(fields.get("date_published")),
            "title": _clean(fields.get("title")),
            "body": _clean(fields.get("body")),
            "rating": fields.get("rating"),
            "best_rating": fields.get("best_rating"),
            "worst_rating": fields.get("worst_rating"),
            "item_reviewed": _clean(fields.get("item_reviewed")),
            "listing_url": self.config.start_url,
            "extraction": extraction,
        }
        if native_id:
            # JSON-LD @id and microdata itemid are URL references, so a relative one is resolved;
            # a CSS-selected attribute is the site's own opaque id (page_url None) and kept as is.
            payload["id"] = urljoin(page_url, native_id) if page_url else native_id
        else:
            # The listing URL, not the page URL: new reviews push old ones onto later pages, and the
            # id must not change when that happens.
            basis = [self.config.start_url, payload["author"], payload["date_published"], payload["body"]]
            digest = hashlib.sha256(json.dumps(basis, ensure_ascii=False).encode("utf-8")).hexdigest()
            payload["id"] = f"sha256:{digest[:32]}"
        return payload

    def _from_json_ld(self, tree: LexborHTMLParser, page_url: str, html: str) -> tuple[list[dict], str | None]:
        found: list[dict] = []
        cut_off = None

        def walk(node: object, about: str | None) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item, about)
                return
            if not isinstance(node, dict):
                return
            types = _local_type(node.get("@type"))
            if "Review" in types:
                rating = node.get("reviewRating") if isinstance(node.get("reviewRating"), dict) else {}
                native = node.get("@id") or node.get("url")
                found.append(
                    self._payload(
                        "json-ld",
                        native_id=str(native) if native else None,
                        page_url=page_url,
                        url=node.get("url"),
                        author=node.get("author"),
                        date_published=node.get("datePublished") or node.get("dateCreated"),
                        title=node.get("name") or node.get("headline"),
                        body=node.get("reviewBody") or node.get("description"),
                        rating=rating.get("ratingValue"),
                        best_rating=rating.get("bestRating"),
                        worst_rating=rating.get("worstRating"),
                        item_reviewed=node.get("itemReviewed") or about,
                    )
                )
                return
            if types & _REVIEWED_TYPES and isinstance(node.get("name"), str):
                about = node["name"]
            for key, value in node.items():
                if key != "@context":
                    walk(value, about)

        for script in tree.css("script[type]"):
            if script.attributes.get("type", "").split(";")[0].strip().lower() != "application/ld+json":
                continue
            block = script.text(deep=True)
            try:
                data = json.loads(block)
            except json.JSONDecodeError as exc:
                # (The parser reads line ends as `\n`; so must the comparison.)
                if _ends_early(exc) and _newlines(html).rstrip().endswith(block.rstrip()):
                    # The body ends inside the block, mid-value: the page was cut off, reviews with it.
                    cut_off = f"JSON-LD cut off at character {exc.pos} ({exc.msg})"
                # A malformed block otherwise (a stray comma) must not hide the others on the page.
                log.warning("%s: invalid JSON-LD on %s: %s", self.name, secrets.mask(page_url), exc)
                continue
            # An escaped half of a surrogate pair (`\\ud83d`) would make the text unstorable.
            walk(without_lone_surrogates(data), None)
        return found, cut_off

    def _from_microdata(self, tree: LexborHTMLParser, page_url: str) -> list[dict]:
        found: list[dict] = []
        for item in tree.css("[itemscope][itemtype]"):
            if "Review" not in _local_type(item.attributes.get("itemtype", "").split()):
                continue
            props = _scope_props(item)
            author = props.get("author")
            if author is not None and "itemscope" in author.attributes:
                author = _scope_props(author).get("name")
            rating = props.get("reviewRating")
            rating_props = _scope_props(rating) if rating is not None and "itemscope" in rating.attributes else props
            reviewed = props.get("itemReviewed")
            if reviewed is not None and "itemscope" in reviewed.attributes:
                reviewed = _scope_props(reviewed).get("name")
            url = _node_value(props.get("url"))
            found.append(
                self._payload(
                    "microdata",
                    native_id=item.attributes.get("itemid") or url,
                    page_url=page_url,
                    url=url,
                    author=_node_value(author),
                    date_published=_node_value(props.get("datePublished")),
                    title=_node_value(props.get("name") or props.get("headline")),
                    body=_node_value(props.get("reviewBody") or props.get("description")),
                    rating=_node_value(rating_props.get("ratingValue")),
                    best_rating=_node_value(rating_props.get("bestRating")),
                    worst_rating=_node_value(rating_props.get("worstRating")),
                    item_reviewed=_node_value(reviewed) or _enclosing_name(item),
                )
            )
        return found

    def _from_css(self, tree: LexborHTMLParser, selectors: ReviewSelectors) -> list[dict]:
        found: list[dict] = []
        for item in tree.css(selectors.item):

            def pick(selector: str | None, item: LexborNode = item) -> str | None:
                return _node_value(item.css_first(selector)) if selector else None

            native = item.attributes.get(selectors.id_attribute) if selectors.id_attribute else None
            found.append(
                self._payload(
                    "css",
                    native_id=native,
                    page_url=None,
                    author=pick(selectors.author),
                    date_published=pick(selectors.date),
                    title=pick(selectors.title),
                    body=pick(selectors.body),
                    rating=pick(selectors.rating),
                )
            )
        return found

    # -- validation -------------------------------------------------------------------------------

    def replication_value(self, payload: dict) -> datetime | None:
        return parse_timestamp(payload.get("date_published"), self.config.date_format)

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        low, high = self.config.rating_range
        try:
            low = float(payload["worst_rating"]) if payload.get("worst_rating") not in (None, "") else low
            high = float(payload["best_rating"]) if payload.get("best_rating") not in (None, "") else high
        except (TypeError, ValueError):
            pass
        return self.build_record(
            payload,
            id_field="id",
            text_field="body",
            created_at_field="date_published",
            title=payload.get("title") or "",
            text=payload.get("body") or "",
            created_at=payload.get("date_published"),
            rating_field="rating",
            rating=payload.get("rating"),
            rating_range=(low, high),
            date_format=self.config.date_format,
            author=payload.get("author"),
            metadata={
                k: payload.get(k)
                for k in ("url", "item_reviewed", "best_rating", "listing_url", "extraction")
                if payload.get(k) is not None
            },
        )
