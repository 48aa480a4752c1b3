"""A feedback's every segment an issue holds is stored, and the next night reads each back in place."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse import store
from cx_nlp.warehouse.db import make_engine, upgrade

DAY = date(2026, 11, 10)


def _feedback(feedback_id: str) -> dict:
    return {
        "feedback_id": feedback_id, "source": "s", "external_id": feedback_id, "source_kind": "review",
        "text": "t", "content_hash": f"h-{feedback_id}", "language": "en", "language_confidence": 1.0,
        "created_at": datetime(2026, 11, 10, tzinfo=UTC), "created_day": DAY, "metadata": {},
        "pii_redactions": {}, "raw_record_key": f"k-{feedback_id}", "run_id": "r",
    }  # fmt: skip


def _issue(issue_id: str) -> dict:
    return {
        "issue_id": issue_id, "touchpoint": "delivery", "label": "late", "keywords": [], "representatives": [],
        "centroid": b"\x00" * 16, "volume": 2, "volume_last_7_days": 2, "negative_share": 1.0,
        "mean_sentiment": -0.5, "first_seen": DAY, "last_seen": DAY, "status": "active", "window_end": DAY,
        "run_id": "r",
    }  # fmt: skip


def test_every_segment_an_issue_holds_is_read_back_as_the_night_before(warehouse_url):
    engine = make_engine(warehouse_url)
    upgrade(engine)
    member = {"similarity": 0.9, "method": "cluster"}
    with engine.begin() as connection:
        connection.execute(t.feedback.insert(), [_feedback("long"), _feedback("short"), _feedback("older")])
        connection.execute(t.issue.insert(), [_issue("delivery-0001"), _issue("billing-0001")])
        connection.execute(
            t.issue_member.insert(),
            [
                # A narrative whose segments 0 and 3 are in the late-delivery issue, 2 in the billing one.
                {"issue_id": "delivery-0001", "feedback_id": "long", "segment_position": 3, "segment_positions": [0, 3]}
                | member,
                {"issue_id": "billing-0001", "feedback_id": "long", "segment_position": 2, "segment_positions": [2]}
                | member,
                # A short feedback mined whole, and a row stored before every segment was: its one segment.
                {
                    "issue_id": "delivery-0001",
                    "feedback_id": "short",
                    "segment_position": None,
                    "segment_positions": None,
                }
                | member,
                {"issue_id": "billing-0001", "feedback_id": "older", "segment_position": 1, "segment_positions": None}
                | member,
            ],
        )
    with engine.connect() as connection:
        memberships = store.prior_memberships(connection)
    engine.dispose()
    assert memberships == {
        ("long", 0): "delivery-0001",
        ("long", 3): "delivery-0001",
        ("long", 2): "billing-0001",
        ("short", None): "delivery-0001",
        ("older", 1): "billing-0001",
    }


def test_a_feedback_mined_whole_has_no_segment_list(warehouse_url):
    """SQL NULL, not a JSON null, so `segment_positions IS NULL` finds the feedback mined whole."""
    from sqlalchemy import text

    engine = make_engine(warehouse_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(t.feedback.insert(), [_feedback("short")])
        connection.execute(t.issue.insert(), [_issue("delivery-0001")])
        row = {"issue_id": "delivery-0001", "feedback_id": "short", "similarity": 0.9, "method": "cluster"}
        connection.execute(t.issue_member.insert(), [row | {"segment_position": None, "segment_positions": None}])
        whole = connection.execute(text("SELECT COUNT(*) FROM issue_member WHERE segment_positions IS NULL"))
        assert whole.scalar_one() == 1
    engine.dispose()


def test_memberships_are_written_as_they_are_made_a_batch_at_a_time(warehouse_url):
    """A large window has millions of memberships: the write takes them from a generator, 500 rows a
    statement, and stores every one."""
    from cx_nlp.warehouse.statements import chunks

    assert [len(part) for part in chunks(iter(range(1_234)))] == [500, 500, 234]
    assert list(chunks([])) == []
    engine = make_engine(warehouse_url)
    upgrade(engine)
    ids = [f"f{number}" for number in range(1_234)]
    made: list[str] = []

    def members():
        for feedback_id in ids:
            made.append(feedback_id)
            yield {"issue_id": "delivery-0001", "feedback_id": feedback_id, "similarity": 0.9, "method": "cluster"}

    write = store.IssuesWrite(
        window_start=DAY,
        window_end=date(2026, 11, 11),
        issues=[_issue("delivery-0001")],
        snapshots=[],
        resolved_issue_ids=[],
        merged_issue_ids=[],
        issue_members=members(),
        issue_daily=[],
        touchpoint_daily=[],
    )
    with engine.begin() as connection:
        connection.execute(t.feedback.insert(), [_feedback(feedback_id) for feedback_id in ids])
        store.write_issues(connection, write)
    with engine.connect() as connection:
        stored = connection.execute(select(t.issue_member.c.feedback_id)).scalars().all()
    engine.dispose()
    assert made == ids and sorted(stored) == sorted(ids)
