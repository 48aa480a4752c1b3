"""Google Business Profile reviews of one location (`GET /v4/accounts/{a}/locations/{l}/reviews`).

Reviews are asked for newest *update* first, so a review that was edited (or whose owner reply changed)
comes back as a new raw row and the run stops at the first review updated before the bookmark.
The OAuth access token is short-lived: whoever runs the pipeline refreshes it and hands it over through
the environment; this connector only sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.connectors.review_api import PATH_SEGMENT, ReviewListingStream
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import Auth, BearerAuth, HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import CursorPaginator, EndRules, Page, Paginator, page_items

# The API's StarRating enum; STAR_RATING_UNSPECIFIED means "no rating", not a bad one.
STAR_RATINGS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
UNSPECIFIED = "STAR_RATING_UNSPECIFIED"


def _google_http_defaults() -> HttpClientConfig:
    # The Business Profile APIs allow 300 requests a minute per project, shared by every location we read.
    return HttpClientConfig(min_interval_s=0.5)


class GoogleBusinessConfig(BaseModel):
    """One Business Profile location; `oauth_token` comes from the environment, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="google_business_reviews", pattern=SOURCE_NAME)
    kind: Literal["google_business_reviews"] = "google_business_reviews"
    base_url: str = "https://mybusiness.googleapis.com"
    account_id: str = Field(pattern=PATH_SEGMENT)
    location_id: str = Field(pattern=PATH_SEGMENT)
    oauth_token: SecretStr
    page_size: int = Field(default=50, ge=1, le=50)
    http: HttpClientConfig = Field(default_factory=_google_http_defaults)

    @field_validator("account_id", "location_id", mode="before")
    @classmethod
    def _bare_id(cls, value: object) -> object:
        # The API names resources "accounts/123" and "locations/456"; people paste either form.
        if isinstance(value, str):
            return value.strip().removeprefix("accounts/").removeprefix("locations/")
        return value

    @model_validator(mode="after")
    def _check(self) -> GoogleBusinessConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://mybusiness.googleapis.com")
        return self


class GoogleBusinessReviewsStream(ReviewListingStream):
    name = "google_business_reviews"
    primary_keys = ("reviewId",)
    replication_key = "updateTime"
    source_kind = "review"
    config_model = GoogleBusinessConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["name", "reviewId", "starRating", "createTime", "updateTime"],
        "properties": {
            "name": {"type": "string", "description": "accounts/{a}/locations/{l}/reviews/{reviewId}"},
            "reviewId": {"type": "string"},
            "reviewer": {
                "type": "object",
                "properties": {
                    "displayName": {"type": "string"},
                    "profilePhotoUrl": {"type": "string"},
                    "isAnonymous": {"type": "boolean"},
                },
            },
            "starRating": {"enum": [UNSPECIFIED, *STAR_RATINGS]},
            "comment": {"type": "string", "description": "absent on a star-only review"},
            "createTime": {"type": "string", "format": "date-time"},
            "updateTime": {"type": "string", "format": "date-time"},
            "reviewReply": {
                "type": "object",
                "properties": {"comment": {"type": "string"}, "updateTime": {"type": "string", "format": "date-time"}},
            },
        },
        "additionalProperties": True,
    }

    config: GoogleBusinessConfig

    def auth(self) -> Auth | None:
        return BearerAuth(token=self.config.oauth_token)

    @property
    def reviews_url(self) -> str:
        config = self.config
        return f"{config.base_url}/v4/accounts/{config.account_id}/locations/{config.location_id}/reviews"

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        return CursorPaginator(
            self.name,
            self._reviews_page,
            until=EndRules(no_next=True, passed=passed),
            loop_message="{url}: nextPageToken {next!r} came back twice",
        )

    def _reviews_page(self, token: str | None) -> Page:
        params: dict[str, object] = {"pageSize": self.config.page_size, "orderBy": "updateTime desc"}
        if token:
            params["pageToken"] = token
        page, where = self.get_page(self.reviews_url, params)
        # Google leaves empty lists out of its JSON: a location without reviews answers `{}`.
        reviews = page_items(self.name, where, page, "reviews", absent_is_empty=True)
        return Page(reviews, where, next=page.get("nextPageToken") or None)

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        star = payload.get("starRating")
        metadata = {
            "platform": "google_business",
            "account_id": self.config.account_id,
            "location_id": self.config.location_id,
            "star_rating": star,
            "update_time": payload.get("updateTime"),
            "has_reply": bool(payload.get("reviewReply")),
            "reviewer_anonymous": bool(dig(payload, "reviewer.isAnonymous")),
        }
        outcome = self.build_record(
            payload,
            id_field="reviewId",
            text_field="comment",
            created_at_field="createTime",
            text=str(payload.get("comment") or ""),
            created_at=payload.get("createTime"),
            rating_field="starRating",
            rating=STAR_RATINGS.get(star) if isinstance(star, str) else None,
            rating_range=(1, 5),
            metadata=metadata,
            # An anonymous reviewer's display name is a placeholder ("A Google User"), not a person.
            author=None if dig(payload, "reviewer.isAnonymous") else dig(payload, "reviewer.displayName"),
        )
        if isinstance(outcome, SourceRecord) and star not in (None, UNSPECIFIED, *STAR_RATINGS):
            return QuarantinedRecord(
                self.name,
                outcome.raw_record_key,
                "starRating",
                f"record {outcome.external_id!r}: starRating {star!r} is not one of ONE..FIVE",
                payload,
            )
        return outcome
