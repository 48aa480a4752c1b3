"""Trustpilot service reviews of one business unit (`GET /v1/business-units/{id}/reviews`), newest first.

Paging follows the response's `next-page` link, but only for its page number: the request itself is
rebuilt from our own parameters, so the sort order the bookmark relies on cannot be lost from a link,
and the API key never goes anywhere but the configured host. Reviews are sorted by creation, so an edit
to an old review is not picked up by a later run; its `updatedAt` is kept in metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import PATH_SEGMENT, ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import ApiKeyAuth, Auth, HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import EndRules, Page, PageNumberPaginator, Paginator, page_items


def _trustpilot_http_defaults() -> HttpClientConfig:
    # Public endpoints allow a few hundred calls per five minutes per key; two a second stays well inside.
    return HttpClientConfig(min_interval_s=0.5)


class TrustpilotConfig(BaseModel):
    """One Trustpilot business unit; `api_key` comes from the environment, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="trustpilot_reviews", pattern=SOURCE_NAME)
    kind: Literal["trustpilot_reviews"] = "trustpilot_reviews"
    base_url: str = "https://api.trustpilot.com"
    business_unit_id: str = Field(pattern=PATH_SEGMENT)
    api_key: SecretStr
    # Trustpilot's own language filter ("all", "en", "da", ...); None leaves its default.
    language: str | None = Field(default=None, pattern=r"^(all|[a-z]{2})$")
    page_size: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=100, ge=1)
    http: HttpClientConfig = Field(default_factory=_trustpilot_http_defaults)

    @model_validator(mode="after")
    def _check(self) -> TrustpilotConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://api.trustpilot.com")
        return self


def next_page_number(page: dict) -> int | None:
    """The page the `next-page` link points at; None when there is no such link (the last page)."""
    links = page.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == "next-page" and link.get("href"):
            number = httpx.URL(str(link["href"])).params.get("page")
            return int(number) if number and number.isdigit() else None
    return None


class TrustpilotReviewsStream(ReviewListingStream):
    name = "trustpilot_reviews"
    primary_keys = ("id",)
    replication_key = "createdAt"
    source_kind = "review"
    config_model = TrustpilotConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "stars", "createdAt"],
        "properties": {
            "id": {"type": "string"},
            "stars": {"type": "integer", "minimum": 1, "maximum": 5},
            "title": {"type": ["string", "null"]},
            "text": {"type": ["string", "null"]},
            "language": {"type": ["string", "null"]},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": ["string", "null"], "format": "date-time"},
            "isVerified": {"type": "boolean"},
            "companyReply": {"type": ["object", "null"]},
            "consumer": {"type": "object", "properties": {"id": {"type": "string"}, "displayName": {"type": "string"}}},
            "links": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": True,
    }

    config: TrustpilotConfig

    def auth(self) -> Auth | None:
        return ApiKeyAuth(header="apikey", key=self.config.api_key)

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        return PageNumberPaginator(
            self.name,
            self._reviews_page,
            until=EndRules(empty_page=True, no_next=True, passed=passed),
            max_pages=self.config.max_pages,
            loop_message="{url}: next-page link points back to page {next}",
            max_pages_warning="{stream}: stopped after max_pages={max_pages} at page {position}",
        )

    def _reviews_page(self, number: int) -> Page:
        url = f"{self.config.base_url}/v1/business-units/{self.config.business_unit_id}/reviews"
        params: dict[str, object] = {"page": number, "perPage": self.config.page_size, "orderBy": "createdat.desc"}
        if self.config.language:
            params["language"] = self.config.language
        page, where = self.get_page(url, params)
        return Page(page_items(self.name, where, page, "reviews"), where, next=next_page_number(page))

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="id",
            text_field="text",
            created_at_field="createdAt",
            title=str(payload.get("title") or ""),
            text=str(payload.get("text") or ""),
            created_at=payload.get("createdAt"),
            rating_field="stars",
            rating=payload.get("stars"),
            rating_range=(1, 5),
            metadata={
                "platform": "trustpilot",
                "business_unit_id": self.config.business_unit_id,
                "language": payload.get("language"),
                "is_verified": bool(payload.get("isVerified")),
                "has_reply": bool(payload.get("companyReply")),
                "updated_at": payload.get("updatedAt"),
            },
            author=dig(payload, "consumer.displayName"),
        )
