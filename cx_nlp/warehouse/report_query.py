"""Read one run's window back from the warehouse into the report's data model."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection, select

from cx_nlp.report import IMPACT_UNITS, DailyPoint, IssueSummary, ReportData, TouchpointSummary
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.store import analyst_labels


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _filled(points: dict[date, DailyPoint], days: list[date]) -> list[DailyPoint]:
    return [points.get(d, DailyPoint(d, 0, 0.0, 0.0)) for d in days]


def load_report_data(connection: Connection, run_id: str, stats: dict | None = None, top_per_touchpoint: int = 5) -> ReportData:
    run = connection.execute(select(t.pipeline_run).where(t.pipeline_run.c.run_id == run_id)).mappings().one()
    end: date = run["interval_end"]
    issue_rows = connection.execute(
        select(t.issue).where(t.issue.c.window_end == end, t.issue.c.status != "resolved")
    ).mappings().all()
    window_start: date = run["window_start"]
    days = _days(window_start, end)

    touchpoint_points: dict[str, dict[date, DailyPoint]] = defaultdict(dict)
    ratings: dict[str, list[float]] = defaultdict(list)
    for row in connection.execute(
        select(t.touchpoint_daily).where(t.touchpoint_daily.c.day >= window_start, t.touchpoint_daily.c.day < end)
    ).mappings():
        touchpoint_points[row["touchpoint"]][row["day"]] = DailyPoint(
            row["day"], row["volume"], row["negative_share"], row["mean_sentiment"]
        )
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
                daily=_filled(points, days),
            )
        )
    touchpoints.sort(key=lambda s: -s.volume)

    issue_points: dict[str, dict[date, DailyPoint]] = defaultdict(dict)
    ids = [r["issue_id"] for r in issue_rows]
    if ids:
        for row in connection.execute(
            select(t.issue_daily).where(
                t.issue_daily.c.issue_id.in_(ids), t.issue_daily.c.day >= window_start, t.issue_daily.c.day < end
            )
        ).mappings():
            issue_points[row["issue_id"]][row["day"]] = DailyPoint(
                row["day"], row["volume"], row["negative_share"], row["mean_sentiment"]
            )
    lineage: dict[str, list[str]] = defaultdict(list)
    # An analyst's name for an issue wins over its keyword label, here and in the marts.
    labels = dict(connection.execute(select(t.issue.c.issue_id, t.issue.c.label)).all()) | analyst_labels(connection)
    for event in connection.execute(select(t.issue_lineage).where(t.issue_lineage.c.window_end == end)).mappings():
        if event["event"] == "merged_into":
            subject, other, verb = event["related_issue_id"], event["issue_id"], "absorbed"
        else:
            subject, other, verb = event["issue_id"], event["related_issue_id"], "split from"
        lineage[subject].append(f"{verb} {other} ({labels.get(other, '?')})")
    order = {s.touchpoint: i for i, s in enumerate(touchpoints)}
    ranked = sorted(issue_rows, key=lambda r: (order.get(r["touchpoint"], 99), -r["volume"], r["issue_id"]))
    shown: dict[str, int] = defaultdict(int)
    issues = []
    for row in ranked:
        if shown[row["touchpoint"]] >= top_per_touchpoint:
            continue
        shown[row["touchpoint"]] += 1
        issues.append(
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
                trend=_filled(issue_points[row["issue_id"]], days),
                verbatims=[r["text"] for r in row["representatives"]],
                status=row["status"],
                lineage=sorted(lineage[row["issue_id"]]),
                impact={kind: row[f"{kind}_impact"] for kind in IMPACT_UNITS if row[f"{kind}_impact"] is not None},
            )
        )
    stats = stats if stats is not None else dict(run["stats"] or {})
    return ReportData(
        run_id=run_id,
        interval_start=run["interval_start"],
        interval_end=end,
        window_start=window_start,
        generated_at=datetime.now(timezone.utc),
        warehouse=connection.engine.url.render_as_string(hide_password=True),
        stats={k: v for k, v in stats.items() if isinstance(v, int)},
        touchpoints=touchpoints,
        issues=issues,
        sentiment_model=run["sentiment_model"] or "",
        embedding_model=run["embedding_model"] or "",
    )
