"""An issue's members and their feedback are made from the units it holds as they are read
(`cx_nlp.issues.members`): the same records an issue held as objects, one per feedback."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from cx_nlp.issues.members import ClosestUnits, IssueMembers, MemberFeedback
from cx_nlp.issues.records import IssueMember
from cx_nlp.issues.units import MiningUnit
from cx_nlp.records import WindowDocument, WindowSegment


def _feedback(feedback_id: str, segments: int, label: str = "positive") -> WindowDocument:
    parts = tuple(
        WindowSegment(
            p, f"{feedback_id} part {p}", f"h-{feedback_id}-{p}", "negative", (-0.25, -0.5, -0.75)[p], "delivery", None
        )
        for p in range(segments)
    )
    return WindowDocument(
        feedback_id, f"{feedback_id} text", f"h-{feedback_id}", date(2026, 11, 2), 4.0, "review", label, 0.5,
        "delivery", None, segments=parts,
    )  # fmt: skip


@pytest.fixture
def cluster():
    """Seven units of four feedback, in cluster order: b's second segment is closer than its first, c
    is whole, a ties with itself (the earlier unit stays), d comes in as an outlier pulled in."""
    a, b, c, d = _feedback("a", 3), _feedback("b", 2), _feedback("c", 0, "negative"), _feedback("d", 1)
    units = [
        MiningUnit(b, 0),
        MiningUnit(a, 2),
        MiningUnit(c),
        MiningUnit(b, 1),
        MiningUnit(a, 0),
        MiningUnit(d, 0),
        MiningUnit(a, 1),
    ]
    similarities = np.array([0.61, 0.7, 0.8, 0.75, 0.7, 0.52, 0.69], dtype=np.float32)
    methods = np.array(["cluster", "known", "cluster", "cluster", "cluster", "nearest", "known"], dtype=object)
    return units, similarities, methods


def test_each_feedback_counts_once_through_its_closest_unit_in_order_of_first_appearance(cluster):
    units, similarities, methods = cluster
    members = IssueMembers("delivery-0007", ClosestUnits(units, similarities, methods))

    assert list(members) == [
        IssueMember("delivery-0007", "b", round(float(np.float32(0.75)), 4), "cluster", 1, (0, 1)),
        IssueMember("delivery-0007", "a", round(float(np.float32(0.7)), 4), "known", 2, (0, 1, 2)),
        IssueMember("delivery-0007", "c", round(float(np.float32(0.8)), 4), "cluster", None, None),
        IssueMember("delivery-0007", "d", round(float(np.float32(0.52)), 4), "nearest", 0, (0,)),
    ]
    assert len(members) == 4
    assert [members[i] for i in range(4)] == list(members) == members[:]
    assert members[-1] == members[3] and members[1:3] == list(members)[1:3]
    with pytest.raises(IndexError):
        members[4]


def test_member_feedback_carries_the_tone_of_the_unit_that_counts_it(cluster):
    units, similarities, methods = cluster
    feedback = MemberFeedback(ClosestUnits(units, similarities, methods))

    read = list(feedback)
    assert [d.feedback_id for d in read] == ["b", "a", "c", "d"]
    # b through its second segment, a its third; c whole keeps the feedback's own tone.
    assert [(d.label, d.score) for d in read] == [
        ("negative", -0.5),
        ("negative", -0.75),
        ("negative", 0.5),
        ("negative", -0.25),
    ]
    assert read[0].text == "b text" and read[0].rating == 4.0 and units[0].document.label == "positive"
    assert feedback[1] == read[1] and feedback[-4] == read[0] and feedback[2:] == read[2:]
    with pytest.raises(IndexError):
        feedback[-5]


def test_a_membership_is_written_as_the_row_of_its_fields(cluster):
    from dataclasses import asdict

    from cx_nlp.warehouse.rows import member_row

    units, similarities, methods = cluster
    members = list(IssueMembers("delivery-0007", ClosestUnits(units, similarities, methods)))
    assert [member_row(m) for m in members] == [asdict(m) for m in members]
    assert member_row(members[2]) == {
        "issue_id": "delivery-0007", "feedback_id": "c", "similarity": 0.8, "method": "cluster",
        "segment_position": None, "segment_positions": None,
    }  # fmt: skip
