"""Recurring-issue mining: cluster one touchpoint's feedback, continue known issues, label clusters."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from cx_nlp.issues.clustering import HDBSCANClusterer, PCAReducer, centre, normalise_rows
from cx_nlp.issues.keywords import class_term_weights, cluster_keywords, distinct_texts, make_label

# How many times a loose cluster is clustered again on its own before its documents count as outliers.
RECLUSTER_DEPTH = 2


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
    known: int | None = None  # index of the known issue this cluster continues, if any
    # Indices of other known issues folded into this one because they turned out to be one problem.
    absorbed: list[int] = field(default_factory=list)
    split_from: int | None = None  # index of the known issue this new cluster broke away from


class IssueMiner:
    """Finds recurring issues among one touchpoint's feedback.

    Embedding, reduction and clustering are swappable: pass any object with `fit_transform` as the
    reducer (or None to cluster the raw embeddings) and any with `fit_predict` as the clusterer.
    """

    def __init__(
        self,
        reducer: object | None = None,
        clusterer: object | None = None,
        outlier_threshold: float = 0.5,
        known_threshold: float = 0.5,
        min_cohesion: float = 0.6,
        n_keywords: int = 6,
        n_representatives: int = 3,
        min_documents: int = 8,
        merge_similarity: float | None = 0.75,
        merge_term_similarity: float = 0.1,
        known_merge_similarity: float = 0.8,
        split_similarity: float | None = 0.6,
        similarity: Callable[[float], float] | None = None,
        centre_similarity: Callable[[float], float] | None = None,
        stop_words: Collection[str] = (),
    ):
        """Thresholds are cosines on all-MiniLM-L6-v2's scale; `similarity` maps them onto another
        embedding model's (`ModelEntry.similarity`).

        `known_threshold` is no stricter than `outlier_threshold` on purpose: a document tonight's pull-in
        puts in an issue must be able to rejoin it tomorrow, or it drifts into a new issue and the id an
        analyst saw it under is lost (at 0.6 against 0.55, 9% of members moved on a night adding nothing).
        """
        if similarity is not None:
            outlier_threshold, known_threshold, min_cohesion = (
                similarity(outlier_threshold),
                similarity(known_threshold),
                similarity(min_cohesion),
            )
        # Merge bars compare two issue centres: `centre_similarity` maps them where a model's centres
        # crowd closer than its texts (`ModelEntry.centre_similarity`), else `similarity` does. The
        # split bar stays on the text scale: on e5, mapped as a centre bar (0.968) it broke a known
        # issue in five the night after it was found (stability 0.88); on the text scale 0.99, same NMI.
        centre_similarity = centre_similarity or similarity
        if centre_similarity is not None:
            known_merge_similarity = centre_similarity(known_merge_similarity)
            merge_similarity = centre_similarity(merge_similarity) if merge_similarity is not None else None
        if similarity is not None and split_similarity is not None:
            split_similarity = similarity(split_similarity)
        self.reducer = reducer if reducer is not None else PCAReducer()
        self.clusterer = clusterer if clusterer is not None else HDBSCANClusterer()
        self.outlier_threshold = outlier_threshold
        self.known_threshold = known_threshold
        self.min_cohesion = min_cohesion
        self.n_keywords = n_keywords
        self.n_representatives = n_representatives
        self.min_documents = min_documents
        self.merge_similarity = merge_similarity
        self.merge_term_similarity = merge_term_similarity
        # Two established issues merge only on stronger evidence than a new cluster joining one: every
        # merge of known ids moves documents analysts have already seen under the absorbed id.
        self.known_merge_similarity = max(known_merge_similarity, merge_similarity or 0.0)
        self.split_similarity = split_similarity
        # Stop words of the feedback's languages other than English (`stop_words_for`), for keywords.
        self.stop_words = frozenset(stop_words)

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        known_centroids: np.ndarray | None = None,
        previous: np.ndarray | None = None,
    ) -> IssueMiner:
        """Cluster the documents; with `known_centroids`, documents close to a known issue join it first.

        Assigning to yesterday's issues before clustering keeps issue ids stable night after night:
        only what no known issue explains is clustered afresh. Each resulting Cluster says which known
        issue it continues (`known`, an index into `known_centroids`) or None for a new one.
        `previous` holds, per document, the known issue it was in the night before (-1: none): it stays
        there while it is still close enough to join it, even if another known centre is now nearer.
        """
        embeddings = normalise_rows(np.asarray(embeddings, dtype=np.float32))
        known = np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 0), dtype=np.float32)
        if known_centroids is not None and len(known_centroids):
            known = normalise_rows(np.asarray(known_centroids, dtype=np.float32))
        labels, methods = self._join_known(embeddings, known, previous)
        split_from: dict[int, int] = {}
        if self.split_similarity is not None:
            split_from = self._split_known(embeddings, labels, len(known))
            methods[np.isin(labels, list(split_from))] = "cluster"
        rest = np.flatnonzero(labels == -1)
        next_label = len(known)
        for members in self._cohesive_clusters(embeddings, rest, depth=RECLUSTER_DEPTH):
            labels[members] = next_label
            next_label += 1
        absorbed: dict[int, list[int]] = {}
        if self.merge_similarity is not None:
            labels, absorbed = self._merge_near_duplicates(texts, embeddings, labels, len(known))
        group_ids = sorted(set(labels.tolist()) - {-1})
        if group_ids:
            centroids = np.array([centre(embeddings[labels == g]) for g in group_ids])
            # Outliers close enough to an issue's centre belong to it: HDBSCAN leaves many borderline
            # documents unassigned, and analysts read an unassigned share as missed volume.
            outliers = np.flatnonzero(labels == -1)
            if len(outliers):
                similarity = embeddings[outliers] @ centroids.T
                nearest = similarity.argmax(1)
                close = similarity[np.arange(len(outliers)), nearest] >= self.outlier_threshold
                labels[outliers[close]] = np.array(group_ids)[nearest[close]]
                methods[outliers[close]] = "nearest"
        self.labels_ = labels
        self.clusters_ = self._describe(texts, embeddings, labels, methods, group_ids, len(known))
        for cluster in self.clusters_:
            if cluster.known is not None:
                cluster.absorbed = absorbed.get(cluster.known, [])
        for cluster, group in zip(self.clusters_, group_ids):
            cluster.split_from = split_from.get(group)
        self.outlier_share_ = float((labels == -1).mean()) if len(texts) else 0.0
        return self

    def _join_known(
        self, embeddings: np.ndarray, known: np.ndarray, previous: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each document's known issue (-1: none) and how it joined: the nearest known centre it is
        close enough to, or the one it was in the night before while it is still close enough to it."""
        n = len(embeddings)
        labels = np.full(n, -1)
        methods = np.array(["cluster"] * n, dtype=object)
        if not len(known) or not n:
            return labels, methods
        similarity = embeddings @ known.T
        nearest = similarity.argmax(1)
        close = similarity[np.arange(n), nearest] >= self.known_threshold
        labels[close] = nearest[close]
        methods[close] = "known"
        if previous is not None:
            # Density clusters are not nearest-centre cells: a document at an issue's edge can sit
            # nearer another centre. Moving it there would change what an analyst saw it under
            # (airline tweets: 6% of members moved on a night that added 10% new ones).
            was = np.flatnonzero(previous >= 0)
            stays = was[similarity[was, previous[was]] >= self.known_threshold]
            labels[stays] = previous[stays]
            methods[stays] = "known"
        return labels, methods

    def _cohesive_clusters(self, embeddings: np.ndarray, candidates: np.ndarray, depth: int) -> list[np.ndarray]:
        """Clusters of `candidates` that hang together (mean cosine to their centre >= `min_cohesion`).

        What is left after known issues took their share can be one real new problem or a bag of
        unrelated complaints, and only the first is an issue. A loose cluster is often several issues
        HDBSCAN kept as one (its excess-of-mass choice prefers one big parent to small children), so
        it is clustered again on its own, `depth` times at most, before its documents become outliers.
        """
        if len(candidates) < self.min_documents:
            return []
        clusters = []
        for members in self._clusters_among(embeddings, candidates):
            if self._hangs_together(embeddings[members]):
                clusters.append(members)
            elif depth > 0 and len(members) < len(candidates):
                clusters.extend(self._cohesive_clusters(embeddings, members, depth - 1))
        return clusters

    def _clusters_among(self, embeddings: np.ndarray, candidates: np.ndarray) -> list[np.ndarray]:
        """Reduce and cluster `candidates` (indices) on their own; each found cluster's members, noise left out."""
        points = embeddings[candidates]
        points = self.reducer.fit_transform(points) if self.reducer is not None else points
        found = np.asarray(self.clusterer.fit_predict(points))
        return [candidates[found == cluster] for cluster in sorted(set(found.tolist()) - {-1})]

    def _hangs_together(self, vectors: np.ndarray) -> bool:
        """Mean cosine to the group's own centre reaches `min_cohesion`: one problem, not a bag of them."""
        return float((vectors @ centre(vectors)).mean()) >= self.min_cohesion

    def _split_known(self, embeddings: np.ndarray, labels: np.ndarray, n_known: int) -> dict[int, int]:
        """Let a known issue break in two when its documents now form clearly different problems.

        The documents that joined known issue k are clustered on their own; a part whose centre is
        less similar than `split_similarity` to the largest part's becomes a new issue (labelled in
        place, well above every other label). Returns new label -> the known issue it split from.
        The bar sits below the merge bar, so a split part is never merged straight back.
        """
        split_from: dict[int, int] = {}
        next_label = n_known + len(labels) + 1
        for k in range(n_known):
            members = np.flatnonzero(labels == k)
            if len(members) < 2 * self.min_documents:
                continue
            parts = sorted(self._clusters_among(embeddings, members), key=len, reverse=True)
            if len(parts) < 2:
                continue
            main = centre(embeddings[parts[0]])
            for part in parts[1:]:
                # A breakaway part must be issue-sized: HDBSCAN finds parts of 4-6 in a 40-member
                # issue, and moving such a sliver costs its members their id while most of the problem
                # it stands for stays behind (all-mpnet-base-v2, telecom set: 6 of 23 router
                # complaints split off, stability 0.93).
                if len(part) < self.min_documents:
                    continue
                apart = float(centre(embeddings[part]) @ main) < self.split_similarity
                if apart and self._hangs_together(embeddings[part]):
                    labels[part] = next_label
                    split_from[next_label] = k
                    next_label += 1
        return split_from

    def _merge_bar(self, a: int, b: int, n_known: int) -> float:
        return self.known_merge_similarity if a < n_known and b < n_known else self.merge_similarity

    def _merge_near_duplicates(
        self, texts: Sequence[str], embeddings: np.ndarray, labels: np.ndarray, n_known: int
    ) -> tuple[np.ndarray, dict[int, list[int]]]:
        """Fold together issues that are one problem told two ways (a "promo code" and a "discount code" issue).

        Agglomerative: the closest pair of issues merges while their centres are at least
        `merge_similarity` apart in meaning AND their distinctive words overlap (cosine of their
        unigram c-TF-IDF rows at least `merge_term_similarity`); centres and words are recomputed after
        each merge, so a loose catch-all issue cannot chain distinct problems together.
        Returns the new labels and, per surviving known issue, the known issues it absorbed.
        """
        labels = labels.copy()
        absorbed: dict[int, list[int]] = {}
        blocked: set[tuple[int, int]] = set()
        while True:
            groups = sorted(set(labels.tolist()) - {-1})
            if len(groups) < 2:
                break
            centroids = np.array([centre(embeddings[labels == g]) for g in groups])
            meaning = centroids @ centroids.T
            candidates = sorted(
                (-float(meaning[a, b]), groups[a], groups[b])
                for a in range(len(groups))
                for b in range(a + 1, len(groups))
                if meaning[a, b] >= self._merge_bar(groups[a], groups[b], n_known)
                and (groups[a], groups[b]) not in blocked
            )
            if not candidates:
                break
            weights, _ = class_term_weights(texts, labels, groups, self.stop_words, ngrams=(1, 1))
            rows = normalise_rows(weights[: len(groups)]) if weights is not None else None
            position = {g: i for i, g in enumerate(groups)}
            pair = None
            for _, a, b in candidates:
                if rows is not None and float(rows[position[a]] @ rows[position[b]]) >= self.merge_term_similarity:
                    pair = (a, b)
                    break
                blocked.add((a, b))
            if pair is None:
                break
            a, b = pair
            sizes = {g: int((labels == g).sum()) for g in pair}
            # The issue that carries on is a known one before a new one, then the one with more of this
            # window's documents: new clusters have no id yet, so they simply join.
            survivor = min(pair, key=lambda g: (g >= n_known, -sizes[g], g))
            other = b if survivor == a else a
            labels[labels == other] = survivor
            if other < n_known:
                absorbed.setdefault(survivor, []).extend([other, *absorbed.pop(other, [])])
            blocked = {p for p in blocked if other not in p and survivor not in p}
        return labels, {k: sorted(v) for k, v in absorbed.items()}

    def _describe(self, texts, embeddings, labels, methods, group_ids, n_known) -> list[Cluster]:
        keywords = cluster_keywords(texts, labels, group_ids, self.n_keywords, self.stop_words)
        clusters = []
        for position, group in enumerate(group_ids):
            members = np.flatnonzero(labels == group)
            centroid = centre(embeddings[members])
            similarities = embeddings[members] @ centroid
            ranked = members[np.argsort(-similarities, kind="stable")]
            clusters.append(
                Cluster(
                    members=members,
                    similarities=similarities,
                    methods=[str(m) for m in methods[members]],
                    centroid=centroid,
                    keywords=keywords[position],
                    label=make_label(keywords[position]),
                    representatives=distinct_texts(ranked, texts, self.n_representatives),
                    known=int(group) if group < n_known else None,
                )
            )
        return clusters
