"""A run's HTML report: read from the warehouse (`query`), drawn as one self-contained page (`page`)."""

from cx_nlp.report.charts import daily_volume_svg, sentiment_svg, sparkline_svg, window_days
from cx_nlp.report.model import (
    IMPACT_UNITS,
    NO_FEEDBACK_MESSAGE,
    DailyPoint,
    IssueSummary,
    ReportData,
    TouchpointSummary,
)
from cx_nlp.report.page import impact_figures, render_report, write_report
from cx_nlp.report.query import load_report_data

__all__ = [
    "IMPACT_UNITS",
    "NO_FEEDBACK_MESSAGE",
    "DailyPoint",
    "IssueSummary",
    "ReportData",
    "TouchpointSummary",
    "daily_volume_svg",
    "impact_figures",
    "load_report_data",
    "render_report",
    "sentiment_svg",
    "sparkline_svg",
    "window_days",
    "write_report",
]
