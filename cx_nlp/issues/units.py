"""What issues are mined from: the problem segments of a window's feedback.

A review or a complaint usually says several things; the problem is often one or two sentences among
praise or context. Each segment the customer spoke negatively about (cx_nlp.segments) is a mining
unit, so one feedback can feed several issues, and a positive review that mentions a problem still
feeds that problem's issue. Issue figures count the feedback once (`MiningUnit.as_member`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from cx_nlp.packed_segments import PackedSegments, labels_and_vectors
from cx_nlp.records import TEXT_NOT_READ, UNSCORED, MadeWhenRead, WindowDocument, WindowSegment

# Feedback of fewer words than this is mined whole unless it is positive overall (see problem_units).
SEGMENTED_FROM_WORDS = 40
# What the customer's own score says is praise: 4-5 stars, NPS promoters, CSAT 4-5.
_PRAISE_FROM = {None: 4, "nps": 9, "csat": 4}


def might_be_a_problem(document: WindowDocument) -> bool:
    """Whether a whole feedback may speak of a problem: its tone is not positive.

    Feedback the sentiment model does not read (another language) is kept unless its own score marks
    it as praise, so a French complaint still reaches an issue instead of being dropped unseen.
    """
    if document.label in ("negative", "neutral"):
        return True
    if document.label != UNSCORED:
        return False
    praise = _PRAISE_FROM.get(document.score_type)  # CES: whether low effort is praise depends on the scale
    return document.rating is None or praise is None or document.rating < praise


@dataclass(frozen=True, slots=True)
class MiningUnit:
    """One text issues are clustered from: a segment of a feedback (`part`, its index in the feedback's
    `segments`), or a whole feedback (`part` None: short complaints, feedback stored before segments
    were). It refers to the window's records instead of copying their fields: a window of a million
    complaint narratives has 5.7 million units, 48 bytes each this way against 96
    (docs/benchmarks.md). Of segments packed as the pipeline's window holds them
    (`cx_nlp.packed_segments`), it reads the fields without making the segment."""

    document: WindowDocument
    part: int | None = None

    @property
    def segment(self) -> WindowSegment | None:
        return None if self.part is None else self.document.segments[self.part]

    def _field(self, name: str):
        if self.part is None:
            return getattr(self.document, name)
        segments = self.document.segments
        if isinstance(segments, PackedSegments):
            return getattr(segments, name)(self.part)
        return getattr(segments[self.part], name)

    @property
    def position(self) -> int | None:
        return None if self.part is None else self._field("position")

    @property
    def text(self) -> str:
        """As the window holds it: TEXT_NOT_READ where it left the text in the warehouse (`UnitTexts`)."""
        return self.document.text if self.part is None else self.document.segments[self.part].text

    @property
    def key(self) -> tuple[str, int | None]:
        """Where its text is stored: the feedback and the segment's position (None: the whole feedback)."""
        return self.document.feedback_id, self.position

    @property
    def embedding(self) -> np.ndarray | None:
        return self.document.embedding if self.part is None else self.document.segments[self.part].embedding

    @property
    def touchpoint(self) -> str:
        return self._field("touchpoint")

    @property
    def label(self) -> str:
        return self._field("label")

    @property
    def score(self) -> float:
        return self._field("score")

    @property
    def content_hash(self) -> str | bytes:
        """Of `text`: its vector's key in the embedding cache (`hex_hash`)."""
        return self._field("content_hash")

    def as_member(self) -> WindowDocument:
        """The feedback as an issue's figures count it: once, with the tone of what it said about the issue."""
        return replace(self.document, label=self.label, score=self.score)


def never_mined(document_label: str | None, segment_label: str) -> bool:
    """Whether a segment of feedback of this tone is never a mining unit (`problem_units`): a positive
    one, or a neutral one of positive feedback, where the model read the feedback."""
    if document_label in (None, UNSCORED):
        return False
    return segment_label == "positive" or (segment_label == "neutral" and document_label == "positive")


def problem_units(document: WindowDocument, neutral_segments: bool = True) -> list[MiningUnit]:
    """The units of one feedback that may speak of a problem.

    A negative segment always; a neutral one unless the feedback as a whole is positive (in a complaint,
    "I called them on Monday" is part of the problem told; in a glowing review it is not), and only
    with `neutral_segments`. Feedback the model does not read keeps every segment unless its own
    score says praise. Feedback without stored segments (or their embeddings) is one unit.
    """
    labels, every_vector = labels_and_vectors(document.segments)
    count = document.segment_count()
    whole = not count or not every_vector
    # A short complaint is one problem told in a sentence or two: split, its parts would scatter over
    # issues (the project's telecom set: issue NMI 0.73 mined in segments, 0.77 whole). Only a
    # positive one is read in parts, for the problem it mentions.
    short = document.word_count() < SEGMENTED_FROM_WORDS and document.label in ("negative", "neutral")
    if whole or short:
        return [MiningUnit(document)] if might_be_a_problem(document) and document.embedding is not None else []
    if document.label == UNSCORED:
        kept = list(range(len(labels))) if might_be_a_problem(document) else []
    else:
        # What the window leaves out (`never_mined`) is never kept here: the one rule decides both.
        kept = [
            part
            for part, label in enumerate(labels)
            if label in ("negative", "neutral")
            and not never_mined(document.label, label)
            and (label == "negative" or neutral_segments or count == 1)
        ]
    return [MiningUnit(document, part) for part in kept]


def window_units(documents: Iterable[WindowDocument], neutral_segments: bool = True) -> list[MiningUnit]:
    return [unit for document in documents for unit in problem_units(document, neutral_segments)]


def unit_hashes(documents: Iterable[WindowDocument]) -> set[str | bytes]:
    """The content hashes of every text that may be a mining unit (neutral segments included): the
    vectors issue mining reads. Decided without the vectors themselves, only whether each is stored."""
    return {unit.content_hash for document in documents for unit in problem_units(document)}


# Unit keys (`MiningUnit.key`) -> their stored texts, in that order.
UnitTextReader = Callable[[Sequence[tuple[str, int | None]]], list[str]]


class UnitTexts(MadeWhenRead[str]):
    """The texts of a group's units by index, as mining reads them: each a unit's text where the window
    holds it, else read back through `read` a batch at a time (`take`). A window read as mined holds no
    unit text: keywords and verbatims read those of each issue's closest members when they describe it,
    so the window never holds the texts of millions of units at once."""

    def __init__(self, units: Sequence[MiningUnit], read: UnitTextReader | None):
        self.units = units
        self.read = read

    def __len__(self) -> int:
        return len(self.units)

    def _item(self, index: int) -> str:
        return self.take([index])[0]

    def _items(self, indices: range) -> list[str]:
        return self.take(indices)

    def take(self, indices: Iterable[int]) -> list[str]:
        """The texts at `indices`, in that order, the unread ones in one call of `read`."""
        units = [self.units[int(i)] for i in indices]
        return self._filled([u.text for u in units], [u.key for u in units])

    def text_keys(self, indices: Iterable[int]) -> list[str | bytes]:
        """The content hashes of the texts at `indices`, read off the units (`keywords.KeyedTexts`)."""
        return [self.units[int(i)].content_hash for i in indices]

    def take_with_feedback(self, indices: Iterable[int]) -> list[tuple[str, str]]:
        """The texts at `indices`, each with its whole feedback's text, in that order, the unread ones of
        both in one call of `read`."""
        units = [self.units[int(i)] for i in indices]
        wholes = [u.text if u.part is None else u.document.text for u in units]
        texts = self._filled(
            [u.text for u in units] + wholes, [u.key for u in units] + [(u.document.feedback_id, None) for u in units]
        )
        return list(zip(texts[: len(units)], texts[len(units) :]))

    def _filled(self, texts: list[str], keys: list[tuple[str, int | None]]) -> list[str]:
        """`texts` with each TEXT_NOT_READ replaced by the text `read` gives for its key."""
        unread = [position for position, text in enumerate(texts) if text is TEXT_NOT_READ]
        if unread:
            wanted = [keys[p] for p in unread]
            if self.read is None:
                raise ValueError(
                    f"the window left {len(wanted)} unit texts unread and gives no way to read them: {wanted[:3]}"
                )
            for position, text in zip(unread, self.read(wanted), strict=True):
                texts[position] = text
        return texts
