"""The HTML report renders real content, escapes customer text and keeps its inline SVG well-formed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from cx_nlp.report import (
    NO_FEEDBACK_MESSAGE,
    DailyPoint,
    IssueSummary,
    ReportData,
    TouchpointSummary,
    daily_volume_svg,
    impact_figures,
    render_report,
    sentiment_svg,
    sparkline_svg,
    write_report,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
WINDOW_START = date(2024, 5, 1)
DAYS = 14
XSS = "<script>alert(1)</script>"


def _series(volumes: list[int], negative_share: float = 0.4, sentiment: float = -0.2) -> list[DailyPoint]:
    return [
        DailyPoint(WINDOW_START + timedelta(days=offset), volume, negative_share if volume else 0.0, sentiment)
        for offset, volume in enumerate(volumes)
    ]


def _issue(issue_id: str, touchpoint: str, label: str, volumes: list[int], **overrides) -> IssueSummary:
    fields = dict(
        issue_id=issue_id,
        touchpoint=touchpoint,
        label=label,
        keywords=label.split(" / "),
        volume=sum(volumes),
        negative_share=0.7,
        mean_sentiment=-0.45,
        first_seen=WINDOW_START,
        last_seen=WINDOW_START + timedelta(days=DAYS - 1),
        trend=_series(volumes),
        verbatims=["The parcel came five days late.", "Courier never rang the bell."],
    )
    fields.update(overrides)
    return IssueSummary(**fields)


def _report(touchpoints: list[TouchpointSummary], issues: list[IssueSummary], days: int = DAYS) -> ReportData:
    return ReportData(
        run_id="scheduled__2024-05-14",
        interval_start=WINDOW_START + timedelta(days=days - 1),
        interval_end=WINDOW_START + timedelta(days=days),
        window_start=WINDOW_START,
        generated_at=datetime(2024, 5, 15, 3, 10, tzinfo=UTC),
        warehouse="postgresql+psycopg://cx@localhost:5432/cx",
        stats={"raw": 450, "quarantined": 12, "duplicates": 8, "feedback": 430, "pii_redactions": 17},
        touchpoints=touchpoints,
        issues=issues,
        sentiment_model="cx-sentiment-minilm@1.0.0",
        embedding_model="all-MiniLM-L6-v2@2.0.0",
    )


@pytest.fixture
def sample() -> ReportData:
    delivery_volumes = [5, 8, 0, 12, 9, 7, 30, 6, 4, 0, 3, 11, 10, 9]
    billing_volumes = [2, 1, 4, 0, 0, 3, 2, 5, 1, 2, 2, 0, 1, 3]
    touchpoints = [
        TouchpointSummary("delivery", sum(delivery_volumes), 0.52, -0.31, 2.4, _series(delivery_volumes, 0.52)),
        TouchpointSummary(
            "billing & payments", sum(billing_volumes), 0.2, 0.18, None, _series(billing_volumes, 0.2, 0.18)
        ),
    ]
    issues = [
        _issue(
            "delivery-0001",
            "delivery",
            "late delivery / courier / days",
            delivery_volumes,
            impact={"rating": 0.4234, "nps": 12.5, "ces": -0.1},
        ),
        _issue(
            "delivery-0002",
            "delivery",
            "damaged parcel / box",
            [0] * 10 + [1, 4, 6, 9],
            status="emerging",
            verbatims=[f"Box was crushed {XSS}", "Second", "Third", "Fourth is never shown"],
        ),
        _issue(
            "billing-0001",
            "billing & payments",
            "double charge / refund",
            billing_volumes,
            status="resolved",
            verbatims=[],
        ),
    ]
    return _report(touchpoints, issues)


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)


class _Collector(HTMLParser):
    """Records the document's text and tags so assertions see what a browser would display."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def test_report_shows_each_issue_and_touchpoint(sample):
    html = render_report(sample)
    text = " ".join(_parse(html).text)
    for issue in sample.issues:
        assert issue.label in text
        assert issue.issue_id in text
    assert "delivery" in text and "billing & payments" in text
    assert "scheduled__2024-05-14" in text
    assert "cx-sentiment-minilm@1.0.0" in text
    assert "14 May 2024" in text  # the interval, one day
    assert "1 May 2024 – 14 May 2024 (14 days)" in text
    for figure in ("450", "12", "8", "430", "17"):
        assert re.search(rf'<span class="value">{figure}</span>', html)


def test_issues_are_grouped_under_their_touchpoint_in_caller_order(sample):
    html = render_report(sample)
    positions = [html.index(label) for label in ("late delivery", "damaged parcel", "double charge")]
    assert positions == sorted(positions)
    billing_heading = html.index('id="tp-2">billing')
    assert positions[1] < billing_heading < positions[2]


def test_customer_text_is_escaped(sample):
    html = render_report(sample)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _parse(html).tags.count("script") == 1  # only the page's own print helper


def test_at_most_three_verbatims_are_shown(sample):
    html = render_report(sample)
    assert "Third" in html
    assert "Fourth is never shown" not in html
    assert html.count("<blockquote>") == 2 + 3  # the resolved issue has none


def test_impact_shows_each_score_the_touchpoint_has(sample):
    html = render_report(sample)
    cells = re.findall(r'<td class="num impact">(.*?)</td>', html)
    # One cell per issue, in order: the late-delivery issue costs stars and NPS and, oddly, helps CES;
    # the others carry no score at all.
    assert cells == ["<span>+0.42 stars</span><span>+12.5 NPS</span><span>-0.10 CES</span>", "–", "–"]
    assert "Impact: how much the touchpoint's score would rise" in html
    assert impact_figures({"rating": -0.004, "csat": 0.0}) == ["+0.00 stars", "+0.0 CSAT"]


def test_emerging_issue_is_highlighted(sample):
    html = render_report(sample)
    assert '<span class="badge emerging">emerging</span>' in html
    assert '<tr class="issue emerging">' in html
    assert '<span class="badge resolved">resolved</span>' in html


def test_svg_charts_and_one_sparkline_per_issue(sample):
    html = render_report(sample)
    svgs = _svgs(html)
    roots = [ET.fromstring(svg) for svg in svgs]
    classes = [root.get("class") for root in roots]
    assert classes.count("sparkline") == len(sample.issues)
    assert "chart chart-volume" in classes and "chart chart-sentiment" in classes
    assert len(svgs) == len(sample.issues) + 2
    for root in roots:
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("role") == "img" and root.get("aria-label")
        assert root[0].tag == f"{SVG_NS}title" and root[0].text


def test_volume_chart_stacks_negative_share_and_labels_dates(sample):
    root = ET.fromstring(daily_volume_svg(sample.touchpoints))
    bar_titles = [g.findtext(f"{SVG_NS}title") for g in root.iter(f"{SVG_NS}g") if g.find(f"{SVG_NS}rect") is not None]
    assert "delivery, 7 May 2024: 30 feedback, 16 negative (52%)" in bar_titles
    # Days with no feedback draw no bar: 12 delivery days and 11 billing days have some.
    assert len([t for t in bar_titles if t and "feedback," in t]) == 12 + 11
    labels = [t.text for t in root.iter(f"{SVG_NS}text") if t.text and re.fullmatch(r"\d+ May", t.text)]
    assert labels[0] == "1 May" and 1 < len(labels) <= 10


def test_sentiment_chart_diverges_around_zero(sample):
    root = ET.fromstring(sentiment_svg(sample.touchpoints))
    bars = {g.findtext(f"{SVG_NS}title").split(":")[0]: g.find(f"{SVG_NS}rect") for g in root.iter(f"{SVG_NS}g")}
    assert bars["delivery"].get("fill") == "#c23b3b"
    assert bars["billing & payments"].get("fill") == "#2f8a57"
    # Negative bars end at the zero line, positive ones start there.
    delivery_end = float(bars["delivery"].get("x")) + float(bars["delivery"].get("width"))
    assert delivery_end == pytest.approx(float(bars["billing & payments"].get("x")), abs=0.1)


def test_charts_handle_a_single_day():
    touchpoint = TouchpointSummary("checkout", 3, 1.0, -0.9, 1.0, _series([3], 1.0))
    issue = _issue("checkout-0001", "checkout", "card declined", [3])
    html = render_report(_report([touchpoint], [issue], days=1))
    for svg in _svgs(html):
        ET.fromstring(svg)
    assert "card declined" in html
    assert "1 May 2024 (1 day)" in html
    assert "1 May 2024: 3 in total, peak 3 on 1 May 2024" in sparkline_svg(issue.trend)


def test_empty_report_says_there_is_no_feedback():
    html = render_report(_report([], []))
    assert NO_FEEDBACK_MESSAGE in html
    assert _svgs(html) == []
    assert "<table" not in html


def test_empty_inputs_to_chart_helpers_render_a_message():
    for svg in (daily_volume_svg([]), sentiment_svg([])):
        root = ET.fromstring(svg)
        assert NO_FEEDBACK_MESSAGE in "".join(root.itertext())
    assert ET.fromstring(sparkline_svg([])).get("class") == "sparkline"


def test_write_report_creates_directories_and_file(sample, tmp_path):
    target = tmp_path / "reports" / "2024-05-14" / "report.html"
    written = write_report(sample, target)
    assert written == target
    content = target.read_text(encoding="utf-8")
    assert content.startswith("<!DOCTYPE html>")
    assert "late delivery / courier / days" in content
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind


def test_the_report_says_when_issues_were_found_across_touchpoints(sample):
    from dataclasses import replace

    from cx_nlp.report.query import run_notes

    assert run_notes({"issue_grouping": "touchpoint"}) == [] and run_notes({}) == []
    notes = run_notes({"issue_grouping": "across,touchpoint"})
    assert len(notes) == 1 and "taxonomy suggest" in notes[0]
    assert "were found across touchpoints" not in render_report(sample)
    assert "were found across touchpoints" in render_report(replace(sample, notes=notes))


def test_a_verbatim_shows_its_whole_feedback_one_click_away(sample):
    from dataclasses import replace

    issue = replace(
        sample.issues[0],
        verbatims=["the box was crushed"],
        verbatim_documents=["Lovely sofa and fast delivery, but the box was crushed."],
    )
    html = render_report(replace(sample, issues=[issue, *sample.issues[1:]]))
    assert "whole feedback" in html and "Lovely sofa and fast delivery" in html
