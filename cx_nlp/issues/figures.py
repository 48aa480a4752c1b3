"""The figures an issue or a touchpoint carries: volume, tone, stars, survey KPIs, impact and status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cx_nlp.issues.records import DayFigures, Impact, IssueFigures, SurveyKpis, Tone, TouchpointDay
from cx_nlp.kpis import SCORE_RANGES, compute_kpis
from cx_nlp.records import UNSCORED, WindowDocument

# An issue is "emerging" when its last week holds at least this many documents and at least twice
# its weekly rate over the rest of the window, plus a margin for small counts (a Poisson-style guard
# so that 1 -> 3 documents is not an alert).
EMERGING_MIN_RECENT = 5
EMERGING_RATIO = 2.0
EMERGING_MARGIN = 2.0
RECENT_DAYS = 7
# An issue's impact on a touchpoint score needs at least this many answers left without the issue.
MIN_SCORES_LEFT = 5


def group_by(items: Iterable, key: Callable) -> dict:
    groups: dict = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def issue_figures(
    members: Sequence[WindowDocument],
    touchpoint_documents: Sequence[WindowDocument],
    window_end: date,
    window_days: int,
) -> IssueFigures:
    """Volume, tone, scores, impact, last day and status of an issue's feedback in the window."""
    days = [d.created_day for d in members]
    return IssueFigures(
        volume=len(members),
        volume_last_7_days=sum(d >= window_end - timedelta(days=RECENT_DAYS) for d in days),
        tone=tone(members),
        mean_rating=mean_review_rating(members),
        kpis=survey_kpis(members),
        impact=impact(members, touchpoint_documents),
        last_seen=max(days),
        status=issue_status(days, window_end, window_days),
    )


def issue_status(days: Sequence[date], window_end: date, window_days: int) -> str:
    recent_start = window_end - timedelta(days=RECENT_DAYS)
    recent = sum(1 for d in days if d >= recent_start)
    earlier = len(days) - recent
    earlier_weeks = max((window_days - RECENT_DAYS) / 7, 1.0)
    baseline = earlier / earlier_weeks
    if recent >= EMERGING_MIN_RECENT and recent >= EMERGING_RATIO * baseline + EMERGING_MARGIN:
        return "emerging"
    return "active"


def tone(documents: Sequence[WindowDocument]) -> Tone:
    """Negative share and mean sentiment over the documents the sentiment model could read."""
    scored = [d for d in documents if d.label != UNSCORED]
    if not scored:
        return Tone(negative_share=0.0, mean_sentiment=0.0)
    return Tone(
        negative_share=round(sum(d.label == "negative" for d in scored) / len(scored), 4),
        mean_sentiment=round(float(np.mean([d.score for d in scored])), 4),
    )


def daily_figures(documents: Sequence[WindowDocument]) -> list[DayFigures]:
    by_day = group_by(documents, lambda d: d.created_day)
    return [DayFigures(day, len(by_day[day]), tone(by_day[day])) for day in sorted(by_day)]


def touchpoint_days(documents: Sequence[WindowDocument]) -> list[TouchpointDay]:
    """Each touchpoint's days of the window, with stars and survey KPIs as well as tone."""
    rows = []
    by_touchpoint = group_by(documents, lambda d: d.touchpoint)
    for touchpoint in sorted(by_touchpoint):
        by_day = group_by(by_touchpoint[touchpoint], lambda d: d.created_day)
        for day in sorted(by_day):
            that_day = by_day[day]
            rows.append(
                TouchpointDay(
                    touchpoint, day, len(that_day), tone(that_day), mean_review_rating(that_day), survey_kpis(that_day)
                )
            )
    return rows


def survey_kpis(documents: Sequence[WindowDocument]) -> SurveyKpis:
    """NPS, CSAT and CES of the documents that carry a survey score, with their response counts."""
    found = compute_kpis((d.score_type, d.rating) for d in documents if d.score_type and d.rating is not None)
    columns: dict = {}
    for kind in SCORE_RANGES:
        kpi = found.get(kind)
        columns[kind] = round(kpi.value, 2) if kpi else None
        columns[f"{kind}_responses"] = kpi.responses if kpi else 0
    return SurveyKpis(**columns)


@dataclass(frozen=True)
class ScoredTouchpoint:
    """A touchpoint's feedback that carries a score (stars or a survey answer), in window order, and the
    ids of all its feedback: all that an issue's impact reads of the touchpoint, gathered once a night
    rather than once an issue (a million documents: 1,177 issues over touchpoints of a hundred thousand
    feedback and more; the issue stage 369 -> 267 s, docs/benchmarks.md)."""

    scored: list[WindowDocument]
    ids: frozenset[str]

    @classmethod
    def of(cls, documents: Sequence[WindowDocument]) -> ScoredTouchpoint:
        return cls([d for d in documents if d.rating is not None], frozenset(d.feedback_id for d in documents))

    def around(self, members: Sequence[WindowDocument]) -> list[WindowDocument]:
        """What `impact` compares an issue's `members` with: the touchpoint's scored feedback and the
        scored members from elsewhere, in that order (unscored feedback counts in no score)."""
        return self.scored + [d for d in members if d.rating is not None and d.feedback_id not in self.ids]


def impact(members: Sequence[WindowDocument], touchpoint_documents: Sequence[WindowDocument]) -> Impact:
    """How the touchpoint's mean star rating, NPS, CSAT and CES would change without this issue's feedback.

    Positive means the issue costs the touchpoint that much: stars, NPS points, CSAT percentage points,
    CES points (on the 1-7 "it was easy" scale, where higher is better). None where the touchpoint has
    no such score, or where fewer than MIN_SCORES_LEFT of them would be left without the issue: an NPS
    of the one answer left is no baseline (on the sample, a refund issue holding 5 of the returns
    touchpoint's 6 answers showed +133 NPS points).
    """
    member_ids = {d.feedback_id for d in members}
    rest = [d for d in touchpoint_documents if d.feedback_id not in member_ids]
    with_issue, without_issue = _touchpoint_scores(touchpoint_documents), _touchpoint_scores(rest)
    result = {}
    for kind, (value, _) in with_issue.items():
        left, count_left = without_issue[kind]
        enough = value is not None and left is not None and count_left >= MIN_SCORES_LEFT
        result[f"{kind}_impact"] = round(left - value, 3 if kind == "rating" else 2) if enough else None
    return Impact(**result)


def _touchpoint_scores(documents: Sequence[WindowDocument]) -> dict[str, tuple[float | None, int]]:
    """Each score (stars, then every survey KPI) with the number of answers behind it."""
    kpis = survey_kpis(documents)
    return {
        "rating": (mean_review_rating(documents), len(star_ratings(documents))),
        **{kind: (getattr(kpis, kind), getattr(kpis, f"{kind}_responses")) for kind in SCORE_RANGES},
    }


def star_ratings(documents: Sequence[WindowDocument]) -> list[float]:
    # Only reviews carry stars: NPS (0-10) and other survey scales do not share their scale.
    return [d.rating for d in documents if d.rating is not None and d.source_kind == "review"]


def mean_review_rating(documents: Sequence[WindowDocument]) -> float | None:
    ratings = star_ratings(documents)
    return round(float(np.mean(ratings)), 3) if ratings else None
