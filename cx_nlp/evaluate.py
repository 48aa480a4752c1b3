"""Quality of the real pipeline on a labelled CSV: sentiment, issue discovery, id stability, baselines.

`evaluate` runs the same `run_interval` as the nightly job, into a throwaway SQLite warehouse, over
a copy of the labelled file declared as a `file` source, and compares what the warehouse holds with
the gold labels. Nothing is mocked: the figures include the product's own choices, above all that
issues are mined per touchpoint and only from feedback the sentiment model does not call positive.

The labelled CSV has a `text` column and optionally `id`, `created_at`, `source_kind`, `rating`,
`sentiment` (negative / neutral / positive) and `issue` (any string; empty for no issue). Issue
metrics use only the rows with an issue label; a document in no issue (an outlier, or never
clustered) counts as a predicted cluster of its own, -1.

Baselines (`cx_nlp.baselines`) run on the same rows and the embeddings the pipeline stored: k-means
told k or choosing it by silhouette, BERTopic with its defaults, VADER for sentiment.

`packaged:NAME` instead of a file evaluates on a public labelled set that an installed package ships
(see `cx_nlp.public_datasets`).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import yaml

from cx_nlp import baselines
from cx_nlp.baselines import rounded
from cx_nlp.registry import Models
from cx_nlp.settings import Settings

SENTIMENT_LABELS = ("negative", "neutral", "positive")
# Filled-in dates lie in the days before this one; a fixed day keeps the evaluation reproducible.
DEFAULT_END = date(2026, 11, 16)
HOLDOUT_SHARE = 0.10
SOURCE_NAME = "eval"
NO_ISSUE = "-1"

METRIC_KEYS = (
    "documents",
    "sentiment_accuracy",
    "sentiment_macro_f1",
    "sentiment_confusion",
    "issue_nmi",
    "issue_ari",
    "issue_purity",
    "outlier_share",
    "issues_found",
    "gold_issues",
    "stability",
    "membership_stability",
    "kmeans_nmi",
    "kmeans_ari",
    "kmeans_all_documents_nmi",
    "hdbscan_all_documents_nmi",
    "nearest_description_issue_nmi",
    "kmeans_silhouette_nmi",
    "kmeans_silhouette_k",
    "bertopic_nmi",
    "bertopic_raw_nmi",
    "bertopic_outlier_share",
    # issue_nmi minus the better of bertopic_nmi and kmeans_silhouette_nmi: what a user gains over the
    # notebook they would otherwise run (None where neither baseline ran).
    "issue_nmi_over_best_baseline",
    "vader_macro_f1",
    "issue_breakdown",
    # The models, their precision here, the taxonomy and the mining bars (`run_conditions`).
    "conditions",
)
# Not single figures: printed as their own tables (or the caption) rather than rows of the metrics table.
DETAIL_KEYS = ("sentiment_confusion", "issue_breakdown", "conditions")


def load_labelled(dataset: Path, window_days: int):
    """The labelled rows with ids and UTC timestamps filled in; a clear error for a malformed file."""
    import pandas as pd

    if not dataset.is_file():
        raise FileNotFoundError(f"evaluation set {dataset} not found")
    frame = pd.read_csv(dataset, dtype=str, keep_default_na=False)
    if "text" not in frame.columns:
        raise ValueError(f"{dataset}: no `text` column (columns: {', '.join(frame.columns)})")
    frame = frame.reset_index(drop=True)
    if "id" not in frame.columns:
        frame["id"] = ""
    frame["id"] = [value.strip() or f"row-{i + 1:05d}" for i, value in enumerate(frame["id"])]
    if frame["id"].duplicated().any():
        raise ValueError(f"{dataset}: repeated ids {sorted(frame['id'][frame['id'].duplicated()].unique())[:5]}")
    for column in ("sentiment", "issue"):
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].str.strip()
    frame["sentiment"] = frame["sentiment"].str.lower()
    unknown = sorted(set(frame["sentiment"]) - {"", *SENTIMENT_LABELS})
    if unknown:
        raise ValueError(f"{dataset}: column sentiment holds {unknown}; expected one of {list(SENTIMENT_LABELS)}")

    # Rows without a date are spread evenly over the days before DEFAULT_END, leaving one day of the
    # window free so that the stability night still sees every one of them.
    given = frame["created_at"].str.strip() if "created_at" in frame.columns else pd.Series([""] * len(frame))
    span_minutes = (window_days - 1) * 24 * 60
    filled_start = datetime.combine(DEFAULT_END, time(), tzinfo=UTC) - timedelta(minutes=span_minutes)
    stamps = []
    for i, value in enumerate(given):
        if value == "":
            stamps.append(filled_start + timedelta(minutes=int(i * span_minutes / max(len(frame), 1))))
            continue
        try:
            stamp = pd.Timestamp(value)
        except ValueError as exc:
            raise ValueError(f"{dataset}: row {i + 2} (id {frame['id'][i]!r}): created_at {value!r}: {exc}") from None
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        stamps.append(stamp.to_pydatetime())
    frame["created_at"] = stamps
    return frame


def _holdout(n: int, seed: int) -> np.ndarray:
    count = round(n * HOLDOUT_SHARE)
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(seed).choice(n, size=count, replace=False)] = True
    return mask


def _write_source(frame, holdout: np.ndarray, new_day: date, folder: Path) -> Path:
    """A CSV copy with the held-out rows moved to `new_day`, and the sources YAML that reads it."""
    columns = ["id", "text", "created_at"] + [c for c in ("source_kind", "rating") if c in frame.columns]
    copy = frame[columns].copy()
    moved = datetime.combine(new_day, time(12), tzinfo=UTC)
    copy["created_at"] = [
        (moved if held else stamp).strftime("%Y-%m-%dT%H:%M:%SZ") for stamp, held in zip(frame["created_at"], holdout)
    ]
    csv_path = folder / "labelled.csv"
    copy.to_csv(csv_path, index=False)
    fields = {"id": "id", "text": "text", "created_at": "created_at"}
    fields.update({c: c for c in ("source_kind", "rating") if c in frame.columns})
    source = {"name": SOURCE_NAME, "kind": "file", "path": str(csv_path), "format": "csv", "source_kind": "review"}
    sources_path = folder / "sources.yaml"
    document = yaml.safe_dump({"sources": [source | {"fields": fields}]}, sort_keys=False)
    sources_path.write_text(document, encoding="utf-8")
    return sources_path


def issue_memberships(connection) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """The warehouse's issue memberships: feedback id -> its closest issue (a feedback in several issues,
    one per problem it raises, is scored under the one its segment is closest to), and every
    (feedback id, issue id) pair."""
    from sqlalchemy import select

    from cx_nlp.warehouse.schema import issue_member as m

    query = select(m.c.feedback_id, m.c.issue_id).order_by(m.c.feedback_id, m.c.similarity, m.c.issue_id)
    rows = [tuple(row) for row in connection.execute(query)]
    # Ordered by similarity, so the closest issue is the one the dict keeps.
    return dict(rows), set(rows)


def _read_back(engine, embedding_ref: tuple[str, str]) -> dict[str, dict]:
    """external id -> sentiment label, embedding and content hash of each stored feedback row."""
    from sqlalchemy import select

    from cx_nlp.embeddings import from_bytes
    from cx_nlp.warehouse.schema import embedding, feedback, feedback_sentiment

    query = (
        select(feedback.c.feedback_id, feedback.c.external_id, feedback_sentiment.c.label, embedding.c.vector)
        .join(feedback_sentiment, feedback_sentiment.c.feedback_id == feedback.c.feedback_id)
        .join(
            embedding,
            (embedding.c.content_hash == feedback.c.content_hash)
            & (embedding.c.model_name == embedding_ref[0])
            & (embedding.c.model_version == embedding_ref[1]),
        )
        .where(feedback.c.source == SOURCE_NAME)
    )
    with engine.connect() as connection:
        return {
            row.external_id: {"feedback_id": row.feedback_id, "label": row.label, "vector": from_bytes(row.vector)}
            for row in connection.execute(query)
        }


def _description_vectors(context, engine) -> np.ndarray:
    """Embeddings of the touchpoint descriptions, from the cache the touchpoint stage filled."""
    from cx_nlp.normalise import content_hash
    from cx_nlp.warehouse.store import cached_embeddings

    descriptions = [t.description for t in context.taxonomy.touchpoints]
    hashes = [content_hash(d) for d in descriptions]
    ref = context.registry.embedding
    with engine.connect() as connection:
        cached = cached_embeddings(connection, hashes, ref.name, ref.version)
    if all(h in cached for h in hashes):
        return np.array([cached[h] for h in hashes])
    return np.asarray(context.models.embedder.encode(descriptions))


def purity(gold: list[str], predicted: list[str]) -> float:
    """Share of documents whose predicted cluster's most common gold label is their own."""
    from collections import Counter, defaultdict

    clusters: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, predicted):
        clusters[p][g] += 1
    return sum(c.most_common(1)[0][1] for c in clusters.values()) / len(gold) if gold else 0.0


@dataclass
class _Nights:
    """What the evaluation reads back from the warehouse after running the pipeline's two nights."""

    first_night: dict[str, str]
    second_night: dict[str, str]
    second_night_pairs: set[tuple[str, str]]  # (feedback id, issue id) of every membership
    issues_found: int
    stored: dict[str, dict]
    descriptions: np.ndarray
    # The pipeline's embedding model, for the BERTopic baseline (which never loads one of its own).
    embedder: object
    conditions: dict


def evaluate(
    dataset: Path | str, settings: Settings, models: Models | None = None, seed: int = 13, sample: int | None = None
) -> dict:
    """Run the pipeline on a labelled CSV in a temporary warehouse and score it against the labels.

    Two nights are run: the first over all rows but a random 10% (`seed`), the second over those 10%
    moved to the day after. Sentiment and issue metrics are read after the second night, when the
    28-day window holds every row; `stability` compares each document's issue id across the nights.
    `sample` evaluates that many rows drawn at random (`seed`) instead of all: a large public set in
    minutes rather than an hour.
    """
    frame = _evaluation_frame(dataset, settings, seed, sample)
    holdout = _holdout(len(frame), seed)
    nights = _run_nights(frame, holdout, settings, models)

    rows = [(row, nights.stored[row.id]) for row in frame.itertuples() if row.id in nights.stored]
    metrics: dict = {key: None for key in METRIC_KEYS}
    metrics["documents"] = len(rows)
    metrics.update(_sentiment_metrics(rows))
    metrics.update(baselines.vader_metrics(rows, SENTIMENT_LABELS))
    metrics["issues_found"] = nights.issues_found
    metrics["conditions"] = nights.conditions
    labelled = [(row, doc) for row, doc in rows if row.issue]
    if labelled:
        gold = [row.issue for row, _ in labelled]
        predicted = [nights.second_night.get(doc["feedback_id"], NO_ISSUE) for _, doc in labelled]
        metrics.update(_issue_metrics(gold, predicted))
        metrics.update(baselines.issue_baselines(rows, gold, nights.descriptions, seed))
        metrics.update(baselines.kmeans_silhouette_metrics(rows, gold, seed))
        metrics.update(baselines.bertopic_metrics(rows, gold, nights.embedder, seed))
        metrics.update(_stability(frame, holdout, labelled, nights))
        best = [metrics[k] for k in ("bertopic_nmi", "kmeans_silhouette_nmi") if metrics[k] is not None]
        if best:
            metrics["issue_nmi_over_best_baseline"] = rounded(metrics["issue_nmi"] - max(best))
    return metrics


def evaluate_seeds(
    dataset: Path | str,
    settings: Settings,
    seeds: Sequence[int],
    models: Models | None = None,
    sample: int | None = None,
) -> dict:
    """`evaluate` at each seed (its held-out rows, its baselines' seeds, its `sample`), with what is
    spread over the seeds: the mean, least and most of every figure.

    The models read each distinct text once for all seeds (`MemoisedModels`): the seeds differ in what
    the pipeline and the baselines do with the same scores and vectors, and the first seed's figures
    are those `evaluate` gives at that seed alone."""
    from cx_nlp.registry import MemoisedModels

    if not seeds:
        raise ValueError("seeds: expected at least one")
    if models is None:
        models = Models.from_settings(settings)
    shared = MemoisedModels(models)
    per_seed = [evaluate(dataset, settings, shared, seed=seed, sample=sample) for seed in seeds]
    return {"seeds": list(seeds), "summary": summarise_seeds(per_seed), "per_seed": per_seed}


def summarise_seeds(per_seed: Sequence[dict]) -> dict[str, dict]:
    """Mean, least and most of each single-figure metric over the seeds that have it (mean rounded to
    4 places); metrics that no seed measured are left out."""
    summary = {}
    for key in METRIC_KEYS:
        # Single figures only: the confusion matrix and the breakdown (DETAIL_KEYS) are a list and a dict.
        values = [m[key] for m in per_seed if isinstance(m.get(key), (int, float))]
        if values:
            summary[key] = {"mean": round(float(np.mean(values)), 4), "min": min(values), "max": max(values)}
    return summary


def _evaluation_frame(dataset: Path | str, settings: Settings, seed: int, sample: int | None):
    """The labelled rows to evaluate: all of them, or `sample` of them drawn with `seed`."""
    from cx_nlp import public_datasets

    if public_datasets.is_packaged(dataset):
        with tempfile.TemporaryDirectory(prefix="cx-dataset-") as folder:
            frame = load_labelled(public_datasets.materialise(str(dataset), Path(folder)), settings.issue_window_days)
    else:
        frame = load_labelled(Path(dataset), settings.issue_window_days)
    if frame.empty:
        raise ValueError(f"{dataset}: no rows")
    if sample is not None:
        if sample < 1:
            raise ValueError(f"sample {sample}: expected a number of rows, 1 or more")
        if sample < len(frame):
            frame = frame.sample(n=sample, random_state=seed).sort_index().reset_index(drop=True)
    return frame


def _run_nights(frame, holdout: np.ndarray, settings: Settings, models: Models | None) -> _Nights:
    """Both nights of the pipeline in a throwaway SQLite warehouse, the held-out rows on the second."""
    from cx_nlp.pipeline import PipelineContext, run_interval
    from cx_nlp.warehouse.db import make_engine, migrate

    first_day = min(s.date() for s, held in zip(frame["created_at"], holdout) if not held)
    end = max(s.date() for s in frame["created_at"]) + timedelta(days=1)
    # A set spanning more than the issue window is evaluated with a window that holds all of it.
    window_days = max(settings.issue_window_days, (end - first_day).days + 1)

    with tempfile.TemporaryDirectory(prefix="cx-evaluate-") as scratch:
        folder = Path(scratch)
        run_settings = settings.model_copy(
            update={
                "warehouse_url": f"sqlite:///{folder / 'evaluation.db'}",
                "sources_config": _write_source(frame, holdout, end, folder),
                "report_dir": folder / "reports",
                "issue_window_days": window_days,
            }
        )
        context = PipelineContext.from_settings(run_settings, models)
        engine = make_engine(run_settings.resolved_warehouse_url())
        try:
            migrate(engine, run_settings.path(run_settings.sql_dir))
            run_interval(context, engine, first_day, end)
            with engine.connect() as connection:
                first_night, _ = issue_memberships(connection)
            second = run_interval(context, engine, end, end + timedelta(days=1))
            with engine.connect() as connection:
                second_night, second_night_pairs = issue_memberships(connection)
            return _Nights(
                first_night=first_night,
                second_night=second_night,
                second_night_pairs=second_night_pairs,
                issues_found=len(second.issues),
                stored=_read_back(engine, (context.registry.embedding.name, context.registry.embedding.version)),
                descriptions=_description_vectors(context, engine),
                embedder=context.models.embedder,
                conditions=run_conditions(context),
            )
        finally:
            engine.dispose()


def run_conditions(context) -> dict:
    """What a figure was measured under besides the data: the models with the precision their forward
    pass ran in on this CPU, the taxonomy and the settings that decide the issues (the mining bars), so
    that figures measured under other settings are never compared as if alike."""
    from cx_nlp.model_runtime import native_bfloat16
    from cx_nlp.pipeline import mining_settings

    def model(entry) -> dict:
        precision = entry.cpu_precision if entry.runtime == "torch" else None
        if precision == "bfloat16" and not native_bfloat16():
            precision = "float32 (bfloat16 asked, not native here)"
        return {"model": entry.ref, "runtime": entry.runtime, "cpu_precision": precision}

    settings = context.settings
    mining = {k: v for k, v in mining_settings(context).items() if k.startswith("issue_")}
    return {
        "sentiment": model(context.registry.sentiment),
        "embedding": model(context.registry.embedding),
        "tone_calibration": context.registry.sentiment.tone_calibration,
        "device": settings.device,
        "taxonomy": str(settings.touchpoints_config),
        "mining": mining,
    }


def _sentiment_metrics(rows: list) -> dict:
    """Accuracy, macro-F1 and confusion matrix of the stored sentiment on the rows with a gold label."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    scored = [(row.sentiment, doc["label"]) for row, doc in rows if row.sentiment]
    if not scored:
        return {}
    gold, predicted = zip(*scored)
    labels = list(SENTIMENT_LABELS)
    return {
        "sentiment_accuracy": rounded(accuracy_score(gold, predicted)),
        "sentiment_macro_f1": rounded(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        "sentiment_confusion": confusion_matrix(gold, predicted, labels=labels).tolist(),
    }


def _issue_metrics(gold: list[str], predicted: list[str]) -> dict:
    """How the issues the pipeline found match the gold issues."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "gold_issues": len(set(gold)),
        "issue_nmi": rounded(normalized_mutual_info_score(gold, predicted)),
        "issue_ari": rounded(adjusted_rand_score(gold, predicted)),
        "issue_purity": round(purity(gold, predicted), 4),
        "outlier_share": round(sum(p == NO_ISSUE for p in predicted) / len(predicted), 4),
        # Where each gold issue went: a label spread over several found issues is over-split, one found
        # issue under several labels is a merge.
        "issue_breakdown": {
            label: dict(Counter(p for g, p in zip(gold, predicted) if g == label).most_common())
            for label in sorted(set(gold))
        },
    }


def _stability(frame, holdout: np.ndarray, labelled: list, nights: _Nights) -> dict:
    """Of the labelled documents the first night put in an issue (scored under their closest one): the
    share the second night keeps there as their closest issue (`stability`), and the share still in
    that issue at all (`membership_stability`). They differ only for feedback in several issues, whose
    closest one can change while every issue keeps it: what an analyst who saw it under an issue finds."""
    held = dict(zip(frame["id"], holdout))
    first = [
        (doc["feedback_id"], nights.first_night[doc["feedback_id"]])
        for row, doc in labelled
        if not held[row.id] and doc["feedback_id"] in nights.first_night
    ]
    if not first:
        return {"stability": None, "membership_stability": None}
    closest = sum(nights.second_night.get(feedback_id) == issue_id for feedback_id, issue_id in first)
    member = sum(pair in nights.second_night_pairs for pair in first)
    return {"stability": round(closest / len(first), 4), "membership_stability": round(member / len(first), 4)}
