"""Read one run's window back from the warehouse into the report's data model."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, RowMapping, select

from cx_nlp.report.model import IMPACT_UNITS, DailyPoint, IssueSummary, ReportData, TouchpointSummary
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.curation import analyst_labels


@dataclass(frozen=True)
class _Window:
    """The run's issue window, [start, end), and each of its days for the daily series."""

    start: date
    end: date
    days: list[date]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _filled(points: dict[date, DailyPoint], days: list[date]) -> list[DailyPoint]:
    return [points.get(d, DailyPoint(d, 0, 0.0, 0.0)) for d in days]


def _daily_point(row: RowMapping) -> DailyPoint:
    return DailyPoint(row["day"], row["volume"], row["negative_share"], row["mean_sentiment"])


def load_report_data(
    connection: Connection, run_id: str, stats: dict | None = None, top_per_touchpoint: int = 5
) -> ReportData:
    run = connection.execute(select(t.pipeline_run).where(t.pipeline_run.c.run_id == run_id)).mappings().one()
    end: date = run["interval_end"]
    issue_rows = (
        connection.execute(select(t.issue).where(t.issue.c.window_end == end, t.issue.c.status != "resolved"))
        .mappings()
        .all()
    )
    window = _Window(run["window_start"], end, _days(run["window_start"], end))
    touchpoints = _touchpoint_summaries(connection, window)
    issues = _issue_summaries(connection, issue_rows, [s.touchpoint for s in touchpoints], window, top_per_touchpoint)
    stats = stats if stats is not None else dict(run["stats"] or {})
    return ReportData(
        run_id=run_id,
        interval_start=run["interval_start"],
        interval_end=end,
        window_start=window.start,
        generated_at=datetime.now(UTC),
        warehouse=connection.engine.url.render_as_string(hide_password=True),
        stats={k: v for k, v in stats.items() if isinstance(v, int) and not isinstance(v, bool)},
        touchpoints=touchpoints,
        issues=issues,
        sentiment_model=run["sentiment_model"] or "",
        embedding_model=run["embedding_model"] or "",
        notes=run_notes(stats),
    )


# Said in the report when issues were clustered across touchpoints (IssueTracker grouping "across").
ACROSS_NOTE = (
    "Issues were found across touchpoints: each is shown under the touchpoint most of its feedback names, "
    "so one problem that customers tell under two touchpoints is one issue. "
    "`cx-nlp taxonomy suggest` proposes touchpoints for what the taxonomy misses."
)


def run_notes(stats: dict) -> list[str]:
    """Notes on how the run's issues were found, from its stats."""
    return [ACROSS_NOTE] if "across" in str(stats.get("issue_grouping", "")).split(",") else []


def _touchpoint_summaries(connection: Connection, window: _Window) -> list[TouchpointSummary]:
    """Every touchpoint with feedback in the window, largest first, its figures weighted by daily volume."""
    touchpoint_points: dict[str, dict[date, DailyPoint]] = defaultdict(dict)
    ratings: dict[str, list[float]] = defaultdict(list)
    for row in connection.execute(
        select(t.touchpoint_daily).where(
            t.touchpoint_daily.c.day >= window.start, t.touchpoint_daily.c.day < window.end
        )
    ).mappings():
        touchpoint_points[row["touchpoint"]][row["day"]] = _daily_point(row)
        if row["mean_rating"] is not None:
            ratings[row["touchpoint"]].append(row["mean_rating"])
    touchpoints = []
    for name, points in touchpoint_points.items():
        volume = sum(p.volume for p in points.values())
        touchpoints.append(
            TouchpointSummary(
                touchpoint=name,
                volume=volume,
                negative_share=sum(p.negative_share * p.volume for p in points.values()) / volume,
                mean_sentiment=sum(p.mean_sentiment * p.volume for p in points.values()) / volume,
                mean_rating=sum(ratings[name]) / len(ratings[name]) if ratings[name] else None,
                daily=_filled(points, window.days),
            )
        )
    touchpoints.sort(key=lambda s: -s.volume)
    return touchpoints


def _issue_summaries(
    connection: Connection,
    issue_rows: list[RowMapping],
    touchpoint_order: list[str],
    window: _Window,
    top_per_touchpoint: int,
) -> list[IssueSummary]:
    """The largest `top_per_touchpoint` issues of each touchpoint, touchpoints in `touchpoint_order`."""
    issue_points = _issue_daily_points(connection, [r["issue_id"] for r in issue_rows], window)
    # An analyst's name for an issue wins over its keyword label, here and in the marts.
    labels = dict(connection.execute(select(t.issue.c.issue_id, t.issue.c.label)).all()) | analyst_labels(connection)
    lineage = _lineage_notes(connection, window.end, labels)
    return [
        IssueSummary(
            issue_id=row["issue_id"],
            touchpoint=row["touchpoint"],
            label=labels[row["issue_id"]],
            keywords=list(row["keywords"]),
            volume=row["volume"],
            negative_share=row["negative_share"],
            mean_sentiment=row["mean_sentiment"],
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            trend=_filled(issue_points[row["issue_id"]], window.days),
            verbatims=[r["text"] for r in row["representatives"]],
            verbatim_documents=[r.get("document_text") for r in row["representatives"]],
            status=row["status"],
            lineage=sorted(lineage[row["issue_id"]]),
            impact={kind: row[f"{kind}_impact"] for kind in IMPACT_UNITS if row[f"{kind}_impact"] is not None},
        )
        for row in _top_per_touchpoint(issue_rows, touchpoint_order, top_per_touchpoint)
    ]


def _top_per_touchpoint(issue_rows: list[RowMapping], touchpoint_order: list[str], limit: int) -> list[RowMapping]:
    """Issues by touchpoint in `touchpoint_order` (others last), largest first, at most `limit` of each."""
    order = {name: i for i, name in enumerate(touchpoint_order)}
    ranked = sorted(issue_rows, key=lambda r: (order.get(r["touchpoint"], 99), -r["volume"], r["issue_id"]))
    shown: dict[str, int] = defaultdict(int)
    kept = []
    for row in ranked:
        if shown[row["touchpoint"]] >= limit:
            continue
        shown[row["touchpoint"]] += 1
        kept.append(row)
    return kept


def _issue_daily_points(connection: Connection, ids: list[str], window: _Window) -> dict[str, dict[date, DailyPoint]]:
    issue_points: dict[str, dict[date, DailyPoint]] = defaultdict(dict)
    if ids:
        for row in connection.execute(
            select(t.issue_daily).where(
                t.issue_daily.c.issue_id.in_(ids), t.issue_daily.c.day >= window.start, t.issue_daily.c.day < window.end
            )
        ).mappings():
            issue_points[row["issue_id"]][row["day"]] = _daily_point(row)
    return issue_points


def _lineage_notes(connection: Connection, end: date, labels: dict[str, str]) -> dict[str, list[str]]:
    """Issue id -> the merges and splits of the night ending `end` that concern it, worded for a reader."""
    lineage: dict[str, list[str]] = defaultdict(list)
    for event in connection.execute(select(t.issue_lineage).where(t.issue_lineage.c.window_end == end)).mappings():
        if event["event"] == "merged_into":
            subject, other, verb = event["related_issue_id"], event["issue_id"], "absorbed"
        else:
            subject, other, verb = event["issue_id"], event["related_issue_id"], "split from"
        lineage[subject].append(f"{verb} {other} ({labels.get(other, '?')})")
    return lineage
