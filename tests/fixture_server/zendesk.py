"""Zendesk's incremental ticket export, cursor-based: the path and payload builders."""

from __future__ import annotations

from datetime import datetime

ZENDESK_EXPORT = "/api/v2/incremental/tickets/cursor.json"


def _epoch(value: str) -> int:
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        return 0


def zendesk_ticket(
    ticket_id: int | None,
    *,
    subject: str | None,
    description: str | None,
    created_at: str,
    updated_at: str,
    status: str = "open",
    tags: tuple[str, ...] = (),
    channel: str = "email",
    custom_fields: dict[int, object] | None = None,
    base: str = "https://acme.zendesk.com",
    requester: tuple[str, str] | None = ("Jane Doe", "jane.doe@mail.example"),
    generated_at: str | None = None,
) -> dict:
    """A ticket as the export returns it (the fields the Tickets API documents, values invented).

    An e-mailed ticket names its sender in `via.source.from`; a web form or an app leaves `from` empty.
    `generated_timestamp` is when Zendesk last wrote the ticket into the export (a deletion moves it,
    `updated_at` not): `generated_at`, else `updated_at`.
    """
    sender = {"address": requester[1], "name": requester[0]} if channel == "email" and requester else {}
    to = {"name": "Acme Support", "address": "support@acme.example"} if channel == "email" else {}
    ticket = {
        "url": f"{base}/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": channel, "source": {"from": sender, "to": to, "rel": None}},
        "created_at": created_at,
        "updated_at": updated_at,
        "generated_timestamp": _epoch(generated_at or updated_at),
        "type": "problem",
        "subject": subject,
        "raw_subject": subject,
        "description": description,
        "priority": "normal",
        "status": status,
        "recipient": "support@acme.example",
        "requester_id": 9000 + (ticket_id or 0),
        "submitter_id": 9000 + (ticket_id or 0),
        "assignee_id": 501,
        "organization_id": None,
        "group_id": 42,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": list(tags),
        "custom_fields": [{"id": fid, "value": value} for fid, value in (custom_fields or {}).items()],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": 1,
        "fields": [{"id": fid, "value": value} for fid, value in (custom_fields or {}).items()],
        "followup_ids": [],
        "ticket_form_id": 360000001,
        "brand_id": 360000002,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    return ticket


def zendesk_export_page(tickets: list[dict], after_cursor: str | None, end_of_stream: bool, base: str) -> dict:
    """An export page: the cursors both ways (a page of tickets can be walked back), and `end_of_stream`."""
    after_url = f"{base}{ZENDESK_EXPORT}?cursor={after_cursor}" if after_cursor else None
    before_cursor = f"b.{after_cursor}" if tickets and after_cursor else None
    return {
        "tickets": tickets,
        "after_url": after_url,
        "after_cursor": after_cursor,
        "before_url": f"{base}{ZENDESK_EXPORT}?cursor={before_cursor}" if before_cursor else None,
        "before_cursor": before_cursor,
        "end_of_stream": end_of_stream,
    }
