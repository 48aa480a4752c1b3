"""Freshdesk: List All Tickets, page numbers ending on a short page."""

from __future__ import annotations

FRESHDESK_TICKETS = "/api/v2/tickets"


def freshdesk_tickets_query(updated_since: str, page: int, per_page: int) -> dict[str, str]:
    """The exact query the connector sends for one page (the fixture routes match queries exactly)."""
    return {
        "updated_since": updated_since,
        "per_page": str(per_page),
        "page": str(page),
        "order_by": "updated_at",
        "order_type": "asc",
        "include": "description",
    }


def freshdesk_ticket(
    ticket_id: int | None,
    *,
    subject: str | None,
    description_text: str | None,
    created_at: str,
    updated_at: str,
    status: int = 2,
    priority: int = 1,
    source: int = 1,
    ticket_type: str | None = "Problem",
    tags: tuple[str, ...] = (),
    custom_fields: dict[str, object] | None = None,
) -> dict:
    """A ticket as List All Tickets returns it with include=description (documented fields, invented values)."""
    description = f"<div>{description_text}</div>" if description_text is not None else None
    return {
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "ticket_cc_emails": [],
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": 77000001,
        "priority": priority,
        "requester_id": 77100000 + (ticket_id or 0),
        "responder_id": None,
        "source": source,
        "company_id": None,
        "status": status,
        "subject": subject,
        "association_type": None,
        "support_email": None,
        "to_emails": None,
        "product_id": None,
        "id": ticket_id,
        "type": ticket_type,
        "due_by": "2026-12-01T10:00:00Z",
        "fr_due_by": "2026-11-28T10:00:00Z",
        "is_escalated": False,
        "description": description,
        "description_text": description_text,
        "custom_fields": dict(custom_fields or {}),
        "created_at": created_at,
        "updated_at": updated_at,
        "tags": list(tags),
        "attachments": [],
        "nr_due_by": None,
        "nr_escalated": False,
    }


def freshdesk_conversation(
    conversation_id: int, ticket_id: int, body_text: str, *, incoming: bool, private: bool = False
) -> dict:
    """One entry of `GET /api/v2/tickets/{id}/conversations` (a reply or a note)."""
    return {
        "body": f"<div>{body_text}</div>",
        "body_text": body_text,
        "id": conversation_id,
        "incoming": incoming,
        "private": private,
        "user_id": 77100000 + ticket_id if incoming else 77000500,
        "support_email": None if incoming else "support@acme.example",
        "source": 0,
        "category": 2,
        "to_emails": ["support@acme.example"] if incoming else [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": None,
        "email_failure_count": None,
        "outgoing_failures": None,
        "thread_id": None,
        "thread_message_id": None,
        "created_at": "2026-10-04T08:00:00Z",
        "updated_at": "2026-10-04T08:00:00Z",
        "last_edited_at": None,
        "last_edited_user_id": None,
        "attachments": [],
        "automation_id": None,
        "automation_type_id": None,
        "auto_response": False,
        "ticket_id": ticket_id,
        "source_additional_info": None,
    }
