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
    seeds: list[int] = typer.Option(
        [13],
        "--seed",
        help="Seed of the held-out 10% and of the k-means and BERTopic (UMAP) baselines. Give it several times "
        "(--seed 13 --seed 1 --seed 2) to evaluate at each and print the mean, least and most of every figure.",
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the metrics as one JSON object; with several seeds, {seeds, summary, per_seed}.",
    ),
    sample: int = typer.Option(
        None,
        "--sample",
        min=1,
        help="Evaluate this many rows drawn at random (each --seed draws its own) instead of all.",
    ),
) -> None:
    """Run the pipeline on a labelled set in a throwaway warehouse and print sentiment and issue quality."""
    import json

    from cx_nlp.config import ConfigError
    from cx_nlp.evaluate import evaluate, evaluate_seeds

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    settings.progress = settings.progress and not as_json and sys.stdout.isatty()
    if config is not None:
        settings.touchpoints_config = config.resolve()
    several = len(seeds) > 1  # {seeds, summary, per_seed} rather than one seed's metrics
    try:
        if several:
            result = evaluate_seeds(dataset, settings, seeds, sample=sample)
        else:
            result = evaluate(dataset, settings, seed=seeds[0], sample=sample)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console

    if several:
        _print_seeds(Console(), dataset, result)
    else:
        _print_metrics(Console(), dataset, result)


def _print_metrics(console, dataset: str, metrics: dict) -> None:
    """The figures of one seed, then the sentiment confusion and where each gold issue went."""
    from rich.table import Table

    from cx_nlp.evaluate import DETAIL_KEYS, NO_ISSUE, SENTIMENT_LABELS

    table = Table(title=f"Pipeline quality on {Path(dataset).name}", caption=conditions_caption(metrics["conditions"]))
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


def _print_seeds(console, dataset: str, results: dict) -> None:
    """One row per figure: its mean, least and most over the seeds, then each seed's value."""
    from rich.table import Table

    seeds = results["seeds"]
    table = Table(
        title=f"Pipeline quality on {Path(dataset).name}, {len(seeds)} seeds",
        caption=conditions_caption(results["per_seed"][0]["conditions"]),
    )
    for column in ("metric", "mean", "min", "max", *(f"seed {seed}" for seed in seeds)):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, spread in results["summary"].items():
        values = ["n/a" if m.get(name) is None else str(m[name]) for m in results["per_seed"]]
        table.add_row(name, str(spread["mean"]), str(spread["min"]), str(spread["max"]), *values)
    console.print(table)


def conditions_caption(conditions: dict) -> str:
    """The models, their precision, the taxonomy and the mining bars a table's figures were measured under."""

    def model(entry: dict) -> str:
        how = entry["runtime"] if entry["cpu_precision"] is None else entry["cpu_precision"]
        return f"{entry['model']} ({how})"

    mining = conditions["mining"]
    return (
        f"sentiment {model(conditions['sentiment'])}, tone calibration {conditions['tone_calibration'] or 'off'}; "
        f"embedding {model(conditions['embedding'])}; device {conditions['device']}; "
        f"taxonomy {conditions['taxonomy']}; merge bar {mining['issue_merge_similarity']}, "
        f"join bar {mining['issue_join_similarity']}, reducer {mining['issue_reducer']}, "
        f"grouping {mining['issue_grouping']}, cluster limit {mining['issue_cluster_limit']}, "
        f"float16 vectors from {mining['issue_half_precision_from']} units"
    )
