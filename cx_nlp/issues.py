"""Recurring-issue mining: cluster one touchpoint's feedback, label clusters, keep issue ids stable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Words every complaint uses whatever it is about: they would top every cluster's keywords.
FEEDBACK_STOP_WORDS = {
    "just", "really", "get", "got", "im", "ive", "dont", "didnt", "doesnt", "cant", "wont", "isnt", "wasnt",
    "northwind", "home", "order", "ordered", "like", "would", "still", "one", "also", "even", "us", "told",
    "said", "time", "day", "days", "week", "weeks", "today", "yesterday", "please", "thanks", "thank",
    "hi", "hello", "regards", "xxxx", "xx", "email", "phone", "card", "iban", "customer", "company",
    "service", "team", "back", "now", "going", "make", "made", "want", "need", "know", "able",
}


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.clip(norms, 1e-12, None)


class PCAReducer:
    """Reduces embeddings before density clustering: HDBSCAN struggles in 384 dimensions."""

    def __init__(self, n_components: int = 10, random_state: int = 0):
        self.n_components = n_components
        self.random_state = random_state

    def fit_transform(self, embeddings: np.ndarray) -> np.ndarray:
        from sklearn.decomposition import PCA

        components = min(self.n_components, embeddings.shape[0] - 1, embeddings.shape[1])
        if components < 2:
            return embeddings
        self.pca_ = PCA(n_components=components, random_state=self.random_state)
        return self.pca_.fit_transform(embeddings)


class HDBSCANClusterer:
    """HDBSCAN whose minimum cluster size grows with the group, unless given.

    A touchpoint with 25 complaints needs clusters of 4 to show anything; one with 5,000 would
    shatter into hundreds of tiny issues at that size. sqrt(n)/2 keeps both readable.
    """

    def __init__(self, min_cluster_size: int | None = None, min_samples: int | None = None, selection: str = "eom"):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.selection = selection

    def sizes(self, n: int) -> tuple[int, int]:
        size = self.min_cluster_size or max(4, int(round(n**0.5 / 2)))
        samples = self.min_samples or max(2, size // 2)
        return size, samples

    def fit_predict(self, points: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        size, samples = self.sizes(len(points))
        if len(points) < size:
            return np.full(len(points), -1)
        model = HDBSCAN(min_cluster_size=size, min_samples=samples, cluster_selection_method=self.selection, copy=True)
        return model.fit_predict(points)


@dataclass
class Cluster:
    """One discovered issue before it is matched to a known issue id."""

    members: np.ndarray  # indices into the fitted texts
    similarities: np.ndarray  # cosine to the centroid, per member
    methods: list[str]  # "cluster" or "nearest" (an outlier pulled in), per member
    centroid: np.ndarray
    keywords: list[str]
    label: str
    representatives: list[int]


class IssueMiner:
    """Finds recurring issues among one touchpoint's feedback.

    Embedding, reduction and clustering are swappable: pass any object with `fit_transform` as the
    reducer (or None to cluster the raw embeddings) and any with `fit_predict` as the clusterer.
    """

    def __init__(
        self,
        reducer: object | None = None,
        clusterer: object | None = None,
        outlier_threshold: float = 0.55,
        n_keywords: int = 6,
        n_representatives: int = 3,
        min_documents: int = 8,
    ):
        self.reducer = reducer if reducer is not None else PCAReducer()
        self.clusterer = clusterer if clusterer is not None else HDBSCANClusterer()
        self.outlier_threshold = outlier_threshold
        self.n_keywords = n_keywords
        self.n_representatives = n_representatives
        self.min_documents = min_documents

    def fit(self, texts: Sequence[str], embeddings: np.ndarray) -> "IssueMiner":
        embeddings = _normalise_rows(np.asarray(embeddings, dtype=np.float32))
        self.labels_ = np.full(len(texts), -1)
        self.clusters_: list[Cluster] = []
        if len(texts) < self.min_documents:
            self.outlier_share_ = 1.0 if len(texts) else 0.0
            return self
        points = self.reducer.fit_transform(embeddings) if self.reducer is not None else embeddings
        labels = np.asarray(self.clusterer.fit_predict(points))
        cluster_ids = sorted(set(labels.tolist()) - {-1})
        centroids = np.array([_normalise_rows(embeddings[labels == c].mean(0, keepdims=True))[0] for c in cluster_ids])
        methods = np.array(["cluster"] * len(texts), dtype=object)
        if len(cluster_ids):
            # Outliers close enough to an issue's centre belong to it: HDBSCAN leaves many borderline
            # documents unassigned, and analysts read an unassigned share as missed volume.
            outliers = np.flatnonzero(labels == -1)
            if len(outliers):
                similarity = embeddings[outliers] @ centroids.T
                nearest = similarity.argmax(1)
                close = similarity[np.arange(len(outliers)), nearest] >= self.outlier_threshold
                labels[outliers[close]] = np.array(cluster_ids)[nearest[close]]
                methods[outliers[close]] = "nearest"
        self.labels_ = labels
        keywords = self._keywords(texts, labels, cluster_ids)
        for position, cluster_id in enumerate(cluster_ids):
            members = np.flatnonzero(labels == cluster_id)
            centroid = _normalise_rows(embeddings[members].mean(0, keepdims=True))[0]
            similarities = embeddings[members] @ centroid
            ranked = members[np.argsort(-similarities, kind="stable")]
            self.clusters_.append(
                Cluster(
                    members=members,
                    similarities=similarities,
                    methods=[str(m) for m in methods[members]],
                    centroid=centroid,
                    keywords=keywords[position],
                    label=make_label(keywords[position]),
                    representatives=_distinct_texts(ranked, texts, self.n_representatives),
                )
            )
        self.outlier_share_ = float((labels == -1).mean())
        return self

    def _keywords(self, texts: Sequence[str], labels: np.ndarray, cluster_ids: list[int]) -> list[list[str]]:
        """Class-based TF-IDF: words frequent in one cluster and rare across the touchpoint's others."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

        if not cluster_ids:
            return []
        classes = [*cluster_ids, -1]
        documents = [" ".join(_words(texts[i]) for i in np.flatnonzero(labels == c)) for c in classes]
        vectorizer = CountVectorizer(
            ngram_range=(1, 2),
            stop_words=sorted(ENGLISH_STOP_WORDS | FEEDBACK_STOP_WORDS),
            token_pattern=r"(?u)\b[a-z][a-z]{2,}\b",
        )
        try:
            counts = vectorizer.fit_transform(documents).toarray().astype(float)
        except ValueError:  # every word was a stop word
            return [[] for _ in cluster_ids]
        vocabulary = vectorizer.get_feature_names_out()
        term_frequency = counts / np.clip(counts.sum(1, keepdims=True), 1, None)
        average_words = counts.sum() / len(classes)
        idf = np.log(1 + average_words / np.clip(counts.sum(0), 1, None))
        weights = term_frequency * idf
        result = []
        for row in range(len(cluster_ids)):
            order = np.argsort(-weights[row], kind="stable")
            chosen: list[str] = []
            for index in order:
                if weights[row, index] <= 0 or len(chosen) >= self.n_keywords:
                    break
                term = str(vocabulary[index])
                # A bigram and its own words say the same thing twice.
                if any(term in kept or kept in term for kept in chosen):
                    continue
                chosen.append(term)
            result.append(chosen)
        return result


def _words(text: str) -> str:
    return re.sub(r"[^a-z\s]", " ", text.lower())


def _distinct_texts(ranked: np.ndarray, texts: Sequence[str], limit: int) -> list[int]:
    chosen, seen = [], set()
    for index in ranked:
        key = texts[index].strip().lower()
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(index))
        if len(chosen) == limit:
            break
    return chosen


def make_label(keywords: list[str]) -> str:
    return " / ".join(keywords[:3]) if keywords else "unlabelled"


@dataclass
class KnownIssue:
    issue_id: str
    touchpoint: str
    centroid: np.ndarray


def match_issue_ids(
    touchpoint: str,
    centroids: Sequence[np.ndarray],
    known: Sequence[KnownIssue],
    existing_ids: set[str],
    threshold: float = 0.8,
) -> list[str]:
    """Give each new cluster the id of the known issue whose centre it matches, or a fresh id.

    Greedy on the highest similarity first, one cluster per known issue, so a rerun of the same
    window (identical centres, similarity 1.0) keeps every id.
    """
    ids: list[str | None] = [None] * len(centroids)
    if len(centroids) and len(known):
        similarity = np.array(centroids) @ np.array([k.centroid for k in known]).T
        pairs = sorted(
            ((float(similarity[i, j]), i, j) for i in range(len(centroids)) for j in range(len(known))),
            key=lambda pair: (-pair[0], pair[1], pair[2]),
        )
        used_known: set[int] = set()
        for value, i, j in pairs:
            if value < threshold:
                break
            if ids[i] is None and j not in used_known:
                ids[i] = known[j].issue_id
                used_known.add(j)
    prefix = f"{touchpoint}-"
    numbers = [int(i[len(prefix) :]) for i in existing_ids if i.startswith(prefix) and i[len(prefix) :].isdigit()]
    next_number = max(numbers, default=0) + 1
    for i in range(len(ids)):
        if ids[i] is None:
            ids[i] = f"{prefix}{next_number:04d}"
            next_number += 1
    return [str(i) for i in ids]
