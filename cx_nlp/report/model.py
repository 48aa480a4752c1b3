"""What a run's report shows: touchpoint summaries and issue rows, read from the warehouse by
`cx_nlp.report.query` and drawn by `cx_nlp.report.page`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

NO_FEEDBACK_MESSAGE = "No feedback in this window."

# Each score an issue's impact is measured on: the unit shown after the figure, and its format.
IMPACT_UNITS = {
    "rating": ("stars", "{:+.2f}"),
    "nps": ("NPS", "{:+.1f}"),
    "csat": ("CSAT", "{:+.1f}"),
    "ces": ("CES", "{:+.2f}"),
}


@dataclass
class DailyPoint:
    day: date
    volume: int
    negative_share: float  # 0..1
    mean_sentiment: float  # -1..1


@dataclass
class IssueSummary:
    issue_id: str
    touchpoint: str
    label: str
    keywords: list[str]
    volume: int
    negative_share: float
    mean_sentiment: float
    first_seen: date
    last_seen: date
    trend: list[DailyPoint]
    verbatims: list[str]  # what customers said about the issue: segments of their feedback
    status: str = "active"  # active | emerging | resolved
    # What happened to the issue's identity this night: "absorbed checkout-0002 (promo / code)",
    # "split from billing-0001 (twice / charged)".
    lineage: list[str] = field(default_factory=list)
    # How much the touchpoint's score would rise without this issue's feedback, per score the
    # touchpoint has (keys of IMPACT_UNITS): "rating" (stars), "nps", "csat", "ces".
    impact: dict[str, float] = field(default_factory=dict)
    # Each verbatim's whole feedback where the verbatim is a part of it (None where it is all of it).
    verbatim_documents: list[str | None] = field(default_factory=list)


@dataclass
class TouchpointSummary:
    touchpoint: str
    volume: int
    negative_share: float
    mean_sentiment: float
    mean_rating: float | None
    daily: list[DailyPoint]


@dataclass
class ReportData:
    run_id: str
    interval_start: date
    interval_end: date  # exclusive
    window_start: date
    generated_at: datetime
    warehouse: str
    stats: dict[str, int]
    touchpoints: list[TouchpointSummary]
    issues: list[IssueSummary]
    sentiment_model: str
    embedding_model: str
    # What a reader should know about how tonight's issues were found (cx_nlp.report.query.run_notes).
    notes: list[str] = field(default_factory=list)
