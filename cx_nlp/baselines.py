"""Baselines for `cx_nlp.evaluate`: what simpler or off-the-shelf approaches score on the same rows.

Every baseline reads the rows that reached the warehouse and the embeddings the pipeline stored for
them, so the figures differ from the pipeline's only by the method. `rows` are `(row, doc)` pairs: the
labelled row (`text`, `sentiment`, `issue`) and what the warehouse holds for it (`vector`, ...). Issue
baselines score NMI on the gold-issue rows; a baseline that cannot run returns no keys, which leaves
them None in the metrics.

- `issue_baselines`: k-means told the gold k, and BERTopic's recipe with PCA in place of UMAP;
  zero-shot nearest touchpoint description.
- `kmeans_silhouette_metrics`: k-means over every document with k chosen by silhouette, not told k.
- `bertopic_metrics`: real BERTopic with its defaults over every document, then `reduce_outliers`.
- `vader_metrics`: VADER's compound score with the usual +-0.05 thresholds, for sentiment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

# BERTopic's default minimum topic size: the notebook baselines' HDBSCAN setting.
NOTEBOOK_MIN_CLUSTER_SIZE = 10
# BERTopic on fewer documents than two topics' worth finds nothing worth scoring (and UMAP needs more
# points than its 15 neighbours).
BERTOPIC_MIN_DOCUMENTS = 2 * NOTEBOOK_MIN_CLUSTER_SIZE
# k-means by silhouette tries k = 2 .. min(SILHOUETTE_MAX_K, documents // SILHOUETTE_ROWS_PER_CLUSTER).
SILHOUETTE_MAX_K = 40
SILHOUETTE_ROWS_PER_CLUSTER = 5
# Above this many documents the silhouette is computed on a seeded sample of them (it is quadratic).
SILHOUETTE_SAMPLE = 5000
# VADER's usual cut-offs on the compound score (its authors' README).
VADER_THRESHOLD = 0.05


def _missing(baseline: str, *modules: str) -> bool:
    """Whether a module the baseline needs is absent: they come with the `dev` extra, not with the product."""
    import importlib.util

    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    if absent:
        logger.warning("%s baseline skipped: %s not installed (pip install 'cx-nlp[dev]')", baseline, ", ".join(absent))
    return bool(absent)


def rounded(value: float) -> float:
    return round(float(value), 4)


def _nmi(gold: Sequence[str], predicted) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return rounded(normalized_mutual_info_score(gold, predicted))


def _labelled_at(rows: list) -> list[int]:
    return [i for i, (row, _) in enumerate(rows) if row.issue]


def issue_baselines(rows: list, gold: list[str], descriptions: np.ndarray, seed: int) -> dict:
    """What simpler approaches score on the same embeddings, against the gold issues of the labelled rows."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from cx_nlp.issues import HDBSCANClusterer, PCAReducer

    vectors = np.array([doc["vector"] for row, doc in rows if row.issue])
    clusters = min(len(set(gold)), len(vectors))
    kmeans = KMeans(n_clusters=clusters, n_init=10, random_state=seed).fit_predict(vectors)
    metrics = {"kmeans_nmi": _nmi(gold, kmeans), "kmeans_ari": rounded(adjusted_rand_score(gold, kmeans))}
    # What a notebook gets without the labels telling it which rows are issues: every document
    # clustered, scored on the labelled rows. k-means is still told k (plus one for "no issue");
    # the HDBSCAN run is BERTopic's recipe with PCA for UMAP (min_cluster_size 10, noise -1).
    everything = np.array([doc["vector"] for _, doc in rows])
    labelled_at = _labelled_at(rows)
    notebook = {
        "kmeans_all_documents_nmi": KMeans(
            n_clusters=min(clusters + 1, len(rows)), n_init=10, random_state=seed
        ).fit_predict(everything),
        "hdbscan_all_documents_nmi": HDBSCANClusterer(min_cluster_size=NOTEBOOK_MIN_CLUSTER_SIZE).fit_predict(
            PCAReducer(random_state=seed).fit_transform(everything)
        ),
    }
    for key, found in notebook.items():
        metrics[key] = _nmi(gold, found[labelled_at])
    metrics["nearest_description_issue_nmi"] = _nmi(gold, np.argmax(vectors @ descriptions.T, axis=1))
    return metrics


def silhouette_kmeans(vectors: np.ndarray, seed: int, max_k: int = SILHOUETTE_MAX_K) -> tuple[int, np.ndarray] | None:
    """k-means (`n_init=10`, seeded) for each k in 2 .. min(max_k, n // 5); the k of the best cosine
    silhouette (the smaller k on a tie) and its labels. None where no k in range can be scored."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    upper = min(max_k, len(vectors) // SILHOUETTE_ROWS_PER_CLUSTER)
    sample = SILHOUETTE_SAMPLE if len(vectors) > SILHOUETTE_SAMPLE else None
    best: tuple[float, int, np.ndarray] | None = None
    # Hundreds of small fits: one thread each is ten times faster than OpenMP threads waiting on a
    # busy CPU, and makes the figure independent of the thread count.
    with threadpool_limits(limits=1):
        for k in range(2, upper + 1):
            labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
            # Repeated vectors can leave fewer distinct clusters than k; silhouette needs 2 .. n - 1.
            if not 2 <= len(set(labels)) < len(vectors):
                continue
            score = silhouette_score(vectors, labels, metric="cosine", sample_size=sample, random_state=seed)
            if best is None or score > best[0]:
                best = (score, k, labels)
    return None if best is None else (best[1], best[2])


def kmeans_silhouette_metrics(rows: list, gold: list[str], seed: int) -> dict:
    """k-means over every document with k chosen by silhouette (never told the gold k); NMI on the issue rows."""
    started = time.perf_counter()
    chosen = silhouette_kmeans(np.array([doc["vector"] for _, doc in rows]), seed)
    if chosen is None:
        return {}
    k, labels = chosen
    logger.info("k-means by silhouette: k=%d, %.1f s", k, time.perf_counter() - started)
    return {"kmeans_silhouette_nmi": _nmi(gold, labels[_labelled_at(rows)]), "kmeans_silhouette_k": k}


def _pipeline_backend(embedder):
    """The pipeline's own embedder as a BERTopic backend: BERTopic never loads a model of its own."""
    from bertopic.backend import BaseEmbedder

    class PipelineEmbedder(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return embedder.encode(list(documents))

    return PipelineEmbedder()


def bertopic_metrics(rows: list, gold: list[str], embedder, seed: int) -> dict:
    """BERTopic as a notebook runs it, on every document and the pipeline's stored embeddings.

    Its defaults throughout (UMAP 15 neighbours, 5 components, min_dist 0, cosine; HDBSCAN min
    cluster size 10; c-TF-IDF), UMAP seeded. Its spectral start, BERTopic's default, is kept although it
    can lay the same vectors out differently between runs where identical texts form a neighbour-graph
    component of their own (`cx_nlp.issues.clustering.UMAPReducer`). Then `reduce_outliers` with its
    default strategy ("distributions": each outlier to the topic of its highest c-TF-IDF topic
    distribution) and `update_topics`. NMI on the gold-issue rows before and after the reduction, and
    the share of gold-issue rows the fit left as outliers.
    """
    if len(rows) < BERTOPIC_MIN_DOCUMENTS or _missing("BERTopic", "bertopic", "umap", "hdbscan"):
        return {}
    started = time.perf_counter()
    from bertopic import BERTopic
    from umap import UMAP

    from cx_nlp.issues.clustering import without_seeded_umap_warning

    texts = [row.text for row, _ in rows]
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(embedding_model=_pipeline_backend(embedder), umap_model=umap_model)
    with without_seeded_umap_warning():
        raw, _ = model.fit_transform(texts, embeddings=np.array([doc["vector"] for _, doc in rows]))
    raw = [int(t) for t in raw]
    reduced = raw
    # With no topic at all there is nothing to move outliers into; with no outlier, nothing to move.
    if any(t != -1 for t in raw) and -1 in raw:
        reduced = [int(t) for t in model.reduce_outliers(texts, raw)]
        model.update_topics(texts, topics=reduced)
    labelled_at = _labelled_at(rows)
    logger.info("BERTopic: %d topics, %.1f s with its imports", len(set(reduced) - {-1}), time.perf_counter() - started)
    return {
        "bertopic_nmi": _nmi(gold, [reduced[i] for i in labelled_at]),
        "bertopic_raw_nmi": _nmi(gold, [raw[i] for i in labelled_at]),
        "bertopic_outlier_share": rounded(sum(raw[i] == -1 for i in labelled_at) / len(labelled_at)),
    }


def vader_label(compound: float) -> str:
    """VADER's usual reading of its compound score: >= 0.05 positive, <= -0.05 negative, neutral between."""
    if compound >= VADER_THRESHOLD:
        return "positive"
    if compound <= -VADER_THRESHOLD:
        return "negative"
    return "neutral"


def vader_metrics(rows: list, labels: Sequence[str]) -> dict:
    """VADER's macro-F1 on the rows with a gold sentiment, scoring each row's text as given in the set."""
    scored = [(row.sentiment, row.text) for row, _ in rows if row.sentiment]
    if not scored or _missing("VADER", "vaderSentiment"):
        return {}
    from sklearn.metrics import f1_score
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    started = time.perf_counter()
    analyser = SentimentIntensityAnalyzer()
    gold = [label for label, _ in scored]
    predicted = [vader_label(analyser.polarity_scores(text)["compound"]) for _, text in scored]
    logger.info("VADER: %d texts, %.1f s", len(scored), time.perf_counter() - started)
    f1 = f1_score(gold, predicted, labels=list(labels), average="macro", zero_division=0)
    return {"vader_macro_f1": rounded(f1)}
