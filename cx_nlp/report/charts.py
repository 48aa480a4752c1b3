"""The report's charts as inline SVG: daily volume, sentiment per touchpoint, issue sparklines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from cx_nlp.report.model import NO_FEEDBACK_MESSAGE, DailyPoint, TouchpointSummary

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


def long_day(day: date) -> str:
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


@dataclass(frozen=True)
class _VolumeLayout:
    """Geometry of the daily volume chart, shared by its legend, panels and date axis."""

    slot: float
    bar_width: float
    width: float = 960.0
    left: float = 44.0
    right: float = 12.0
    heading_height: float = 18.0
    panel_height: float = 56.0
    panel_gap: float = 14.0
    legend_height: float = 22.0
    axis_height: float = 26.0

    @classmethod
    def for_days(cls, day_count: int) -> _VolumeLayout:
        plot_width = cls.width - cls.left - cls.right
        slot = plot_width / day_count
        return cls(slot=slot, bar_width=min(slot * 0.8, 36.0))

    def height(self, panel_count: int) -> float:
        panel = self.heading_height + self.panel_height + self.panel_gap
        return self.legend_height + panel_count * panel + self.axis_height

    def baseline(self, top: float) -> float:
        return top + self.heading_height + self.panel_height


def daily_volume_svg(touchpoints: Sequence[TouchpointSummary], days: Sequence[date] | None = None) -> Markup:
    """Small multiples, one panel per touchpoint, of daily volume stacked as negative vs the rest.

    Each panel has its own y scale: a small touchpoint's spike matters as much as a big one's, and the
    panel's heading carries the absolute volume.
    """
    title = "Daily feedback volume per touchpoint, negative vs other"
    axis = _chart_days(touchpoints, days)
    if not touchpoints or not axis:
        return _empty_chart(title, "chart chart-volume")

    layout = _VolumeLayout.for_days(len(axis))
    label = f"{title}, {long_day(axis[0])} to {long_day(axis[-1])}"
    parts = [_svg_open(layout.width, layout.height(len(touchpoints)), label, "chart chart-volume")]
    parts.append(_volume_legend(layout.left))
    top = layout.legend_height
    for touchpoint in touchpoints:
        parts.append(_volume_panel(touchpoint, axis, layout, top))
        top = layout.baseline(top) + layout.panel_gap
    parts.append(_date_axis(axis, layout.left, layout.slot, top, "Day"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _volume_legend(left: float) -> str:
    return (
        f'<g class="legend" transform="translate({_num(left)},4)">'
        f'<rect width="10" height="10" fill="{NEGATIVE_COLOUR}"/><text x="14" y="9">negative</text>'
        f'<rect x="80" width="10" height="10" fill="{OTHER_VOLUME_COLOUR}"/><text x="94" y="9">other</text>'
        "</g>"
    )


def _volume_panel(touchpoint: TouchpointSummary, axis: Sequence[date], layout: _VolumeLayout, top: float) -> str:
    """One touchpoint's panel, its top at `top`: heading, y scale from 0 to its own peak, bars, baseline."""
    baseline = layout.baseline(top)
    peak = max((point.volume for point in touchpoint.daily), default=0)
    left, line_end = layout.left, layout.width - layout.right
    peak_y = baseline - layout.panel_height
    return (
        f'<g class="panel" aria-label="{escape(touchpoint.touchpoint)}">'
        f'<text x="{_num(left)}" y="{_num(top + 12)}" font-weight="600">{escape(touchpoint.touchpoint)}'
        f'<tspan font-weight="400" fill="{AXIS_COLOUR}"> · {touchpoint.volume:,} feedback · '
        f"{touchpoint.negative_share:.0%} negative</tspan></text>"
        f'<line x1="{_num(left)}" x2="{_num(line_end)}" y1="{_num(peak_y)}" y2="{_num(peak_y)}" '
        f'stroke="{GRID_COLOUR}"/>'
        f'<text x="{_num(left - 6)}" y="{_num(peak_y + 4)}" text-anchor="end" fill="{AXIS_COLOUR}">{peak:,}</text>'
        f'<text x="{_num(left - 6)}" y="{_num(baseline)}" text-anchor="end" fill="{AXIS_COLOUR}">0</text>'
        + _volume_bars(touchpoint, axis, layout, baseline, max(peak, 1))
        + f'<line x1="{_num(left)}" x2="{_num(line_end)}" y1="{_num(baseline)}" y2="{_num(baseline)}" '
        f'stroke="{AXIS_COLOUR}"/></g>'
    )


def _volume_bars(
    touchpoint: TouchpointSummary, axis: Sequence[date], layout: _VolumeLayout, baseline: float, scale_max: int
) -> str:
    """A stacked bar per day with feedback: the negative part at the bottom, the rest above it."""
    by_day = {point.day: point for point in touchpoint.daily}
    bars = []
    for index, day in enumerate(axis):
        point = by_day.get(day)
        if point is None or point.volume <= 0:
            continue
        negative = _negative_count(point)
        x = layout.left + index * layout.slot + (layout.slot - layout.bar_width) / 2
        total_height = layout.panel_height * point.volume / scale_max
        negative_height = layout.panel_height * negative / scale_max
        bars.append(
            f"<g><title>{escape(touchpoint.touchpoint)}, {long_day(day)}: {point.volume:,} feedback, "
            f"{negative:,} negative ({point.negative_share:.0%})</title>"
            f'<rect x="{_num(x)}" y="{_num(baseline - total_height)}" width="{_num(layout.bar_width)}" '
            f'height="{_num(total_height - negative_height)}" fill="{OTHER_VOLUME_COLOUR}"/>'
            f'<rect x="{_num(x)}" y="{_num(baseline - negative_height)}" width="{_num(layout.bar_width)}" '
            f'height="{_num(negative_height)}" fill="{NEGATIVE_COLOUR}"/></g>'
        )
    return "".join(bars)


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
        f"{label}, {long_day(points[0].day)} to {long_day(points[-1].day)}: {total:,} in total, "
        f"peak {peak.volume:,} on {long_day(peak.day)}"
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
