"""The nightly job's commands: set up the warehouse, run or ingest an interval, write a report again."""

from __future__ import annotations

import logging
import sys
from datetime import date, timedelta

import typer

from cx_nlp.cli.common import fail, interval, load_settings, open_pipeline_or_exit, warehouse_engine


def init_db() -> None:
    """Create or migrate the warehouse schema (Alembic) at CX_WAREHOUSE_URL."""
    from cx_nlp.warehouse.db import display_url, migrate

    settings = load_settings()
    engine = warehouse_engine(settings)
    migrate(engine, settings.path(settings.sql_dir))
    typer.echo(f"warehouse ready: {display_url(engine)}")


def run(
    start: str = typer.Option(None, help="First day of the data interval (YYYY-MM-DD); default yesterday."),
    end: str = typer.Option(None, help="Day after the last day (exclusive); default start + 1 day."),
    per_day: bool = typer.Option(False, "--per-day", help="Run each day of [start, end) as its own interval."),
    top: int = typer.Option(3, help="Issues to print per touchpoint."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    rescore: bool = typer.Option(
        False, "--rescore", help="Score and embed the interval's feedback again, even under the same model version."
    ),
) -> None:
    """Run the nightly pipeline for a data interval [start, end) and print the top issues."""
    from cx_nlp.operations import analyst_labels
    from cx_nlp.pipeline import run_intervals

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    first, last = interval(start, end, date.today() - timedelta(days=1), "--start")
    settings = load_settings()
    if quiet:
        settings.progress = False
    context, engine = open_pipeline_or_exit(settings)
    results = run_intervals(context, engine, first, last, per_day, rescore)
    _print_result(results[-1], top, analyst_labels(settings))
    # A scheduler must see a partial run: its warehouse rows are kept, but the command fails.
    partial = [r for r in results if r.stats.get("source_failures")]
    for result in partial:
        failed = result.stats["source_failures"]
        typer.secho(
            f"run {result.run_id} is partial: {len(failed)} of {len(context.sources.sources)} sources failed "
            f"({', '.join(sorted(failed))})",
            fg=typer.colors.RED,
            err=True,
        )
    if partial:
        raise typer.Exit(code=1)


def ingest_command(
    source: list[str] = typer.Option(..., "--source", help="Source name from the sources config (repeatable)."),
    since: str = typer.Option(None, help="Backfill from this day (YYYY-MM-DD), ignoring bookmarks; default yesterday."),
    end: str = typer.Option(None, help="Day after the last day (exclusive); default today."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
    rescore: bool = typer.Option(
        False, "--rescore", help="Score and embed the feedback again, even under the same model version."
    ),
) -> None:
    """Load, score and store one source's feedback without mining issues (`cx-nlp run` mines)."""
    from cx_nlp.pipeline import ingest_interval
    from cx_nlp.progress import StageTimer

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    today = date.today()
    first, last = interval(since, end, today - timedelta(days=1), "--since", default_last=today)
    settings = load_settings()
    context, engine = open_pipeline_or_exit(settings)
    try:
        with StageTimer(settings.progress and not quiet) as timer:
            result = ingest_interval(
                context, engine, first, last, sources=source, backfill=since is not None, timer=timer, rescore=rescore
            )
    except ValueError as exc:
        fail(str(exc))
    stats = result.stats
    typer.echo(
        f"ingested {', '.join(result.sources)} for {first}..{last}: {stats['raw']} raw rows, "
        f"{stats['quarantined']} quarantined, {stats['duplicates']} duplicates, {stats['feedback']} feedback "
        f"({stats['scored']} scored)"
    )
    for name, failure in result.source_failures.items():
        typer.secho(f"source {name} failed: {failure}", fg=typer.colors.RED, err=True)
    if result.source_failures:
        raise typer.Exit(code=1)


def _print_result(result, top: int, analyst_labels: dict[str, str] | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from cx_nlp.report import IMPACT_UNITS, impact_figures

    # Piped or under make, rich would assume 80 columns and fold every verbatim into a tall column.
    console = Console(width=None if sys.stdout.isatty() else 150)
    stats = result.stats
    console.print(
        f"[bold]run {result.run_id}[/bold]: {stats['raw']} raw rows, {stats['quarantined']} quarantined, "
        f"{stats['duplicates']} duplicates, {stats['feedback']} feedback "
        f"({stats['scored']} scored, {stats['embedded']} embedded, the rest from cache), "
        f"{stats['pii_redactions']} PII redactions, {stats['issues']} issues, "
        f"outlier share {stats['outlier_share']:.0%}, {stats['seconds']:.1f} s"
    )
    for name, failure in stats.get("source_failures", {}).items():
        console.print(f"[red]source {escape(name)} failed:[/red] {escape(failure)}")
    table = Table(title="Top recurring issues per touchpoint", show_lines=False)
    for column, width in (
        ("touchpoint", 10),
        ("issue", 13),
        ("label", 30),
        ("volume", 6),
        ("negative", 8),
        ("status", 8),
    ):
        table.add_column(column, no_wrap=True, min_width=width)
    table.add_column("impact", no_wrap=True, min_width=12)
    table.add_column("most representative verbatim", overflow="ellipsis", no_wrap=True, max_width=60)
    shown: dict[str, int] = {}
    for issue in result.issues:
        if shown.get(issue.touchpoint, 0) >= top:
            continue
        shown[issue.touchpoint] = shown.get(issue.touchpoint, 0) + 1
        figures = issue.figures
        # Labels and verbatims are people's words: square brackets in them are text, not Rich markup.
        table.add_row(
            escape(issue.touchpoint),
            escape(issue.issue_id),
            escape((analyst_labels or {}).get(issue.issue_id, issue.label)),
            str(figures.volume),
            f"{figures.tone.negative_share:.0%}",
            figures.status,
            "\n".join(impact_figures({kind: getattr(figures.impact, f"{kind}_impact") for kind in IMPACT_UNITS})),
            escape(issue.representatives[0].text) if issue.representatives else "",
        )
    console.print(table)
    console.print(f"report: {result.report_path}")


def report(run_id: str = typer.Option(None, help="Run to report on; default the latest finished run.")) -> None:
    """Write the HTML report of a run again from the warehouse."""
    from cx_nlp.operations import rewrite_report

    try:
        path = rewrite_report(load_settings(), run_id)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(f"report: {path}")
