"""Static HTML report of a run: touchpoint volumes and sentiment, and each touchpoint's recurring issues.

The page is one self-contained file (inline CSS, charts as inline SVG built here) because analysts open
it from a shared drive or an e-mail attachment, often with no network access.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from cx_nlp.report.charts import daily_volume_svg, long_day, sentiment_svg, sparkline_svg, window_days
from cx_nlp.report.model import IMPACT_UNITS, NO_FEEDBACK_MESSAGE, IssueSummary, ReportData, TouchpointSummary

STAT_LABELS = {
    "raw": "Raw records",
    "quarantined": "Quarantined",
    "duplicates": "Duplicates",
    "feedback": "Feedback",
    "pii_redactions": "PII redactions",
}
KNOWN_STATUSES = ("active", "emerging", "resolved")


def impact_figures(impact: dict[str, float]) -> list[str]:
    """An issue's impact as short figures, "+0.42 stars", "+12.5 NPS", in IMPACT_UNITS order."""
    figures = []
    for kind, (unit, template) in IMPACT_UNITS.items():
        if impact.get(kind) is None:
            continue
        figure = template.format(impact[kind])
        # A cost that rounds to nothing reads "+0.00", not "-0.00".
        figures.append(f"{template.format(0.0) if float(figure) == 0 else figure} {unit}")
    return figures


@dataclass
class _IssueRow:
    issue: IssueSummary
    status_class: str
    sparkline: Markup
    impact: list[str] = field(default_factory=list)


@dataclass
class _TouchpointSection:
    name: str
    summary: TouchpointSummary | None
    rows: list[_IssueRow] = field(default_factory=list)


def _sections(data: ReportData) -> list[_TouchpointSection]:
    """Touchpoints in the caller's order, each with its issues in the caller's order.

    A touchpoint that has issues but no summary still gets a section, after the summarised ones,
    so no issue silently drops out of the report.
    """
    sections = {t.touchpoint: _TouchpointSection(t.touchpoint, t) for t in data.touchpoints}
    for issue in data.issues:
        section = sections.setdefault(issue.touchpoint, _TouchpointSection(issue.touchpoint, None))
        status_class = issue.status if issue.status in KNOWN_STATUSES else "other"
        sparkline = sparkline_svg(issue.trend, f"{issue.label}: daily volume")
        section.rows.append(_IssueRow(issue, status_class, sparkline, impact_figures(issue.impact)))
    return list(sections.values())


def _stats_strip(stats: dict[str, int]) -> list[tuple[str, int | None]]:
    known = [(label, stats.get(key)) for key, label in STAT_LABELS.items()]
    extra = [(key.replace("_", " ").capitalize(), value) for key, value in stats.items() if key not in STAT_LABELS]
    return known + extra


def _period(start: date, end_exclusive: date) -> str:
    last = end_exclusive - timedelta(days=1)
    if last <= start:
        return long_day(start)
    return f"{long_day(start)} – {long_day(last)}"


def _timestamp(moment: datetime) -> str:
    zone = moment.tzname()
    return f"{moment:%Y-%m-%d %H:%M}" + (f" {zone}" if zone else "")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cx_nlp", "templates"),
        # Verbatims are customer text. The default select_autoescape() keys on ".html" and would leave
        # "report.html.j2" unescaped, so the template suffix is named explicitly.
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "svg.j2"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda value: "–" if value is None else f"{value:,}"
    env.filters["percent"] = lambda value: f"{value:.0%}"
    env.filters["signed"] = lambda value: f"{value:+.2f}"
    env.filters["day"] = long_day
    return env


def render_report(data: ReportData) -> str:
    """The whole report as one self-contained HTML document."""
    axis = window_days(data.window_start, data.interval_end)
    has_feedback = any(t.volume > 0 for t in data.touchpoints) or bool(data.issues)
    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data,
        interval=_period(data.interval_start, data.interval_end),
        window=_period(data.window_start, data.interval_end),
        window_length=len(axis),
        generated=_timestamp(data.generated_at),
        stats=_stats_strip(data.stats),
        has_feedback=has_feedback,
        no_feedback_message=NO_FEEDBACK_MESSAGE,
        volume_chart=daily_volume_svg(data.touchpoints, axis) if has_feedback else None,
        sentiment_chart=sentiment_svg(data.touchpoints) if has_feedback else None,
        sections=_sections(data),
    )


def write_report(data: ReportData, path: Path) -> Path:
    """Writes the report to `path`, replacing any earlier one for the same run."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: someone opening the report during a rerun sees the old or the new page,
    # never half of one.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render_report(data), encoding="utf-8")
    os.replace(partial, path)
    return path
