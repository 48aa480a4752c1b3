"""Zendesk tickets through the cursor-based incremental export (`/api/v2/incremental/tickets/cursor.json`).

The first run starts from a time (`start_time`); every later run resumes from the `after_cursor` of
the last page, which Zendesk keeps valid, so a nightly run asks only for tickets changed since.
Everything the export sends after the cursor is a change, so it is delivered whatever its `updated_at`:
a ticket deleted since it was read comes back with status `deleted` and the `updated_at` it had, and
lands as a new version (`Stream.changes_since_cursor`). The requester's name, where the ticket names
it (`via.source.from` of an e-mailed ticket), is the record's `author`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import Auth, BasicAuth, BearerAuth, HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import CursorPaginator, EndRules, Page, page_items
from cx_nlp.sources.streams import HttpStream, SourceError, SyncContext

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"


def _export_http_defaults() -> HttpClientConfig:
    # The incremental export allows 10 requests a minute (30 with the high-volume add-on).
    return HttpClientConfig(min_interval_s=6.0)


class ZendeskConfig(BaseModel):
    """One Zendesk account. Secrets come from the environment into the SecretStr fields, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="zendesk_tickets", pattern=SOURCE_NAME)
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
    # The export cursor hands over only tickets changed since it, some with an `updated_at` before the
    # bookmark (a deleted ticket keeps its own): every one of them is a new version.
    changes_since_cursor = True
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "subject": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            "status": {"type": "string", "description": "'deleted' for a ticket deleted since it was read"},
            "generated_timestamp": {"type": "integer", "description": "when the export last wrote the ticket"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "via": {
                "type": "object",
                "properties": {
                    "channel": {"type": "string"},
                    "source": {
                        "type": "object",
                        "properties": {"from": {"type": "object", "description": "address and name, e-mail only"}},
                    },
                },
            },
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
        # Zendesk rejects start_time within the last minute; the caller's `since` is a past interval.
        start_time = int(context.start.timestamp()) if context.start else 0
        paginator = CursorPaginator(
            self.name,
            partial(self._export_page, start_time=start_time),
            first=context.state.cursor,
            until=EndRules(end_of_stream=True, no_next=True),
            loop_message="{url}: export returned cursor {next!r} twice without end_of_stream",
        )
        for page in paginator.pages():
            yield from page.items
            # Advanced only once the page's tickets are handed over; sync discards it if a later page fails.
            if page.next:
                context.state.cursor = page.next  # type: ignore[assignment]

    def _export_page(self, cursor: str | None, *, start_time: int) -> Page:
        url = self.config.base_url + EXPORT_PATH
        params: dict[str, object] = {"cursor": cursor} if cursor else {"start_time": start_time}
        if self.config.per_page:
            params["per_page"] = self.config.per_page
        page, where = self.get_page(url, params)
        tickets = page_items(self.name, where, page, "tickets")
        if "end_of_stream" not in page:
            raise SourceError(self.name, f"{where}: response has no 'end_of_stream'")
        return Page(tickets, where, next=page.get("after_cursor") or None, end_of_stream=bool(page["end_of_stream"]))

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
            # The sender of an e-mailed ticket; a web form or an app names none in the ticket itself.
            author=dig(payload, "via.source.from.name"),
        )
