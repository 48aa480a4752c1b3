"""Typed records that flow between stages: sources -> normalise -> models -> issues -> warehouse."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

import numpy as np

from cx_nlp.segments import Segment

SOURCE_KINDS = ("review", "ticket", "complaint", "survey")
SENTIMENT_LABELS = ("negative", "neutral", "positive")
T = TypeVar("T")


def label_from_stars(rating: float) -> str:
    """Star ratings as sentiment labels: 1-2 negative, 3 neutral, 4-5 positive."""
    if not 1 <= rating <= 5:
        raise ValueError(f"star rating {rating} is outside 1..5")
    return "negative" if rating < 3 else "neutral" if rating < 4 else "positive"


def sentiment_head() -> dict:
    """Keyword arguments that give a transformers classifier one output per SENTIMENT_LABELS, in order:
    the head train-sentiment trains, and the one an adapter on a plain encoder is loaded with."""
    return {
        "num_labels": len(SENTIMENT_LABELS),
        "id2label": dict(enumerate(SENTIMENT_LABELS)),
        "label2id": {name: i for i, name in enumerate(SENTIMENT_LABELS)},
    }


# The label of feedback whose language the sentiment model does not read: counted, never scored.
UNSCORED = "unscored"


@dataclass(slots=True)
class RawRecord:
    """One row exactly as a source delivered it, before any validation."""

    source: str
    record_key: str
    payload: dict
    position: int


@dataclass
class QuarantinedRecord:
    """A row that failed validation: kept whole, with the field and the reason."""

    source: str
    record_key: str
    field: str
    reason: str
    payload: dict


@dataclass(slots=True)
class SourceRecord:
    """A validated row from a source, text still as the customer wrote it."""

    source: str
    external_id: str
    source_kind: str
    text: str
    created_at: datetime
    rating: float | None = None
    metadata: dict = field(default_factory=dict)
    raw_record_key: str = ""


@dataclass(slots=True)
class Feedback:
    """A cleaned, PII-redacted, deduplicated verbatim: the unit every model stage scores."""

    feedback_id: str
    source: str
    external_id: str
    source_kind: str
    text: str
    content_hash: str
    language: str
    language_confidence: float
    created_at: datetime
    rating: float | None
    metadata: dict
    pii_redactions: dict[str, int] = field(default_factory=dict)
    raw_record_key: str = ""
    # Digest of the source record and the normalising code (cx_nlp.feedback.normalised_key).
    normalised_key: str = ""


@dataclass(slots=True)
class SentimentScore:
    label: str
    negative: float
    neutral: float
    positive: float
    score: float
    chunks: int
    model_name: str
    model_version: str
    evidence: str | None = None  # the most negative salient sentence of a multi-sentence text
    evidence_negative: float | None = None


@dataclass(slots=True)
class TouchpointAssignment:
    touchpoint: str
    confidence: float
    method: str


# A stored vector that a window read left unread (`cx_nlp.warehouse.windows`): not None, because the
# text has a vector; empty, because nothing that reads it was meant to.
NOT_READ = np.zeros(0, dtype=np.float32)
# A text that a window read left in the warehouse: the pipeline's issue window holds none
# (`window_documents(as_mined=True)`); mining reads back those of each issue's closest units for its
# keywords and verbatims (`IssueWindow.unit_texts`). On real complaint narratives,
# whole texts out and hashes as bytes took the window from 5.8 to 2.9 KiB a document; segment texts out
# too, see docs/benchmarks.md ("The window read back at a million documents").
TEXT_NOT_READ = "\x00text not read\x00"


class MadeWhenRead(Sequence[T]):
    """A sequence whose items are made as they are read (`_item`, given an index within bounds); a slice
    makes its items in one `_items` call. What the issue window and its mining hold in place of records
    by the million: packed segments, members, unit texts read back."""

    __slots__ = ()

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self._items(range(len(self))[index])
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._item(index % len(self))

    def _item(self, index: int) -> T:
        raise NotImplementedError

    def _items(self, indices: range) -> Sequence[T]:
        return [self._item(index) for index in indices]


def packed_hex(text: str) -> str | bytes:
    """Lowercase hex of even length as its bytes (half the characters, and a bytes object's smaller
    overhead), anything else as given: exactly what `hex_hash` turns back, which uppercase hex or hex
    with spaces (both read by `bytes.fromhex`) would not be."""
    return bytes.fromhex(text) if _LOWER_HEX.fullmatch(text) else text


_LOWER_HEX = re.compile("(?:[0-9a-f]{2})+")


def packed_hash(content_hash: str) -> str | bytes:
    """A SHA-256 hex digest as its 32 bytes (65 bytes of memory against 113 for the string), anything
    else as given: how the pipeline's issue window holds the content hashes of its millions of texts."""
    return packed_hex(content_hash) if len(content_hash) == 64 else content_hash


def hex_hash(content_hash: str | bytes) -> str:
    """The content hash as the warehouse keys it (`packed_hash` undone)."""
    return content_hash.hex() if isinstance(content_hash, bytes) else content_hash


@dataclass(frozen=True, slots=True)
class WindowSegment:
    """A stored segment of a window's feedback (cx_nlp.segments), with its own tone and touchpoint."""

    position: int
    text: str
    content_hash: str | bytes  # bytes where the window was read as mined (`packed_hash`)
    label: str
    score: float
    touchpoint: str
    embedding: np.ndarray | None


@dataclass(slots=True)
class WindowDocument:
    """A stored feedback of an issue window, as issue mining and the daily figures need it."""

    feedback_id: str
    text: str
    content_hash: str | bytes  # bytes where the window was read as mined (`packed_hash`)
    created_day: date
    rating: float | None
    source_kind: str
    label: str
    score: float
    touchpoint: str
    embedding: np.ndarray | None
    score_type: str | None = None  # nps | csat | ces when `rating` is a survey answer
    language: str = "und"
    # Its segments in order; none where the feedback was stored before segments were (one unit then).
    # Packed where the window was read as mined (`cx_nlp.packed_segments`).
    segments: Sequence[WindowSegment] = ()
    words: int | None = None  # the text's word count, where the text is TEXT_NOT_READ
    # Segments with a vector that mining never reads (praise), left out of `segments` where the window
    # was read as mined: still counted, so the feedback reads as the same number of parts.
    unread_segments: int = 0

    def segment_count(self) -> int:
        return len(self.segments) + self.unread_segments

    def word_count(self) -> int:
        return self.words if self.words is not None else len(self.text.split())


@dataclass(slots=True)
class ScoredDocument:
    """A feedback with what the model stages made of it: sentiment and touchpoints (its vector is in
    the warehouse's embedding cache, under its content hash)."""

    feedback: Feedback
    sentiment: SentimentScore
    touchpoints: list[TouchpointAssignment]
    segments: list[ScoredSegment] = field(default_factory=list)


@dataclass(slots=True)
class ScoredSegment:
    """One segment of a feedback (cx_nlp.segments) with its own tone and touchpoint."""

    segment: Segment
    content_hash: str
    sentiment: SentimentScore
    touchpoint: TouchpointAssignment
