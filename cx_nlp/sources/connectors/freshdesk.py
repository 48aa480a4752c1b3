"""Freshdesk tickets through List All Tickets (`/api/v2/tickets`), oldest change first.

Each run asks for tickets with `updated_since` the bookmark, ordered by `updated_at` ascending, and
pages until a short or empty page. Freshdesk refuses pages past 300, so a backlog bigger than that
stops there: the bookmark is the last ticket handed over and the next run carries on from it.
Optionally the customer's own replies (incoming, public conversations) are fetched per ticket and
appended to the text, since in a long ticket the description is only the opening complaint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cx_nlp.normalise import clean_text
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.fields import SOURCE_NAME, dig
from cx_nlp.sources.http import Auth, BasicAuth, HttpClientConfig, pin_base_url
from cx_nlp.sources.paging import EndRules, Page, PageNumberPaginator, page_items
from cx_nlp.sources.streams import HttpStream, SyncContext

TICKETS_PATH = "/api/v2/tickets"
# Freshdesk answers 400 for page > 300 on list endpoints.
MAX_PAGE = 300
# Replies per conversations page: the most Freshdesk serves.
CONVERSATIONS_PER_PAGE = 100
# Without updated_since Freshdesk lists only the last 30 days; a first load with no `since` wants all.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

# The numeric codes of the Tickets API, as names a report can show.
STATUSES = {2: "open", 3: "pending", 4: "resolved", 5: "closed"}
PRIORITIES = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
SOURCES = {
    1: "email",
    2: "portal",
    3: "phone",
    5: "twitter",
    6: "facebook",
    7: "chat",
    9: "feedback_widget",
    10: "outbound_email",
}


def freshdesk_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FreshdeskConfig(BaseModel):
    """One Freshdesk helpdesk; the API key comes from the environment into a SecretStr, never from YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="freshdesk_tickets", pattern=SOURCE_NAME)
    kind: Literal["freshdesk_tickets"] = "freshdesk_tickets"
    base_url: str = Field(description="https://<domain>.freshdesk.com")
    api_key: SecretStr | None = None
    per_page: int = Field(default=100, ge=1, le=100)
    # One more request per ticket (and per 100 replies): worth it where complaints unfold in replies.
    include_conversations: bool = False
    # Freshdesk custom field name (cf_...) -> the metadata name it is copied under.
    custom_fields: dict[str, str] = Field(default_factory=dict)
    http: HttpClientConfig = Field(default_factory=HttpClientConfig)

    @model_validator(mode="after")
    def _check(self) -> FreshdeskConfig:
        self.base_url, self.http = pin_base_url(self.base_url, self.http, example="https://acme.freshdesk.com")
        return self


class FreshdeskTicketsStream(HttpStream):
    name = "freshdesk_tickets"
    primary_keys = ("id",)
    replication_key = "updated_at"
    source_kind = "ticket"
    config_model = FreshdeskConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "subject": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            "description_text": {"type": ["string", "null"]},
            "status": {"type": "integer"},
            "priority": {"type": "integer"},
            "source": {"type": "integer"},
            "type": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "custom_fields": {"type": "object"},
            # Added by this connector when include_conversations is on.
            "customer_replies": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "created_at": {"type": "string"}, "body_text": {}},
                },
            },
        },
        "additionalProperties": True,
    }

    config: FreshdeskConfig

    def auth(self) -> Auth | None:
        if self.config.api_key is None:
            return None
        # Freshdesk authenticates the key as the username; the password is ignored but must be present.
        return BasicAuth(username=self.config.api_key, password=SecretStr("X"))

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        since = freshdesk_time(context.start or EARLIEST)
        paginator = PageNumberPaginator(
            self.name,
            partial(self._tickets_page, since=since),
            until=EndRules(short_page=self.config.per_page),
            max_pages=MAX_PAGE,
            max_pages_warning=(
                "source {stream}: stopped at Freshdesk's last page ({max_pages}) for updated_since="
                f"{since}; the next run resumes from the bookmark"
            ),
        )
        for page in paginator.pages():
            for ticket in page.items:
                if self.config.include_conversations and ticket.get("id") is not None:
                    ticket = {**ticket, "customer_replies": self._customer_replies(ticket["id"])}
                yield ticket

    def _tickets_page(self, number: int, *, since: str) -> Page:
        params = {
            "updated_since": since,
            "per_page": self.config.per_page,
            "page": number,
            "order_by": "updated_at",
            "order_type": "asc",
            "include": "description",
        }
        return self._list_page(self.config.base_url + TICKETS_PATH, params)

    def _customer_replies(self, ticket_id: object) -> list[dict]:
        url = f"{self.config.base_url}{TICKETS_PATH}/{ticket_id}/conversations"
        paginator = PageNumberPaginator(
            self.name,
            lambda number: self._list_page(url, {"per_page": CONVERSATIONS_PER_PAGE, "page": number}),
            until=EndRules(short_page=CONVERSATIONS_PER_PAGE),
            max_pages=MAX_PAGE,
            max_pages_warning=None,
        )
        return [
            {"id": c.get("id"), "created_at": c.get("created_at"), "body_text": c.get("body_text")}
            for page in paginator.pages()
            for c in page.items
            if c.get("incoming") and not c.get("private")
        ]

    def _list_page(self, url: str, params: dict) -> Page:
        # Freshdesk lists are bare JSON arrays; a short page counts every entry, object or not.
        page, where = self.get_page(url, params)
        return Page(page_items(self.name, where, page), where, size=len(page))

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        description = str(payload.get("description_text") or "").strip()
        if not description and payload.get("description"):
            description = clean_text(str(payload["description"]))
        # Each reply is cleaned on its own: a quoted-reply header in one would otherwise cut off every
        # reply after it once they are joined.
        replies = [clean_text(str(r.get("body_text") or "")) for r in payload.get("customer_replies") or []]
        text = "\n\n".join(part for part in (description, *replies) if part)
        metadata = {
            "status": STATUSES.get(payload.get("status"), payload.get("status")),  # type: ignore[arg-type]
            "priority": PRIORITIES.get(payload.get("priority"), payload.get("priority")),  # type: ignore[arg-type]
            "channel": SOURCES.get(payload.get("source"), payload.get("source")),  # type: ignore[arg-type]
            "type": payload.get("type"),
            "tags": payload.get("tags") or [],
            "updated_at": payload.get("updated_at"),
        }
        custom = payload.get("custom_fields") if isinstance(payload.get("custom_fields"), dict) else {}
        for field_name, metadata_name in self.config.custom_fields.items():
            if field_name in custom:
                metadata[metadata_name] = custom[field_name]
        return self.build_record(
            payload,
            id_field="id",
            text_field="description_text",
            created_at_field="created_at",
            title=str(payload.get("subject") or ""),
            text=text,
            created_at=payload.get("created_at"),
            metadata=metadata,
            # Present where the requester is embedded (`include=requester`); the ticket alone has only an id.
            author=dig(payload, "requester.name"),
        )
