"""PII in what the warehouse keeps besides the text: raw and quarantined payloads, reasons, metadata."""

from __future__ import annotations

from datetime import UTC, datetime

from cx_nlp.feedback import NormaliseResult
from cx_nlp.pii import redact_metadata, redact_payload
from cx_nlp.records import QuarantinedRecord, RawRecord
from cx_nlp.sources.fields import payload_key
from cx_nlp.sources.ingest import LoadResult
from cx_nlp.warehouse.rows import quarantine_rows, raw_rows

TICKET = {
    "ticket_id": "ZD-1001",
    "created": datetime(2026, 10, 21, 9, 14, tzinfo=UTC),
    "subject": "Refund for order NW-4855631",
    "description": "Call me on 0151 23456789 or mail josé@exämple.de. Card 4111.1111.1111.1111, 2 days late.",
    "priority": 2,
    "author": "Jane Doe",
    "requester": {"name": "Jane Doe", "email": "jane.doe84@example.co.uk", "id": 99},
    "via": {"source": {"from": {"address": "jane.doe84@example.co.uk", "name": "Jane Doe"}}},
    "tags": ["refund", "ip 192.168.1.20"],
    "phone": 447911123456,
    "message_id": "<CAF123@mail.example.com>",
}


def test_every_string_of_a_payload_is_redacted_at_any_depth():
    redacted = redact_payload(TICKET, keep={"ticket_id"}, names=False)

    assert redacted["description"] == "Call me on [PHONE] or mail [EMAIL]. Card [CARD], 2 days late."
    assert redacted["tags"] == ["refund", "ip [IP]"]
    assert redacted["subject"] == "Refund for order NW-4855631"  # references survive


def test_people_and_contacts_under_their_keys_are_replaced_whatever_they_hold():
    redacted = redact_payload(TICKET, keep={"ticket_id"}, names=False)

    assert redacted["author"] == "[NAME]"
    assert redacted["requester"] == {"name": "[NAME]", "email": "[NAME]", "id": 99}  # ids still join
    assert redacted["via"] == {"source": {"from": {"address": "[NAME]", "name": "[NAME]"}}}
    assert redacted["phone"] == "[PHONE]"  # a number, but under a contact key


def test_identifiers_dates_and_numbers_stay_as_delivered():
    payload = dict(TICKET, ticket_id="98765 43210")  # an id that reads like an Indian mobile

    redacted = redact_payload(payload, keep={"ticket_id"}, names=False)

    assert redacted["ticket_id"] == "98765 43210"
    assert redacted["created"] == TICKET["created"] and redacted["priority"] == 2
    assert redacted["message_id"] == "<CAF123@mail.example.com>"  # an identifier, kept for threading
    assert TICKET["description"].startswith("Call me on 0151")  # the original is not touched


def test_metadata_keeps_names_out_and_redacts_free_text():
    metadata = {
        "platform": "trustpilot",
        "store_location": "Manchester Trafford Park",
        "author": "Priya Sharma",
        "reviewer": {"displayName": "Sam K.", "profilePhotoUrl": "https://x.example/p.jpg"},
        "notes": "customer asked to be called on 98765 43210",
        "from": "Claire Dunn <claire.dunn@example.net>",
        "tags": ["vip", "jane.doe84@example.co.uk"],
        "rating_count": 12,
    }

    assert redact_metadata(metadata, names=False) == {
        "platform": "trustpilot",
        "store_location": "Manchester Trafford Park",
        "author": "[NAME]",
        "reviewer": {"displayName": "[NAME]", "profilePhotoUrl": "[NAME]"},
        "notes": "customer asked to be called on [PHONE]",
        "from": "[NAME]",
        "tags": ["vip", "[EMAIL]"],
        "rating_count": 12,
    }


def test_from_and_to_without_an_address_are_dates_not_people():
    payload = {"period": {"from": "2026-10-01", "to": "2026-10-31"}, "from": "Jane Doe <jane@example.org>"}
    assert redact_payload(payload, names=False) == {
        "period": {"from": "2026-10-01", "to": "2026-10-31"},
        "from": "[NAME]",
    }


def test_a_bare_name_key_is_a_resource_or_a_product_not_a_person():
    payload = {"name": "accounts/1/locations/2/reviews/3", "itemReviewed": {"name": "Oslo 3-seater sofa"}}
    assert redact_payload(payload, names=False) == payload


def _load(raw: list[RawRecord], quarantined: list[QuarantinedRecord] = ()) -> LoadResult:
    return LoadResult(raw=raw, quarantined=list(quarantined), id_column="ticket_id", source="tickets")


def test_raw_and_quarantine_rows_store_redacted_payloads_under_the_original_keys():
    key = payload_key(TICKET)
    bad = dict(TICKET, ticket_id="ZD-1002", created="call 030 12345678")
    bad_key = payload_key(bad)
    reason = f"record 'ZD-1002': unparseable date {bad['created']!r}"
    quarantined = [QuarantinedRecord("tickets", bad_key, "created", reason, bad)]
    load = _load([RawRecord("tickets", key, TICKET, 1), RawRecord("tickets", bad_key, bad, 2)], quarantined)

    raws = list(raw_rows([load], NormaliseResult(), quarantined, lambda keys: {}, "run-1"))
    rows = quarantine_rows([load], quarantined, "run-1")

    assert [r["record_key"] for r in raws] == [key, bad_key]  # keys of the payloads as delivered
    assert [r["external_id"] for r in raws] == ["ZD-1001", "ZD-1002"]
    assert payload_key(raws[0]["payload"]) != key
    assert "0151" not in str(raws) and "exämple" not in str(raws) and "Jane" not in str(raws)
    assert raws[0]["payload"]["created"] == "2026-10-21 09:14:00+00:00"
    [row] = rows
    assert row["reason"] == "record 'ZD-1002': unparseable date 'call [PHONE]'"
    assert row["payload"]["created"] == "call [PHONE]" and row["external_id"] == "ZD-1002"
    assert "Jane" not in str(row) and "4111" not in str(row)


def test_building_the_rows_twice_gives_the_same_rows():
    load = _load([RawRecord("tickets", payload_key(TICKET), TICKET, 1)])

    first = list(raw_rows([load], NormaliseResult(), [], lambda keys: {}, "run-1"))
    again = list(raw_rows([load], NormaliseResult(), [], lambda keys: {}, "run-1"))

    assert first == again
