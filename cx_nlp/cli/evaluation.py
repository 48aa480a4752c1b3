"""`cx-nlp evaluate`: the pipeline's quality on a labelled set, as tables or JSON."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from cx_nlp.cli.common import fail, load_settings


def evaluate_command(
    dataset: str = typer.Option(
        ...,
        "--dataset",
        help="Labelled CSV: text[, id, created_at, source_kind, rating, sentiment, issue]; or packaged:NAME, "
        "a public labelled set an installed package ships (packaged:hutto-amazon-reviews, "
        "packaged:hutto-movie-reviews, packaged:hutto-nyt-editorials, packaged:hutto-tweets, "
        "packaged:womens-clothing-reviews).",
    ),
    config: Path = typer.Option(None, "--config", help="Touchpoints taxonomy YAML instead of the configured one."),
    seed: int = typer.Option(13, help="Seed of the held-out 10% and of the k-means and BERTopic (UMAP) baselines."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
    sample: int = typer.Option(
        None, "--sample", min=1, help="Evaluate this many rows drawn at random (--seed) instead of all."
    ),
) -> None:
    """Run the pipeline on a labelled set in a throwaway warehouse and print sentiment and issue quality."""
    import json

    from cx_nlp.config import ConfigError
    from cx_nlp.evaluate import DETAIL_KEYS, NO_ISSUE, SENTIMENT_LABELS, evaluate

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    settings.progress = settings.progress and not as_json and sys.stdout.isatty()
    if config is not None:
        settings.touchpoints_config = config.resolve()
    try:
        metrics = evaluate(dataset, settings, seed=seed, sample=sample)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(metrics))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Pipeline quality on {Path(dataset).name}", caption=f"taxonomy {settings.touchpoints_config}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        if name not in DETAIL_KEYS:
            table.add_row(name, "n/a" if value is None else str(value))
    console.print(table)
    if metrics["sentiment_confusion"]:
        confusion = Table(title="Sentiment confusion (rows gold, columns predicted)")
        confusion.add_column("gold")
        for label in SENTIMENT_LABELS:
            confusion.add_column(label, justify="right")
        for label, counts in zip(SENTIMENT_LABELS, metrics["sentiment_confusion"]):
            confusion.add_row(label, *(str(c) for c in counts))
        console.print(confusion)
    if metrics["issue_breakdown"]:
        breakdown = Table(title="Where each gold issue went (found issue: documents)")
        breakdown.add_column("gold issue")
        breakdown.add_column("found issues", overflow="fold")
        for label, found in metrics["issue_breakdown"].items():
            breakdown.add_row(label, ", ".join(f"{'no issue' if i == NO_ISSUE else i}: {n}" for i, n in found.items()))
        console.print(breakdown)
