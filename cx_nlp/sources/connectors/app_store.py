"""Apple App Store customer reviews of one app in one country, from the public JSON review feed.

`/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json` is an RSS feed turned into
JSON, and it keeps that conversion's habits: `entry` is a list, a lone object when the page holds one
review, or missing on a page past the end; every value sits under `label`. Apple serves pages 1 to 10
only (about 500 reviews), so a nightly run reads back to its bookmark well within that window.

The JSON conversion is known to leave `updated` out of review entries, at times out of all of them; the
Atom XML of the same page (`.../xml`) keeps it. A page with an undated review not read before is
therefore also asked for as XML, once, and the review's date copied into its payload under
`updated_from_xml`. A review dated nowhere is quarantined. Apple numbers reviews as they are written, so
the stream's cursor is the highest review id delivered: an undated review at or below it was read by an
earlier run and is not handed over again (a dated one goes by the bookmark date, so an edit comes back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import ClassVar, Literal
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, dig, parse_timestamp
from cx_nlp.sources.http import HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import EndRules, Page, PageNumberPaginator, Paginator
from cx_nlp.sources.streams import SourceError, SyncContext

# The feed stops at page 10 (about 500 reviews); later pages are not served.
LAST_FEED_PAGE = 10
# Where a review's date read from the XML feed goes in its payload (the JSON entry had no `updated`).
XML_DATE = "updated_from_xml"
_ATOM = "{http://www.w3.org/2005/Atom}"


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


def review_number(value: object) -> int | None:
    """A review id as the number Apple counts up with; None for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def xml_dates(content: bytes) -> dict[str, str]:
    """Review id -> `updated` of each entry of the Atom XML form of a feed page."""
    dates = {}
    for entry in ElementTree.fromstring(content).iter(f"{_ATOM}entry"):
        review_id = (entry.findtext(f"{_ATOM}id") or "").strip()
        updated = (entry.findtext(f"{_ATOM}updated") or "").strip()
        if review_id and updated:
            dates[review_id] = updated
    return dates


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
        "required": ["id", "im:rating"],
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
            "updated": {
                "type": "object",
                "description": "absent from some entries of the JSON feed",
                "properties": {"label": {"type": "string", "format": "date-time"}},
            },
            XML_DATE: {"type": "string", "format": "date-time", "description": "`updated` from the XML feed"},
            "im:version": {"type": "object", "properties": {"label": {"type": "string"}}},
            "im:voteSum": {"type": "object", "properties": {"label": {"type": "string"}}},
            "im:voteCount": {"type": "object", "properties": {"label": {"type": "string"}}},
        },
        "additionalProperties": True,
    }

    config: AppStoreConfig
    # The highest review id an earlier run delivered (the saved cursor), while a run reads.
    _read_up_to: int | None = None

    def page_url(self, number: int, form: str = "json") -> str:
        config = self.config
        return (
            f"{config.base_url}/{config.country}/rss/customerreviews/page={number}"
            f"/id={config.app_id}/sortby=mostrecent/{form}"
        )

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        self._read_up_to = review_number(context.state.cursor)
        newest = self._read_up_to

        def passed(items: list[dict]) -> bool:
            # Newest first: once a page's last review is one an earlier run read, so is all that follows.
            return bool(items) and self._read_before(items[-1], context.start)

        for entry in self.paginator(passed).items():
            number = review_number(dig(entry, "id.label"))
            if self.replication_value(entry) is None and self._read_before(entry, None):
                continue
            yield entry
            if number is not None and (newest is None or number > newest):
                newest = number
                # Moved only once the entry is handed over; sync discards it if a later page fails.
                context.state.cursor = str(newest)

    def _read_before(self, entry: dict, start: datetime | None) -> bool:
        """Whether an earlier run read this review: dated before `start`, or, undated, at or below the cursor."""
        value = self.replication_value(entry)
        if value is not None:
            return start is not None and value < start
        number = review_number(dig(entry, "id.label"))
        return number is not None and self._read_up_to is not None and number <= self._read_up_to

    def replication_value(self, payload: dict) -> datetime | None:
        if isinstance(payload.get("updated"), dict):
            return parse_timestamp(dig(payload, "updated.label"))
        return parse_timestamp(payload.get(XML_DATE))

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
        entries = feed_entries(feed)
        if any("updated" not in e and not self._read_before(e, None) for e in entries):
            dates = self._xml_dates(number)
            for index, entry in enumerate(entries):
                date = dates.get(str(dig(entry, "id.label")))
                if "updated" not in entry and date:
                    entries[index] = {**entry, XML_DATE: date}
        # The feed's next link names the same URL with the page number one up.
        return Page(entries, where, next=number + 1 if has_next_link(feed) else None)

    def _xml_dates(self, number: int) -> dict[str, str]:
        """The dates of a page's reviews from its XML form; a page that cannot be read fails the source."""
        url = self.page_url(number, "xml")
        response = self.client.get(url, headers={"Accept": "application/atom+xml, application/xml"})
        try:
            return xml_dates(response.content)
        except ElementTree.ParseError as exc:
            raise SourceError(self.name, f"{url}: invalid XML feed: {exc}") from exc

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="id.label",
            text_field="content.label",
            created_at_field="updated.label",
            title=str(dig(payload, "title.label") or ""),
            text=str(dig(payload, "content.label") or ""),
            created_at=dig(payload, "updated.label") if "updated" in payload else payload.get(XML_DATE),
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
                "date_from": "json" if "updated" in payload else "xml" if payload.get(XML_DATE) else None,
            },
            author=dig(payload, "author.name.label"),
        )
