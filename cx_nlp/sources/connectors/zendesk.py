"""Zendesk tickets through the cursor-based incremental export (`/api/v2/incremental/tickets/cursor.json`).

The first run starts from a time (`start_time`); every later run resumes from the `after_cursor` of
the last page, which Zendesk keeps valid, so a nightly run asks only for tickets changed since.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.http import Auth, BasicAuth, BearerAuth, HttpClientConfig, pin_base_url
from cx_nlp.sources.streams import HttpStream, SourceError, SyncContext, dig

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"


def _export_http_defaults() -> HttpClientConfig:
    # The incremental export allows 10 requests a minute (30 with the high-volume add-on).
    return HttpClientConfig(min_interval_s=6.0)


class ZendeskConfig(BaseModel):
    """One Zendesk account. Secrets come from the environment into the SecretStr fields, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="zendesk_tickets", pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["zendesk_tickets"] = "zendesk_tickets"
    base_url: str = Field(description="https://<subdomain>.zendesk.com")
    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    # Zendesk custom field id -> the metadata name it is copied under (the raw payload keeps them all).
    custom_fields: dict[str, str] = Field(default_factory=dict)
    per_page: int | None = Field(default=None, ge=1, le=1000)
    http: HttpClientConfig = Field(default_factory=_export_http_defaults)

    @model_validator(mode="after")
    def _check(self) -> ZendeskConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://acme.zendesk.com")
        if self.api_token is not None and not self.email:
            raise ValueError("api_token needs email: Zendesk API tokens authenticate as '<email>/token'")
        return self


class ZendeskTicketsStream(HttpStream):
    name = "zendesk_tickets"
    primary_keys = ("id",)
    replication_key = "updated_at"
    source_kind = "ticket"
    config_model = ZendeskConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "subject": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            "status": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "via": {"type": "object", "properties": {"channel": {"type": "string"}}},
            "custom_fields": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": True,
    }

    config: ZendeskConfig

    def auth(self) -> Auth | None:
        if self.config.oauth_token is not None:
            return BearerAuth(token=self.config.oauth_token)
        if self.config.api_token is not None:
            return BasicAuth(username=f"{self.config.email}/token", password=self.config.api_token)
        return None

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        url = self.config.base_url + EXPORT_PATH
        if context.state.cursor:
            params: dict[str, object] = {"cursor": context.state.cursor}
        else:
            # Zendesk rejects start_time within the last minute; the caller's `since` is a past interval.
            params = {"start_time": int(context.start.timestamp()) if context.start else 0}
        asked: set[str] = set()
        while True:
            if self.config.per_page:
                params["per_page"] = self.config.per_page
            page = self.client.get_json(url, params=params)
            tickets, after_cursor, end_of_stream = self._page_parts(page, url, params)
            yield from tickets
            # Advanced only once the page's tickets are handed over; sync discards it if a later page fails.
            if after_cursor:
                context.state.cursor = after_cursor
            if end_of_stream or not after_cursor:
                return
            if after_cursor in asked:
                raise SourceError(
                    self.name, f"{url}: export returned cursor {after_cursor!r} twice without end_of_stream"
                )
            asked.add(after_cursor)
            params = {"cursor": after_cursor}

    def _page_parts(self, page: object, url: str, params: dict) -> tuple[list[dict], str | None, bool]:
        where = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
        if not isinstance(page, dict) or not isinstance(page.get("tickets"), list):
            raise SourceError(self.name, f"{where}: expected an object with a 'tickets' list")
        if "end_of_stream" not in page:
            raise SourceError(self.name, f"{where}: response has no 'end_of_stream'")
        tickets = [t for t in page["tickets"] if isinstance(t, dict)]
        return tickets, page.get("after_cursor"), bool(page["end_of_stream"])

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        metadata = {
            "status": payload.get("status"),
            "tags": payload.get("tags") or [],
            "channel": dig(payload, "via.channel"),
            "updated_at": payload.get("updated_at"),
        }
        for item in payload.get("custom_fields") or []:
            if isinstance(item, dict) and str(item.get("id")) in self.config.custom_fields:
                metadata[self.config.custom_fields[str(item.get("id"))]] = item.get("value")
        return self.build_record(
            payload,
            id_field="id",
            text_field="description",
            created_at_field="created_at",
            title=str(payload.get("subject") or ""),
            text=str(payload.get("description") or ""),
            created_at=payload.get("created_at"),
            metadata=metadata,
        )
