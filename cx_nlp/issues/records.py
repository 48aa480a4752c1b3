"""Typed records of issue mining: what a night starts from, what it finds, and how issues relate."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np

from cx_nlp.records import WindowDocument


class VectorReader(Protocol):
    """Content hashes (hex or packed) -> their vectors as the rows of one matrix of `dtype`, in that
    order; with `empty`, the matrix is what `empty((rows, dimensions))` makes (rows held in a file,
    say), filled a part at a time."""

    def __call__(
        self, hashes: Sequence[str | bytes], dtype: np.dtype | type = np.float32, empty: Callable | None = None
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class Tone:
    """Negative share and mean sentiment of the documents the sentiment model could read."""

    negative_share: float
    mean_sentiment: float


@dataclass(frozen=True)
class SurveyKpis:
    """NPS, CSAT and CES of the documents that carry a survey answer, with their response counts."""

    nps: float | None = None
    nps_responses: int = 0
    csat: float | None = None
    csat_responses: int = 0
    ces: float | None = None
    ces_responses: int = 0


@dataclass(frozen=True)
class Impact:
    """How much a touchpoint's scores would rise without an issue's feedback (None: too few answers left)."""

    rating_impact: float | None = None
    nps_impact: float | None = None
    csat_impact: float | None = None
    ces_impact: float | None = None


@dataclass(frozen=True)
class IssueFigures:
    """Volume, tone, scores, impact, last day and status of an issue's feedback in its window."""

    volume: int
    volume_last_7_days: int
    tone: Tone
    mean_rating: float | None
    kpis: SurveyKpis
    impact: Impact
    last_seen: date
    status: str  # active | emerging (resolved and merged are set on issues no longer mined)


@dataclass(frozen=True)
class DayFigures:
    """Volume and tone of one day of an issue's or a touchpoint's feedback."""

    day: date
    volume: int
    tone: Tone


@dataclass(frozen=True)
class TouchpointDay:
    """One touchpoint's day: volume, tone, star rating and survey KPIs."""

    touchpoint: str
    day: date
    volume: int
    tone: Tone
    mean_rating: float | None
    kpis: SurveyKpis


@dataclass(frozen=True)
class Verbatim:
    """What a customer said about an issue: the segment, and the whole feedback it comes from."""

    feedback_id: str
    text: str
    document_text: str | None = None  # None where the segment is the whole feedback


@dataclass
class Cluster:
    """One discovered issue before it is matched to a known issue id."""

    members: np.ndarray  # indices into the fitted texts
    similarities: np.ndarray  # cosine to the centroid, per member
    methods: list[str]  # "cluster" or "nearest" (an outlier pulled in), per member
    centroid: np.ndarray
    keywords: list[str]
    label: str
    representatives: list[int]
    known: int | None = None  # index of the known issue this cluster continues, if any
    # Indices of other known issues folded into this one because they turned out to be one problem.
    absorbed: list[int] = field(default_factory=list)
    split_from: int | None = None  # index of the known issue this new cluster broke away from


@dataclass(frozen=True)
class Issue:
    """A recurring issue as one window found it."""

    issue_id: str
    touchpoint: str
    language: str | None  # the language group it was mined in (None on issues older than groups)
    label: str
    keywords: list[str]
    representatives: list[Verbatim]
    centroid: np.ndarray
    figures: IssueFigures
    first_seen: date
    window_end: date
    run_id: str


@dataclass(frozen=True, slots=True)  # slotted: a million documents' window has millions of members
class IssueMember:
    issue_id: str
    feedback_id: str
    similarity: float
    method: str  # known (joined a prior issue) | cluster | nearest (an outlier pulled in)
    segment_position: int | None = None  # the segment that put the feedback in; None: the whole feedback
    # Every segment of the feedback the issue holds, that one among them (None: the whole feedback), so
    # that the next night finds each where it was (`IssueWindow.memberships`).
    segment_positions: tuple[int, ...] | None = None


@dataclass(frozen=True)
class LineageEvent:
    """`issue_id` merged_into, or split_from, `related_issue_id` in the window ending `window_end`."""

    issue_id: str
    related_issue_id: str
    event: str
    window_end: date
    run_id: str


@dataclass(frozen=True)
class PriorIssue:
    """An issue as the latest earlier window left it: the state a night starts from."""

    issue_id: str
    touchpoint: str
    language: str | None
    label: str
    centroid: np.ndarray
    volume: int
    status: str
    first_seen: date
    window_end: date


@dataclass(frozen=True)
class IssueWindow:
    """What one night's issue mining reads: the window's feedback and where the nights before left off."""

    documents: Sequence[WindowDocument]
    prior: Sequence[PriorIssue]
    start: date
    end: date
    run_id: str
    # Ids other windows own; new issues are numbered past them.
    taken_ids: frozenset[str] = frozenset()
    # Analysts' merges (`cx-nlp issues merge`): absorbed issue id -> the issue it is part of.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Where the latest earlier window put each unit: (feedback id, segment position) -> issue id.
    memberships: Mapping[tuple[str, int | None], str] = field(default_factory=dict)
    # The end of the latest earlier window that was mined (None: none was): feedback created before it
    # was mined then, feedback from it on is new tonight. Feedback loaded late for an earlier day counts
    # as mined: it joins a known issue if it is close to one, and is clustered with the other leftovers
    # (all of them, up to `IssueMiner.full_residual_limit`).
    mined_through: date | None = None
    # Where the units' vectors are read when the documents carry them as NOT_READ (`cx_nlp.records`):
    # content hashes -> their vectors as rows of one matrix (float32, or float16 for a group mined in
    # half precision), in that order. Read group by group as each is mined, a large window's vectors
    # are held once, in the matrix mining divides in place, not also one array per unit beside it.
    vectors: VectorReader | None = None
    # Where the texts of units carried as TEXT_NOT_READ are read (`cx_nlp.issues.units.UnitTexts`): unit
    # keys, (feedback id, segment position or None for the whole feedback) -> their texts, in that order.
    # Mining reads those of each issue's closest members for its keywords and verbatims, and the whole
    # feedback of each verbatim.
    unit_texts: Callable[[Sequence[tuple[str, int | None]]], list[str]] | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class MinedIssue:
    issue: Issue
    # One per feedback; mined tonight, made from the units as read (`cx_nlp.issues.members`).
    members: Sequence[IssueMember]
    daily: list[DayFigures]
    # The member feedback as the figures counted it: one per feedback, with its member segment's tone.
    documents: Sequence[WindowDocument] = ()


@dataclass
class MinedWindow:
    issues: list[MinedIssue]
    silent: list[str]  # prior issues that fell silent: resolved
    merged: dict[str, str]  # prior issue id -> the issue it was merged into
    lineage: list[LineageEvent]  # merged_into / split_from events of this window
    outlier_share: float
    # Per language group: "touchpoint" (each touchpoint clustered apart) or "across" (all together).
    groupings: dict[str, str] = field(default_factory=dict)
