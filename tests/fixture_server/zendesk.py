"""Zendesk's incremental ticket export, cursor-based: the path and payload builders."""

from __future__ import annotations

ZENDESK_EXPORT = "/api/v2/incremental/tickets/cursor.json"


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
) -> dict:
    """A ticket as the export returns it (the fields the Tickets API documents, values invented)."""
    ticket = {
        "url": f"{base}/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created_at,
        "updated_at": updated_at,
        "generated_timestamp": 0,
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
    after_url = f"{base}{ZENDESK_EXPORT}?cursor={after_cursor}" if after_cursor else None
    return {
        "tickets": tickets,
        "after_url": after_url,
        "after_cursor": after_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }
