"""Apple App Store customer reviews of one app in one country, from the public JSON review feed.

`/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json` is an RSS feed turned into
JSON, and it keeps that conversion's habits: `entry` is a list, a lone object when the page holds one
review, or missing on a page past the end; every value sits under `label`. Apple serves pages 1 to 10
only (about 500 reviews), so a nightly run reads back to its bookmark well within that window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import EndRules, Page, PageNumberPaginator, Paginator
from cx_nlp.sources.streams import SourceError

# The feed stops at page 10 (about 500 reviews); later pages are not served.
LAST_FEED_PAGE = 10


def _feed_http_defaults() -> HttpClientConfig:
    # No published limit; Apple's iTunes endpoints throttle at roughly 20 calls a minute per address.
    return HttpClientConfig(min_interval_s=3.0)


class AppStoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="app_store_reviews", pattern=SOURCE_NAME)
    kind: Literal["app_store_reviews"] = "app_store_reviews"
    base_url: str = "https://itunes.apple.com"
    app_id: str = Field(pattern=r"^[0-9]+$", description="the number in apps.apple.com/.../id<app_id>")
    # Reviews are per storefront: one source per country keeps one bookmark per feed.
    country: str = Field(default="us", pattern=r"^[a-z]{2}$")
    max_pages: int = Field(default=LAST_FEED_PAGE, ge=1, le=LAST_FEED_PAGE)
    http: HttpClientConfig = Field(default_factory=_feed_http_defaults)

    @field_validator("country", mode="before")
    @classmethod
    def _lower_country(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> AppStoreConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://itunes.apple.com")
        return self


def feed_entries(feed: dict) -> list[dict]:
    """The reviews of one feed page, whichever shape `entry` took."""
    entries = feed.get("entry")
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return []
    # Older feeds open page 1 with an entry describing the app itself (im:name, im:artist), not a review.
    return [e for e in entries if isinstance(e, dict) and not ("im:name" in e and "im:rating" not in e)]


def has_next_link(feed: dict) -> bool:
    links = feed.get("link")
    links = [links] if isinstance(links, dict) else links if isinstance(links, list) else []
    return any(isinstance(link, dict) and dig(link, "attributes.rel") == "next" for link in links)


class AppStoreReviewsStream(ReviewListingStream):
    name = "app_store_reviews"
    primary_keys = ("id.label",)
    replication_key = "updated.label"
    source_kind = "review"
    config_model = AppStoreConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "im:rating", "updated"],
        "properties": {
            "id": {"type": "object", "properties": {"label": {"type": "string"}}},
            "author": {
                "type": "object",
                "properties": {
                    "name": {"type": "object", "properties": {"label": {"type": "string"}}},
                    "uri": {"type": "object", "properties": {"label": {"type": "string"}}},
                },
            },
            "im:rating": {"type": "object", "properties": {"label": {"type": "string", "pattern": "^[1-5]$"}}},
            "title": {"type": "object", "properties": {"label": {"type": "string"}}},
            "content": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "attributes": {"type": "object"}},
            },
            "updated": {"type": "object", "properties": {"label": {"type": "string", "format": "date-time"}}},
            "im:version": {"type": "object", "properties": {"label": {"type": "string"}}},
            "im:voteSum": {"type": "object", "properties": {"label": {"type": "string"}}},
            "im:voteCount": {"type": "object", "properties": {"label": {"type": "string"}}},
        },
        "additionalProperties": True,
    }

    config: AppStoreConfig

    def page_url(self, number: int) -> str:
        config = self.config
        return (
            f"{config.base_url}/{config.country}/rss/customerreviews/page={number}"
            f"/id={config.app_id}/sortby=mostrecent/json"
        )

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        return PageNumberPaginator(
            self.name,
            self._feed_page,
            until=EndRules(empty_page=True, no_next=True, passed=passed),
            max_pages=self.config.max_pages,
            # Apple serves no page past the tenth: reaching max_pages is the feed's end, not a cut.
            max_pages_warning=None,
        )

    def _feed_page(self, number: int) -> Page:
        url = self.page_url(number)
        page, where = self.get_page(url)
        feed = page.get("feed") if isinstance(page, dict) else None
        if not isinstance(feed, dict):
            raise SourceError(self.name, f"{where}: expected an object with a 'feed' object")
        # The feed's next link names the same URL with the page number one up.
        return Page(feed_entries(feed), where, next=number + 1 if has_next_link(feed) else None)

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="id.label",
            text_field="content.label",
            created_at_field="updated.label",
            title=str(dig(payload, "title.label") or ""),
            text=str(dig(payload, "content.label") or ""),
            created_at=dig(payload, "updated.label"),
            rating_field="im:rating.label",
            rating=dig(payload, "im:rating.label"),
            rating_range=(1, 5),
            metadata={
                "platform": "app_store",
                "app_id": self.config.app_id,
                "country": self.config.country,
                "app_version": dig(payload, "im:version.label"),
                "vote_sum": dig(payload, "im:voteSum.label"),
                "vote_count": dig(payload, "im:voteCount.label"),
            },
        )
