"""Segments: the units a feedback is read in. A review or a complaint speaks of several things, each
with its own verdict ("delivery was fast but the box was crushed"), so each sentence, and each side of
a contrast that joins two verdicts, gets its own tone, embedding and touchpoint.

Pure functions over strings; offsets point into the feedback text, so a segment can be shown in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Where a sentence ends: after . ! ? (and closing quotes or brackets) before white space, or at a line break.
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?]+[\"')\]]*(?=\s)|$)", re.MULTILINE)
# A contrast that often joins two verdicts. "while" and "since" are left out: mostly about time.
_CONTRAST = re.compile(r"[,;]?\s+(?:but|however|although|though|yet|whereas|except that)\s+", re.IGNORECASE)
# A side of a contrast, or a sentence, shorter than this is no verdict of its own ("Thanks.", "but no").
MIN_WORDS = 3
# A very long narrative is read in at most this many segments: the rest joins the last one.
MAX_SEGMENTS = 40


@dataclass(frozen=True, slots=True)
class Segment:
    position: int
    text: str
    start: int  # offsets of the segment in the feedback text
    end: int


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _words(text: str) -> int:
    return len(text.split())


def _contrast_sides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence split where a contrast word joins two sides of MIN_WORDS words or more."""
    sides, cursor = [], start
    for match in _CONTRAST.finditer(text, start, end):
        before, after = text[cursor : match.start()], text[match.end() : end]
        if _words(before) >= MIN_WORDS and _words(after) >= MIN_WORDS:
            sides.append((cursor, match.start()))
            # The contrast word opens the second side: "but the box was crushed" reads as said.
            cursor = match.start() + len(match.group(0)) - len(match.group(0).lstrip(",; "))
    sides.append((cursor, end))
    return sides


def split_segments(text: str) -> list[Segment]:
    """The segments of a feedback text, in order; a text of one verdict is one segment."""
    spans = [side for start, end in _sentences(text) for side in _contrast_sides(text, start, end)]
    merged: list[list[int]] = []
    for start, end in spans:
        # Too short to stand alone ("Thanks.", "Ok."): it belongs with the segment before it.
        if merged and (_words(text[start:end]) < MIN_WORDS or len(merged) >= MAX_SEGMENTS):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    if len(merged) > 1 and _words(text[merged[0][0] : merged[0][1]]) < MIN_WORDS:
        # A short opening ("Hi,") joins the segment after it.
        merged[1][0] = merged[0][0]
        del merged[0]
    if not merged:
        stripped = text.strip()
        offset = text.find(stripped) if stripped else 0
        return [Segment(0, stripped, offset, offset + len(stripped))]
    return [Segment(i, text[start:end], start, end) for i, (start, end) in enumerate(merged)]
