"""What the `cx-nlp` commands other than the nightly run do, as library calls: each takes the settings,
reads or edits the warehouse, and returns what the command prints, so the DAG, a notebook or a test
can call them too. A refusal (unknown issue, nothing to do) is a ValueError naming why.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, func, inspect, select

from cx_nlp.config import ModelEntry, load_registry, load_taxonomy
from cx_nlp.issues import might_be_a_problem
from cx_nlp.packaged_models import is_packaged
from cx_nlp.pipeline import write_run_report
from cx_nlp.settings import Settings
from cx_nlp.sources.catalog import SourceRow, describe_sources
from cx_nlp.sources.source_config import SourceConfig
from cx_nlp.warehouse import curation, schema, store, windows
from cx_nlp.warehouse.db import make_engine
from cx_nlp.warehouse.state import WarehouseStateStore


@contextmanager
def warehouse_transaction(settings: Settings) -> Iterator[Connection]:
    """One transaction on the settings' warehouse; the engine is disposed of afterwards."""
    engine = make_engine(settings.resolved_warehouse_url())
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


# ---------------------------------------------------------------- analysts' edits


def label_issue(settings: Settings, issue_id: str, label: str | None) -> str:
    """Name an issue as analysts call it (None: back to its keyword label); returns its keyword label."""
    with warehouse_transaction(settings) as connection:
        return curation.set_analyst_label(connection, issue_id, label)


def merge_issue(settings: Settings, issue_id: str, into: str) -> tuple[str, str]:
    """From the next night on, `issue_id`'s feedback counts under `into`; returns both keyword labels."""
    with warehouse_transaction(settings) as connection:
        return curation.merge_issues(connection, issue_id, into)


def unmerge_issue(settings: Settings, issue_id: str) -> str:
    """Take an analyst's merge back; returns the issue it was merged into."""
    with warehouse_transaction(settings) as connection:
        was = curation.unmerge_issue(connection, issue_id)
    if was is None:
        raise ValueError(f"issue {issue_id!r} is not merged into another")
    return was


def analyst_labels(settings: Settings) -> dict[str, str]:
    with warehouse_transaction(settings) as connection:
        return curation.analyst_labels(connection)


# ---------------------------------------------------------------- sources, reports and models


def source_overview(settings: Settings, sources: Sequence[SourceConfig]) -> list[SourceRow]:
    """Each source with what it reads and, for connectors, the bookmark the warehouse holds for it."""
    engine = make_engine(settings.resolved_warehouse_url())
    try:
        bookmarks: dict[str, dict] = {}
        if inspect(engine).has_table("source_state"):
            with engine.connect() as connection:
                bookmarks = WarehouseStateStore(connection).all()
    finally:
        engine.dispose()
    return describe_sources(sources, bookmarks)


def rewrite_report(settings: Settings, run_id: str | None = None) -> Path:
    """Write a run's HTML report again from the warehouse (default: the latest finished run)."""
    engine = make_engine(settings.resolved_warehouse_url())
    try:
        if run_id is None:
            with engine.connect() as connection:
                run_id = store.latest_finished_run(connection)
            if run_id is None:
                raise ValueError("no finished run in the warehouse; run `cx-nlp run` first")
        return write_run_report(settings, engine, run_id)
    finally:
        engine.dispose()


def packaged_registry_models(settings: Settings) -> list[str]:
    """The packaged:NAME models the configured registry names (those `cx-nlp models prepare` unpacks)."""
    registry = load_registry(settings.path(settings.model_registry))
    return [e.path for e in (registry.sentiment, registry.embedding) if is_packaged(e.path)]


def prepare_onnx_models(settings: Settings) -> list[tuple[str, ModelEntry, Path]]:
    """Exports (or finds already exported) each registry model whose runtime is ONNX; (stage, entry, folder)."""
    from cx_nlp.onnx_runtime import prepared_folder

    registry = load_registry(settings.path(settings.model_registry))
    return [
        (stage, entry, prepared_folder(entry, settings.home, stage))
        for stage, entry in (("sentiment", registry.sentiment), ("embedding", registry.embedding))
        if entry.runtime != "torch"
    ]


def star_corpus_from_warehouse(settings: Settings, path: Path, cap_praise: bool, seed: int) -> str:
    """Write the warehouse's star-rated reviews as a training corpus at `path`; returns its model-card note."""
    from cx_nlp.sentiment_corpora import write_star_corpus

    engine = make_engine(settings.resolved_warehouse_url())
    try:
        with engine.connect() as connection:
            reviews = store.star_rated_reviews(connection)
        count = write_star_corpus(reviews, path, balance=cap_praise, seed=seed)
        where = engine.url.render_as_string()
    finally:
        engine.dispose()
    capped = f" ({len(reviews)} found; 4-5 star ones capped at half the 1-3 star ones)" if cap_praise else ""
    return (
        f"{count} star-rated English reviews from the warehouse ({where}){capped}, "
        "labelled by stars: 1-2 negative, 3 neutral, 4-5 positive (PII already redacted)."
    )


def _star_rated_frame(settings: Settings, dataset: str, from_warehouse: bool):
    """(text, sentiment) rows to fit on, and where they came from: the warehouse's star-rated reviews
    labelled by their stars, a packaged set, or a labelled CSV."""
    import pandas as pd

    from cx_nlp import public_datasets
    from cx_nlp.records import label_from_stars

    if not from_warehouse:
        frame = (
            public_datasets.load_frame(dataset) if dataset.startswith("packaged:") else pd.read_csv(dataset, dtype=str)
        )
        return frame, dataset
    engine = make_engine(settings.resolved_warehouse_url())
    try:
        with engine.connect() as connection:
            reviews = store.star_rated_reviews(connection)
        where = engine.url.render_as_string()
    finally:
        engine.dispose()
    frame = pd.DataFrame([(text, label_from_stars(stars)) for text, stars in reviews], columns=["text", "sentiment"])
    return frame, f"star-rated reviews of the warehouse ({where})"


def calibrate_tone(
    settings: Settings,
    dataset: str,
    from_warehouse: bool,
    sample: int,
    seed: int,
    cap_praise: bool,
    regularisation: float,
    min_segments: int,
):
    """Fit the document-tone aggregation (cx_nlp.tone) on star-rated reviews with the configured
    sentiment model: a labelled set, or the warehouse's own reviews labelled by their stars.

    `cap_praise` keeps at most half as many 4-5 star reviews as the others (`sentiment_corpora.cap_praise`)
    before `sample` is drawn. Star-rated reviews are mostly praise; fitted on them as they come, the
    aggregation learns the reviews of one shop rather than how a mixed review reads, and on Yelp and drug
    reviews it did worse than the chunk mean (docs/quality.md)."""
    from cx_nlp.registry import Models
    from cx_nlp.tone import calibrate

    frame, source = _star_rated_frame(settings, dataset, from_warehouse)
    frame = frame[frame["sentiment"].isin(["negative", "neutral", "positive"])]
    if frame["sentiment"].nunique() < 3 or len(frame) < 30:
        raise ValueError(f"{source}: needs 30 or more reviews of all three tones, found {len(frame)}")
    if cap_praise:
        from cx_nlp.sentiment_corpora import cap_praise as capped

        frame = capped(frame, seed)
    frame = frame.sample(n=min(sample, len(frame)), random_state=seed)
    registry = load_registry(settings.path(settings.model_registry))
    classifier = Models.from_settings(settings, registry).sentiment
    provenance = {
        "source": source,
        "labels": "from stars: 1-2 negative, 3 neutral, 4-5 positive",
        "seed": seed,
        "praise_capped": cap_praise,
        "regularisation": regularisation,
    }
    return calibrate(
        classifier, frame["text"].tolist(), frame["sentiment"].tolist(), provenance, seed, regularisation, min_segments
    )


# ---------------------------------------------------------------- taxonomy suggestions


@dataclass
class TaxonomySuggestions:
    """Candidate touchpoints for what accumulates in the taxonomy's catch-all touchpoint."""

    other: str  # the catch-all touchpoint's name
    days: int
    last_day: date
    documents: int  # documents of `other` read
    kind: str  # what those documents are, e.g. "documents that might be a problem"
    sentences: int | None  # sentences clustered; None when whole documents were
    enough: bool  # False: too few to cluster, nothing was looked for
    suggestions: list = field(default_factory=list)  # taxonomy.Suggestion, most documents covered first


def _latest_days(settings: Settings, days: int, embedding_model: tuple[str, str]) -> tuple[date, list]:
    """The day after the newest stored feedback, and the stored feedback of the `days` before it."""
    engine = make_engine(settings.resolved_warehouse_url())
    try:
        with engine.connect() as connection:
            newest = connection.execute(select(func.max(schema.feedback.c.created_day))).scalar()
            if newest is None:
                raise ValueError("the warehouse holds no feedback yet; run `cx-nlp run` first")
            end = (newest if isinstance(newest, date) else date.fromisoformat(str(newest))) + timedelta(days=1)
            return end, windows.window_documents(connection, end - timedelta(days=days), end, embedding_model)
    finally:
        engine.dispose()


def suggest_touchpoints_from_warehouse(
    settings: Settings,
    days: int = 28,
    min_size: int = 0,
    include_positive: bool = False,
    whole_documents: bool = False,
    max_sentences: int = 20000,
) -> TaxonomySuggestions:
    """Cluster the sentences (or whole documents) of the last `days` of `other` feedback into candidates.

    Sentences are clustered rather than whole documents: a review speaks of several things, and
    clustered whole, reviews group by what was bought ("dress", "jeans") rather than by what went wrong
    ("runs small"). Praise is left out unless asked for, for the same reason (docs/quality.md).
    """
    from cx_nlp.registry import Models
    from cx_nlp.taxonomy import statements, suggest_touchpoints
    from cx_nlp.touchpoints import TouchpointAssigner

    taxonomy = load_taxonomy(settings.path(settings.touchpoints_config))
    registry = load_registry(settings.path(settings.model_registry))
    end, documents = _latest_days(settings, days, (registry.embedding.name, registry.embedding.version))
    other = [
        d
        for d in documents
        if d.touchpoint == taxonomy.other and d.embedding is not None and (include_positive or might_be_a_problem(d))
    ]
    kind = "documents" if include_positive else "documents that might be a problem"
    embedder = Models.from_settings(settings, registry).embedder
    if whole_documents:
        texts, owners = [d.text for d in other], None
        embeddings = np.array([d.embedding for d in other])
    else:
        texts, owners = statements([d.text for d in other], limit=max_sentences)
        embeddings = np.asarray(embedder.encode(texts)) if texts else np.zeros((0, 0))
        if len(set(owners)) < len(other):
            kind += f" (a seeded sample of {len(set(owners))}, --max-sentences {max_sentences})"
    found = TaxonomySuggestions(
        taxonomy.other, days, end - timedelta(days=1), len(other), kind, None if whole_documents else len(texts), False
    )
    smallest = min_size or max(4, len(texts) // 200)
    if len(texts) < smallest:
        return found
    found.enough = True
    found.suggestions = suggest_touchpoints(
        texts,
        embeddings,
        taxonomy.names(),
        min_size=smallest,
        similarity=registry.embedding.similarity,
        owners=owners,
        assigner=TouchpointAssigner(taxonomy, similarity=registry.embedding.similarity).fit(embedder.encode),
    )
    return found
