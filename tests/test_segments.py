"""Segments: sentences, and the sides of a contrast that joins two verdicts, with offsets in the text."""

from __future__ import annotations

from itertools import pairwise

import pytest

from cx_nlp.segments import MAX_SEGMENTS, split_segments


def texts(text: str) -> list[str]:
    return [s.text for s in split_segments(text)]


def test_a_contrast_splits_two_verdicts_and_keeps_the_contrast_word():
    assert texts("Delivery was fast but the box was crushed.") == ["Delivery was fast", "but the box was crushed."]
    assert texts("The app is great, however it logs me out daily.") == [
        "The app is great",
        "however it logs me out daily.",
    ]


def test_a_short_side_of_a_contrast_is_no_verdict_of_its_own():
    assert texts("Fine but slow.") == ["Fine but slow."]
    assert texts("I wanted to love it but no.") == ["I wanted to love it but no."]


def test_sentences_are_segments_and_short_ones_join_a_neighbour():
    text = "Hi, I ordered a sofa on 3 March. It arrived late. The courier was rude! Thanks."
    assert texts(text) == [
        "Hi, I ordered a sofa on 3 March.",
        "It arrived late.",
        "The courier was rude! Thanks.",
    ]
    assert texts("Ok.\nThe refund never came.") == ["Ok.\nThe refund never came."]
    assert texts("Mr. Smith said the refund was on its way. It never came.") == [
        "Mr. Smith said the refund was on its way.",
        "It never came.",
    ]


@pytest.mark.parametrize("text", ["Great", "   Broken on arrival   ", "", "No."])
def test_a_text_of_one_verdict_is_one_segment(text):
    [segment] = split_segments(text)
    assert segment.text == text.strip() and segment.position == 0


def test_offsets_point_into_the_text_and_positions_count_up():
    text = "  The parcel was late.\n\nThe driver, however, was lovely and the box was intact.  "
    parts = split_segments(text)
    assert [p.position for p in parts] == list(range(len(parts)))
    for part in parts:
        assert text[part.start : part.end] == part.text
    assert all(a.end <= b.start for a, b in pairwise(parts))


def test_a_long_narrative_is_read_in_at_most_max_segments():
    text = " ".join(f"Sentence number {n} tells one more detail." for n in range(100))
    parts = split_segments(text)
    assert len(parts) == MAX_SEGMENTS
    assert parts[-1].text.endswith("number 99 tells one more detail.")
