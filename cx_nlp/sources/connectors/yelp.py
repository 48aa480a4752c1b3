"""Yelp Fusion reviews of one business (`GET /v3/businesses/{id}/reviews`), newest first, by offset.

Two things about this API shape what arrives downstream: `text` is an excerpt Yelp cuts short (flagged
in metadata so sentiment and topics can weigh it), and `time_created` carries no offset; Yelp documents
it as US Pacific time, so it is read in `timezone` and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import PATH_SEGMENT, ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import Auth, BearerAuth, HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import EndRules, OffsetPaginator, Page, Paginator, page_items


def _yelp_http_defaults() -> HttpClientConfig:
    # Fusion allows 5,000 calls a day per key; one a second is far below it and kind to the per-second cap.
    return HttpClientConfig(min_interval_s=1.0)


class YelpConfig(BaseModel):
    """One Yelp business, by id or alias; `api_key` comes from the environment, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="yelp_reviews", pattern=SOURCE_NAME)
    kind: Literal["yelp_reviews"] = "yelp_reviews"
    base_url: str = "https://api.yelp.com"
    business_id: str = Field(pattern=PATH_SEGMENT)
    api_key: SecretStr
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}_[A-Z]{2}$")
    page_size: int = Field(default=20, ge=1, le=50)
    max_pages: int = Field(default=50, ge=1)
    timezone: str = "America/Los_Angeles"
    http: HttpClientConfig = Field(default_factory=_yelp_http_defaults)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # a folder such as 'Pacific' is an OSError
            raise ValueError(f"timezone {value!r} is not an IANA zone name such as America/Los_Angeles") from exc
        return value

    @model_validator(mode="after")
    def _check(self) -> YelpConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://api.yelp.com")
        return self


class YelpReviewsStream(ReviewListingStream):
    name = "yelp_reviews"
    primary_keys = ("id",)
    replication_key = "time_created"
    source_kind = "review"
    config_model = YelpConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "rating", "time_created"],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "text": {"type": "string", "description": "an excerpt, cut short by Yelp"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "time_created": {"type": "string", "description": "'YYYY-MM-DD HH:MM:SS', US Pacific time"},
            "user": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "profile_url": {"type": "string"},
                    "image_url": {"type": ["string", "null"]},
                    "name": {"type": "string"},
                },
            },
        },
        "additionalProperties": True,
    }

    config: YelpConfig

    def __init__(self, config: YelpConfig, **client_options: object):
        super().__init__(config, **client_options)
        self._zone = ZoneInfo(config.timezone)

    def auth(self) -> Auth | None:
        return BearerAuth(token=self.config.api_key)

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        return OffsetPaginator(
            self.name,
            self._reviews_page,
            # `total` counts every review of the business, but Fusion serves only a few of them (3 on most
            # plans): a short page is the end, and asking past it gets the same page again or an HTTP 400.
            # A full page that only repeats what was read (offset ignored) ends the listing too.
            until=EndRules(
                empty_page=True,
                total=True,
                short_page=self.config.page_size,
                repeated_page=lambda review: review.get("id"),
                passed=passed,
            ),
            max_pages=self.config.max_pages,
            max_pages_warning="{stream}: stopped after max_pages={max_pages} at offset {next}",
        )

    def _reviews_page(self, offset: int) -> Page:
        url = f"{self.config.base_url}/v3/businesses/{self.config.business_id}/reviews"
        params: dict[str, object] = {"limit": self.config.page_size, "offset": offset, "sort_by": "newest"}
        if self.config.locale:
            params["locale"] = self.config.locale
        page, where = self.get_page(url, params)
        reviews = page_items(self.name, where, page, "reviews")
        total = page.get("total")
        return Page(reviews, where, total=total if isinstance(total, int) else None)

    def replication_value(self, payload: dict) -> datetime | None:
        text = str(payload.get("time_created") or "").strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self._zone)
        return parsed.astimezone(UTC)

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="id",
            text_field="text",
            created_at_field="time_created",
            text=str(payload.get("text") or ""),
            # The zone-corrected time when it parses; the raw value otherwise, so the quarantine names it.
            created_at=self.replication_value(payload) or payload.get("time_created"),
            rating_field="rating",
            rating=payload.get("rating"),
            rating_range=(1, 5),
            metadata={
                "platform": "yelp",
                "business_id": self.config.business_id,
                "url": payload.get("url"),
                "text_is_excerpt": True,
            },
            author=dig(payload, "user.name"),
        )
