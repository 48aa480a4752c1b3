"""Static HTML report of a run: touchpoint volumes and sentiment, and each touchpoint's recurring issues.

The page is one self-contained file (inline CSS, charts as inline SVG built here) because analysts open
it from a shared drive or an e-mail attachment, often with no network access.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

NO_FEEDBACK_MESSAGE = "No feedback in this window."

NEGATIVE_COLOUR = "#c23b3b"
POSITIVE_COLOUR = "#2f8a57"
OTHER_VOLUME_COLOUR = "#a9bccf"
SPARKLINE_COLOUR = "#4a6f94"
AXIS_COLOUR = "#6b7785"
GRID_COLOUR = "#e3e8ee"
TEXT_COLOUR = "#1f2933"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

# More date labels than this overlap on a report-width chart, whatever the window length.
MAX_DATE_LABELS = 10

STAT_LABELS = {
    "raw": "Raw records",
    "quarantined": "Quarantined",
    "duplicates": "Duplicates",
    "feedback": "Feedback",
    "pii_redactions": "PII redactions",
}
KNOWN_STATUSES = ("active", "emerging", "resolved")
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
    verbatims: list[str]
    status: str = "active"  # active | emerging | resolved
    # What happened to the issue's identity this night: "absorbed checkout-0002 (promo / code)",
    # "split from billing-0001 (twice / charged)".
    lineage: list[str] = field(default_factory=list)
    # How much the touchpoint's score would rise without this issue's feedback, per score the
    # touchpoint has (keys of IMPACT_UNITS): "rating" (stars), "nps", "csat", "ces".
    impact: dict[str, float] = field(default_factory=dict)


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


def _num(value: float) -> str:
    """Coordinates rounded so the markup stays small and diff-able between runs."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg_open(width: float, height: float, label: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
        f'width="{_num(width)}" height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'aria-label="{escape(label)}" font-family="{escape(FONT_FAMILY)}" font-size="11" fill="{TEXT_COLOUR}">'
        f"<title>{escape(label)}</title>"
    )


def _empty_chart(label: str, css_class: str, width: float = 480, height: float = 60) -> Markup:
    return Markup(
        _svg_open(width, height, f"{label}: {NO_FEEDBACK_MESSAGE}", css_class)
        + f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
        f'dominant-baseline="middle" font-size="13" fill="{AXIS_COLOUR}">{escape(NO_FEEDBACK_MESSAGE)}</text>'
        "</svg>"
    )


def _long_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _label_every(day_count: int) -> int:
    return max(1, math.ceil(day_count / MAX_DATE_LABELS))


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _negative_count(point: DailyPoint) -> int:
    return min(point.volume, max(0, round(point.volume * point.negative_share)))


def window_days(start: date, end: date) -> list[date]:
    """Every day in [start, end): the chart axis shows quiet days rather than skipping them."""
    return [start + timedelta(days=offset) for offset in range((end - start).days)]


def _chart_days(touchpoints: Sequence[TouchpointSummary], days: Sequence[date] | None) -> list[date]:
    # Days present in the data but outside the given axis still get a slot, so no volume is hidden.
    found = {point.day for touchpoint in touchpoints for point in touchpoint.daily}
    return sorted(found.union(days or ()))


def daily_volume_svg(touchpoints: Sequence[TouchpointSummary], days: Sequence[date] | None = None) -> Markup:
    """Small multiples, one panel per touchpoint, of daily volume stacked as negative vs the rest.

    Each panel has its own y scale: a small touchpoint's spike matters as much as a big one's, and the
    panel's heading carries the absolute volume.
    """
    title = "Daily feedback volume per touchpoint, negative vs other"
    axis = _chart_days(touchpoints, days)
    if not touchpoints or not axis:
        return _empty_chart(title, "chart chart-volume")

    width, left, right = 960.0, 44.0, 12.0
    heading_height, panel_height, panel_gap, legend_height, axis_height = 18.0, 56.0, 14.0, 22.0, 26.0
    plot_width = width - left - right
    slot = plot_width / len(axis)
    bar_width = min(slot * 0.8, 36.0)
    height = legend_height + len(touchpoints) * (heading_height + panel_height + panel_gap) + axis_height
    first, last = axis[0], axis[-1]
    parts = [_svg_open(width, height, f"{title}, {_long_day(first)} to {_long_day(last)}", "chart chart-volume")]

    parts.append(
        f'<g class="legend" transform="translate({_num(left)},4)">'
        f'<rect width="10" height="10" fill="{NEGATIVE_COLOUR}"/><text x="14" y="9">negative</text>'
        f'<rect x="80" width="10" height="10" fill="{OTHER_VOLUME_COLOUR}"/><text x="94" y="9">other</text>'
        "</g>"
    )

    top = legend_height
    for touchpoint in touchpoints:
        by_day = {point.day: point for point in touchpoint.daily}
        peak = max((point.volume for point in touchpoint.daily), default=0)
        scale_max = max(peak, 1)
        baseline = top + heading_height + panel_height
        parts.append(f'<g class="panel" aria-label="{escape(touchpoint.touchpoint)}">')
        parts.append(
            f'<text x="{_num(left)}" y="{_num(top + 12)}" font-weight="600">{escape(touchpoint.touchpoint)}'
            f'<tspan font-weight="400" fill="{AXIS_COLOUR}"> · {touchpoint.volume:,} feedback · '
            f"{touchpoint.negative_share:.0%} negative</tspan></text>"
        )
        peak_y = baseline - panel_height
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(peak_y)}" y2="{_num(peak_y)}" '
            f'stroke="{GRID_COLOUR}"/>'
            f'<text x="{_num(left - 6)}" y="{_num(peak_y + 4)}" text-anchor="end" fill="{AXIS_COLOUR}">{peak:,}</text>'
            f'<text x="{_num(left - 6)}" y="{_num(baseline)}" text-anchor="end" fill="{AXIS_COLOUR}">0</text>'
        )
        for index, day in enumerate(axis):
            point = by_day.get(day)
            if point is None or point.volume <= 0:
                continue
            negative = _negative_count(point)
            x = left + index * slot + (slot - bar_width) / 2
            total_height = panel_height * point.volume / scale_max
            negative_height = panel_height * negative / scale_max
            parts.append(
                f"<g><title>{escape(touchpoint.touchpoint)}, {_long_day(day)}: {point.volume:,} feedback, "
                f"{negative:,} negative ({point.negative_share:.0%})</title>"
                f'<rect x="{_num(x)}" y="{_num(baseline - total_height)}" width="{_num(bar_width)}" '
                f'height="{_num(total_height - negative_height)}" fill="{OTHER_VOLUME_COLOUR}"/>'
                f'<rect x="{_num(x)}" y="{_num(baseline - negative_height)}" width="{_num(bar_width)}" '
                f'height="{_num(negative_height)}" fill="{NEGATIVE_COLOUR}"/></g>'
            )
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(width - right)}" y1="{_num(baseline)}" y2="{_num(baseline)}" '
            f'stroke="{AXIS_COLOUR}"/></g>'
        )
        top = baseline + panel_gap

    parts.append(_date_axis(axis, left, slot, top, "Day"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _date_axis(axis: Sequence[date], left: float, slot: float, y: float, caption: str) -> str:
    step = _label_every(len(axis))
    ticks = [f'<g class="x-axis" aria-label="{escape(caption)}" fill="{AXIS_COLOUR}">']
    for index in range(0, len(axis), step):
        x = left + index * slot + slot / 2
        ticks.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(y - 10)}" y2="{_num(y - 6)}" stroke="{AXIS_COLOUR}"/>'
            f'<text x="{_num(x)}" y="{_num(y + 6)}" text-anchor="middle">{_short_day(axis[index])}</text>'
        )
    ticks.append("</g>")
    return "".join(ticks)


def sentiment_svg(touchpoints: Sequence[TouchpointSummary]) -> Markup:
    """Horizontal bars of mean sentiment per touchpoint, diverging from 0 (red below, green above)."""
    title = "Mean sentiment per touchpoint (-1 negative to +1 positive)"
    if not touchpoints:
        return _empty_chart(title, "chart chart-sentiment")

    width, left, right = 960.0, 170.0, 60.0
    row_height, top, axis_height = 26.0, 8.0, 28.0
    plot_width = width - left - right
    # The scale widens in quarter steps up to the full -1..1 range, so typical means of +/-0.3 are
    # still legible bars while the ticks stay round numbers.
    largest = max(abs(touchpoint.mean_sentiment) for touchpoint in touchpoints)
    extent = min(1.0, max(0.25, math.ceil(largest * 4) / 4))
    zero_x = left + plot_width / 2
    height = top + len(touchpoints) * row_height + axis_height
    bottom = top + len(touchpoints) * row_height

    def x_of(value: float) -> float:
        clamped = max(-extent, min(extent, value))
        return zero_x + clamped / extent * plot_width / 2

    parts = [_svg_open(width, height, title, "chart chart-sentiment")]
    for tick in (-extent, -extent / 2, 0.0, extent / 2, extent):
        x = x_of(tick)
        parts.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(top)}" y2="{_num(bottom)}" '
            f'stroke="{AXIS_COLOUR if tick == 0 else GRID_COLOUR}"/>'
            f'<text x="{_num(x)}" y="{_num(bottom + 14)}" text-anchor="middle" fill="{AXIS_COLOUR}">'
            f"{tick:+.2f}</text>"
        )
    parts.append(
        f'<text x="{_num(zero_x)}" y="{_num(bottom + 26)}" text-anchor="middle" fill="{AXIS_COLOUR}">'
        "mean sentiment</text>"
    )
    for index, touchpoint in enumerate(touchpoints):
        y = top + index * row_height
        value = touchpoint.mean_sentiment
        bar_start, bar_end = sorted((zero_x, x_of(value)))
        colour = NEGATIVE_COLOUR if value < 0 else POSITIVE_COLOUR
        value_x, anchor = (bar_start - 4, "end") if value < 0 else (bar_end + 4, "start")
        parts.append(
            f"<g><title>{escape(touchpoint.touchpoint)}: mean sentiment {value:+.2f} "
            f"over {touchpoint.volume:,} feedback</title>"
            f'<text x="{_num(left - 8)}" y="{_num(y + row_height / 2 + 4)}" text-anchor="end">'
            f"{escape(_clip(touchpoint.touchpoint, 26))}</text>"
            f'<rect x="{_num(bar_start)}" y="{_num(y + 4)}" width="{_num(bar_end - bar_start)}" '
            f'height="{_num(row_height - 8)}" fill="{colour}"/>'
            f'<text x="{_num(value_x)}" y="{_num(y + row_height / 2 + 4)}" text-anchor="{anchor}" '
            f'fill="{AXIS_COLOUR}">{value:+.2f}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline_svg(trend: Sequence[DailyPoint], label: str = "Daily volume") -> Markup:
    """A table-cell-sized bar sparkline of daily volume; bars, not a line, so a single day still shows."""
    width, height, pad = 120.0, 28.0, 2.0
    points = sorted(trend, key=lambda point: point.day)
    if not points:
        return Markup(
            _svg_open(width, height, f"{label}: no data", "sparkline")
            + f'<line x1="0" x2="{_num(width)}" y1="{_num(height - pad)}" y2="{_num(height - pad)}" '
            f'stroke="{GRID_COLOUR}"/></svg>'
        )
    total = sum(point.volume for point in points)
    peak = max(points, key=lambda point: point.volume)
    description = (
        f"{label}, {_long_day(points[0].day)} to {_long_day(points[-1].day)}: {total:,} in total, "
        f"peak {peak.volume:,} on {_long_day(peak.day)}"
    )
    slot = width / len(points)
    bar_width = max(1.0, min(slot * 0.75, 12.0))
    scale_max = max(peak.volume, 1)
    usable = height - 2 * pad
    parts = [
        _svg_open(width, height, description, "sparkline"),
        f'<line x1="0" x2="{_num(width)}" y1="{_num(height - pad)}" y2="{_num(height - pad)}" stroke="{GRID_COLOUR}"/>',
    ]
    for index, point in enumerate(points):
        if point.volume <= 0:
            continue
        bar_height = max(1.0, usable * point.volume / scale_max)
        x = index * slot + (slot - bar_width) / 2
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(height - pad - bar_height)}" width="{_num(bar_width)}" '
            f'height="{_num(bar_height)}" fill="{SPARKLINE_COLOUR}"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


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
        return _long_day(start)
    return f"{_long_day(start)} – {_long_day(last)}"


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
    env.filters["day"] = _long_day
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
