"""Issues are mined from problem segments: one feedback can feed several issues, a positive review's
complaint still counts, and every figure counts distinct feedback. Planted vectors (tests/synthetic.py),
no model."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial

import numpy as np
import pytest
from synthetic import TEMPLATES_MERGE_SIMILARITY, planted_embeddings

from cx_nlp.issues import IssueMiner, IssueTracker, IssueWindow, problem_units
from cx_nlp.issues.units import never_mined
from cx_nlp.records import UNSCORED, WindowDocument, WindowSegment

LATE = "My parcel arrived {} days late and nobody told me"
COUPON = "The discount code SAVE{} is rejected at checkout"
PRAISE = "The staff in the shop were lovely, thank you"
START, END = date(2026, 10, 19), date(2026, 11, 16)


def _segment(position, text, label, vector, touchpoint="delivery"):
    return WindowSegment(position, text, f"s-{text}", label, -0.7 if label == "negative" else 0.7, touchpoint, vector)


# Long feedback is read in segments; the words below make every test document long enough.
STORY = " ".join(["I have been a customer for years and I usually order everything for the house here."] * 3)


def _document(feedback_id, segments, label, rating=None, language="en", story=STORY):
    text = " ".join([*(s.text for s in segments), story]).strip()
    vector = np.mean([s.embedding for s in segments], axis=0)
    score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}.get(label, 0.0)
    return WindowDocument(
        feedback_id, text, f"h-{feedback_id}", date(2026, 11, 10), rating, "review", label, score,
        segments[0].touchpoint, vector / np.linalg.norm(vector), None, language, tuple(segments),
    )  # fmt: skip


# Each problem is planted as five templates, which the miner finds whole at this bar.
_MINER = partial(IssueMiner, merge_similarity=TEMPLATES_MERGE_SIMILARITY)


@pytest.fixture(scope="module")
def window_documents():
    """30 reviews: f0-f18 tell of a late parcel (f0 twice), f10-f29 of a rejected discount code, so
    f10-f18 raise both; f0-f9 are positive reviews overall whose one complaint is the late parcel."""
    gold = np.array([0] * 20 + [1] * 20)
    vectors = planted_embeddings(gold, np.arange(40) % 5, seed=3)
    late, coupon = list(vectors[:20]), list(vectors[20:])
    praise = np.random.default_rng(5).standard_normal(vectors.shape[1]).astype(np.float32)
    praise /= np.linalg.norm(praise)
    documents = []
    for i in range(30):
        parts = []
        if i < 19:
            parts.append(_segment(0, LATE.format(i + 2), "negative", late.pop(0)))
        if i == 0:
            parts.append(_segment(1, LATE.format(40), "negative", late.pop(0)))
        if i >= 10:
            parts.append(_segment(len(parts), COUPON.format(i), "negative", coupon.pop(0), "checkout"))
        parts.append(_segment(len(parts), PRAISE, "positive", praise, "store"))
        documents.append(_document(f"f{i}", parts, "positive" if i < 10 else "negative"))
    return documents


@pytest.fixture(scope="module")
def mined(window_documents):
    window = IssueWindow(window_documents, [], START, END, "run")
    return IssueTracker(_MINER, embedding_languages=["en"]).track(window)


def _issue(mined, touchpoint):
    [found] = [m for m in mined.issues if m.issue.touchpoint == touchpoint]
    return found


def test_a_feedback_feeds_every_issue_it_raises_and_is_counted_once_in_each(mined):
    late, coupon = _issue(mined, "delivery"), _issue(mined, "checkout")
    assert len(mined.issues) == 2
    assert [m.feedback_id for m in late.members] == [f"f{i}" for i in range(19)]
    assert [m.feedback_id for m in coupon.members] == [f"f{i}" for i in range(10, 30)]
    # f0 tells of the late parcel twice: one feedback, one member, one in the volume.
    assert late.issue.figures.volume == 19 and coupon.issue.figures.volume == 20
    assert sum(d.volume for d in late.daily) == 19
    # Each member names the segment that put it in the issue.
    positions = {m.feedback_id: m.segment_position for m in coupon.members}
    assert positions["f10"] == 1 and positions["f19"] == 0
    assert {m.segment_position for m in late.members} <= {0, 1}
    # ... and every segment it holds: f0's two late-parcel segments, so the next night finds both.
    held = {m.feedback_id: m.segment_positions for m in late.members}
    assert held["f0"] == (0, 1) and held["f5"] == (0,)
    assert {m.feedback_id: m.segment_positions for m in coupon.members}["f10"] == (1,)
    assert mined.outlier_share == 0.0


def test_a_positive_review_still_feeds_the_issue_of_its_complaint_with_the_complaints_tone(mined):
    late = _issue(mined, "delivery")
    assert {"f0", "f5", "f9"} <= {m.feedback_id for m in late.members}
    # The issue's tone is that of what customers said about it, not of the praise around it.
    assert late.issue.figures.tone.negative_share == 1.0
    assert all(d.label == "negative" for d in late.documents)
    # The praise segments of 30 reviews are no issue of the store.
    assert not [m for m in mined.issues if m.issue.touchpoint == "store"]


def test_representative_verbatims_are_segments_with_their_whole_feedback(mined):
    for found in mined.issues:
        assert found.issue.representatives
        for verbatim in found.issue.representatives:
            assert PRAISE not in verbatim.text
            assert verbatim.document_text is not None and verbatim.text in verbatim.document_text


def _doc(label, segment_labels, rating=None, stored_segments=True):
    vector = np.ones(4, dtype=np.float32) / 2
    segments = [_segment(i, f"part {i} of it", s, vector) for i, s in enumerate(segment_labels)]
    doc = _document("d", segments, label, rating)
    return doc if stored_segments else replace(doc, segments=())


@pytest.mark.parametrize(
    ("label", "segment_labels", "rating", "kept"),
    [
        ("positive", ["positive", "negative", "neutral"], None, [1]),
        ("negative", ["positive", "negative", "neutral"], None, [1, 2]),
        ("neutral", ["neutral"], None, [0]),
        ("positive", ["positive"], None, []),
        (UNSCORED, [UNSCORED, UNSCORED], 2, [0, 1]),
        (UNSCORED, [UNSCORED, UNSCORED], 5, []),
    ],
)
def test_which_segments_are_mined(label, segment_labels, rating, kept):
    assert [u.position for u in problem_units(_doc(label, segment_labels, rating))] == kept


def test_neutral_context_can_be_left_out_of_a_complaint():
    units = problem_units(_doc("negative", ["neutral", "negative", "neutral"]), neutral_segments=False)
    assert [u.position for u in units] == [1]


@pytest.mark.parametrize(
    ("label", "segment_labels", "neutral_segments"),
    [
        ("positive", ["positive", "negative", "neutral"], True),
        ("negative", ["positive", "neutral"], False),  # two parts: the neutral one is context
        ("negative", ["positive", "positive"], True),  # nothing to mine, and not one unit whole
        ("positive", ["positive", "neutral"], True),
    ],
)
def test_segments_left_out_of_a_window_read_as_mined_still_count(label, segment_labels, neutral_segments):
    """The pipeline's window leaves out the segments mining never reads (`unread_segments`): the units
    are those of the feedback with every segment."""
    every = _doc(label, segment_labels)
    read = [s for s in every.segments if not never_mined(label, s.label)]
    slim = replace(every, segments=tuple(read), unread_segments=len(every.segments) - len(read))
    assert slim.unread_segments > 0 and slim.segment_count() == len(every.segments)
    mined = [(u.position, u.text) for u in problem_units(every, neutral_segments)]
    assert [(u.position, u.text) for u in problem_units(slim, neutral_segments)] == mined


def test_a_short_complaint_is_one_unit_and_a_short_positive_review_gives_its_problem():
    vector = np.ones(4, dtype=np.float32) / 2
    parts = [
        _segment(0, "Parcel came late", "negative", vector),
        _segment(1, "the box was crushed too", "negative", vector),
    ]
    [unit] = problem_units(_document("d", parts, "negative", story=""))
    assert unit.position is None and unit.text == "Parcel came late the box was crushed too"
    praise = [_segment(0, "Lovely sofa, great colour", "positive", vector), parts[1]]
    [unit] = problem_units(_document("d", praise, "positive", story=""))
    assert unit.position == 1


def test_feedback_stored_before_segments_is_one_unit_when_it_is_not_positive():
    [unit] = problem_units(_doc("negative", ["negative", "positive"], stored_segments=False))
    assert unit.position is None and unit.text == unit.document.text
    assert problem_units(_doc("positive", ["negative"], stored_segments=False)) == []


def _split_problems():
    """Two problems of 45 short complaints each; the taxonomy puts the first problem's complaints 25
    under billing and 20 under the catch-all, the second's mostly under billing."""
    gold = np.array([0] * 45 + [1] * 45)
    vectors = planted_embeddings(gold, np.arange(90) % 5, seed=7)
    places = ["billing"] * 25 + ["other"] * 20 + ["billing"] * 40 + ["checkout"] * 5
    documents = []
    for i, (vector, place) in enumerate(zip(vectors, places)):
        segment = _segment(0, f"complaint {i}", "negative", vector, place)
        documents.append(_document(f"f{i}", [segment], "negative", story=""))
    return documents


def problem_units_of(documents):
    return [unit for document in documents for unit in problem_units(document)]


def _track(documents, grouping):
    from cx_nlp.issues.clustering import UMAPReducer

    window = IssueWindow(documents, [], START, END, "run")
    return IssueTracker(_MINER, embedding_languages=["en"], grouping=grouping, across_reducer=UMAPReducer()).track(
        window
    )


def test_problems_a_taxonomy_splits_are_found_whole_across_touchpoints():
    documents = _split_problems()
    per_touchpoint = _track(documents, "touchpoint")
    across = _track(documents, "auto")
    # 65 of 90 complaints under billing: the taxonomy does not separate these problems.
    assert across.groupings == {"en": "across"} and per_touchpoint.groupings == {"en": "touchpoint"}
    # A handful of units under one touchpoint says nothing about the taxonomy: mined per touchpoint.
    assert IssueTracker(embedding_languages=["en"], grouping="auto").groupings(problem_units_of(documents[:30])) == {
        "en": "touchpoint"
    }
    first_problem = {f"f{i}" for i in range(45)}
    holding = [m for m in across.issues if first_problem & {x.feedback_id for x in m.members}]
    assert len(holding) == 1 and {x.feedback_id for x in holding[0].members} == first_problem
    # Per touchpoint, the same problem is two issues, one under each touchpoint.
    assert len([m for m in per_touchpoint.issues if first_problem & {x.feedback_id for x in m.members}]) == 2
    # Across, an issue is reported under the touchpoint most of its complaints name, ids numbered there.
    places = {m.issue.touchpoint for m in across.issues}
    assert places == {"billing"} and all(m.issue.issue_id.startswith("billing-") for m in across.issues)


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="grouping 'by-day'"):
        IssueTracker(grouping="by-day")
