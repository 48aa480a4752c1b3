"""Recurring-issue mining: cluster one touchpoint's feedback, continue known issues, label clusters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from cx_nlp.issues.clustering import (
    HalfPrecisionRows,
    HDBSCANClusterer,
    PCAReducer,
    SpilledRows,
    centre,
    centre_and_cosines,
    group_centre,
    members_by_label,
    nearest_centre,
    normalise_rows,
    row_cosines,
    unit_rows,
)
from cx_nlp.issues.keywords import (
    cluster_keywords,
    distinct_texts,
    keyword_labels,
    make_label,
)
from cx_nlp.issues.merging import NearDuplicateMerge
from cx_nlp.issues.records import Cluster
from cx_nlp.progress import Stopwatch

log = logging.getLogger(__name__)

# How many times a loose cluster is clustered again on its own before its documents count as outliers.
RECLUSTER_DEPTH = 2
# With `new` given, a residual (what no known issue takes) of up to this many units is clustered whole;
# beyond it, only the new units and their nearest earlier leftovers are: density clustering grows about
# as n^1.6-1.9 (docs/benchmarks.md), so a night must not pay for the whole window's leftovers again.
FULL_RESIDUAL_LIMIT = 20_000
# Most units reduced and clustered in one fit (a cold window): UMAP takes about 8.7 KiB a unit.
CLUSTER_LIMIT = 50_000
# A fit over at least this many units holds their vectors as float16 (`HalfPrecisionRows`): the
# matrix of a large group's vectors is most of a large window's mining memory. Below it (every
# golden window and real set measured) vectors stay float32 and mining is exactly as before.
HALF_PRECISION_FROM = CLUSTER_LIMIT
# A fit over at least this many units keeps its float16 vectors in a temporary file (`SpilledRows`)
# rather than in memory (366 MiB of rows here): a fit of 2.4 million units, as many as a million
# generated documents give, peaked at 1.1 GiB against 2.6, its next night 12% longer, reading issues'
# members by index (docs/benchmarks.md, "A large fit's vectors in a file").
SPILL_FROM = 500_000
# Each new leftover brings at most this many of its nearest earlier leftovers into the night's clustering:
# enough for a problem that recurred below the minimum cluster size on earlier nights to reach it now.
EARLIER_NEIGHBOURS = 10
# With `new` given, a known issue is checked for a split on its new documents and a sample of as many
# earlier ones, this many at least: issues up to this size plus their new documents are checked whole.
SPLIT_EARLIER = 200
# ... and on a seeded sample of this many of its new documents where more joined it: a part worth an
# issue of its own is a share of what arrives, and shows in a sample of it.
SPLIT_ARRIVED = 1_000
# A split is looked for among a few hundred members of one issue, reduced with PCA whatever reduces the
# group: UMAP there cost 8.6 s of a 9.4 s night at 10,000 documents (bench/bench_miner.py --reducer umap).
SPLIT_REDUCER = PCAReducer


class IssueMiner:
    """Finds recurring issues among one touchpoint's feedback.

    Embedding, reduction and clustering are swappable: pass any object with `fit_transform` as the
    reducer (or None to cluster the raw embeddings) and any with `fit_predict` as the clusterer.
    """

    # Long: one keyword per threshold, each mapped onto the embedding model's scale here.
    def __init__(
        self,
        reducer: object | None = None,
        clusterer: object | None = None,
        outlier_threshold: float = 0.4,
        known_threshold: float = 0.4,
        stay_threshold: float = 0.3,
        min_cohesion: float = 0.6,
        n_keywords: int = 6,
        n_representatives: int = 3,
        min_documents: int = 8,
        full_residual_limit: int = FULL_RESIDUAL_LIMIT,
        cluster_limit: int | None = CLUSTER_LIMIT,
        half_precision_from: int | None = HALF_PRECISION_FROM,
        spill_from: int | None = SPILL_FROM,
        spill_folder: Path | None = None,
        copy_embeddings: bool = True,
        merge_similarity: float | None = 0.85,
        merge_term_similarity: float = 0.1,
        known_merge_similarity: float = 0.9,
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
        So a member stays in its issue while `stay_threshold` close: density clusters hold members further
        out than a document may join from, and those left their issue the next night with nothing changed.
        """
        if similarity is not None:
            bars = (outlier_threshold, known_threshold, stay_threshold, min_cohesion)
            outlier_threshold, known_threshold, stay_threshold, min_cohesion = (similarity(b) for b in bars)
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
        self.stay_threshold = min(stay_threshold, known_threshold)  # never stricter than joining
        self.min_cohesion = min_cohesion
        self.n_keywords = n_keywords
        self.n_representatives = n_representatives
        self.min_documents = min_documents
        self.full_residual_limit = full_residual_limit
        if cluster_limit is not None and cluster_limit < 2 * min_documents:
            raise ValueError(f"cluster_limit {cluster_limit} leaves no room for issues of {min_documents} documents")
        self.cluster_limit = cluster_limit
        self.half_precision_from = half_precision_from  # None: float32 whatever the size
        self.spill_from = spill_from  # None: in memory whatever the size
        self.spill_folder = spill_folder  # None: the system's temporary folder
        self.copy_embeddings = copy_embeddings  # False: fit divides the rows it is given in place
        self.merge_similarity = merge_similarity
        self.merge_term_similarity = merge_term_similarity
        # Known issues merge only on stronger evidence than a new cluster joins one: it moves what analysts
        # saw under the absorbed id (0.80 -> 0.85 -> 0.90: CFPB members kept the next night 0.902 -> 0.977,
        # airline tweets 0.918 -> 0.998 where four vague issues had merged; docs/quality.md).
        self.known_merge_similarity = max(known_merge_similarity, merge_similarity or 0.0)
        self.split_similarity = split_similarity
        self.stop_words = frozenset(stop_words)  # of languages besides English (`stop_words_for`)

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        known_centroids: np.ndarray | None = None,
        previous: np.ndarray | None = None,
        new: np.ndarray | None = None,
    ) -> IssueMiner:
        """Cluster the documents; with `known_centroids`, documents close to a known issue join it first.

        Assigning to yesterday's issues before clustering keeps issue ids stable night after night:
        only what no known issue explains is clustered afresh. Each resulting Cluster says which known
        issue it continues (`known`, an index into `known_centroids`) or None for a new one.
        `previous` holds, per document, the known issue it was in the night before (-1: none): it stays
        there while it is `stay_threshold` close to it, even if another known centre is now nearer.
        `new` marks the documents no earlier night mined (None: all of them). With it, a night's cost
        follows what arrived rather than the window: only known issues that gained `min_documents` new
        documents are checked for a split, and a large residual is clustered as its new documents plus
        their nearest earlier leftovers (`full_residual_limit`, EARLIER_NEIGHBOURS). At most `cluster_limit`
        are clustered (a seeded sample; the rest join by nearest centre). `embeddings` may be held as
        `HalfPrecisionRows` or `SpilledRows`, as `half_rows` and `spills` say a group of that size is
        (`empty_rows`). Seconds per step: `timings_`."""
        watch = Stopwatch()
        self.timings_ = watch.laps
        embeddings = self._unit_rows(embeddings)
        new = None if new is None else np.asarray(new, dtype=bool)
        known = np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 0), dtype=np.float32)
        if known_centroids is not None and len(known_centroids):
            known = normalise_rows(np.asarray(known_centroids, dtype=np.float32))
        labels, methods = self._join_known(embeddings, known, previous)
        watch.lap("join_known")
        split_from: dict[int, int] = {}
        if self.split_similarity is not None:
            split_from = self._split_known(embeddings, labels, len(known), self._gained(labels, len(known), new), new)
            methods[np.isin(labels, list(split_from))] = "cluster"
        watch.lap("split_known")
        rest = self._to_cluster(embeddings, labels, new)
        next_label = len(known)
        for members in self._cohesive_clusters(embeddings, rest, depth=RECLUSTER_DEPTH):
            labels[members] = next_label
            next_label += 1
        watch.lap("cluster")
        absorbed: dict[int, list[int]] = {}
        if self.merge_similarity is not None:
            labels, absorbed = self._merge_near_duplicates(texts, embeddings, labels, len(known))
        watch.lap("merge")
        group_ids = sorted(set(labels.tolist()) - {-1})
        self._pull_in(embeddings, labels, methods, group_ids)
        watch.lap("pull_in")
        self.labels_ = labels
        self.clusters_ = self._describe(texts, embeddings, labels, methods, group_ids, len(known))
        for cluster in self.clusters_:
            if cluster.known is not None:
                cluster.absorbed = absorbed.get(cluster.known, [])
        for cluster, group in zip(self.clusters_, group_ids):
            cluster.split_from = split_from.get(group)
        self.outlier_share_ = float((labels == -1).mean()) if len(texts) else 0.0
        watch.lap("describe")
        return self

    def half_rows(self, count: int) -> bool:
        """Whether a fit over `count` units holds their vectors as float16 (`half_precision_from`)."""
        return self.half_precision_from is not None and count >= max(self.half_precision_from, 1)

    def _unit_rows(self, embeddings: np.ndarray | HalfPrecisionRows) -> np.ndarray | HalfPrecisionRows:
        """The fit's vectors divided by their norms and held as a fit of their number holds them."""
        count, copy = len(embeddings), self.copy_embeddings
        return unit_rows(embeddings, self.half_rows(count), not copy, self.spills(count), self.spill_folder)

    def spills(self, count: int) -> bool:
        """Whether a fit over `count` units keeps its float16 vectors in a file (`spill_from`)."""
        return self.half_rows(count) and self.spill_from is not None and count >= self.spill_from

    def empty_rows(self, shape: tuple[int, int]) -> np.ndarray | HalfPrecisionRows:
        """A matrix to fill with the vectors of a fit over `shape[0]` units, held as the fit holds them:
        float32, float16 (`half_rows`) or float16 in a file (`spills`), so that a reader can write a
        large group's vectors where the fit keeps them and the fit divide them there."""
        if self.spills(shape[0]):
            return SpilledRows.empty(shape, self.spill_folder)
        if self.half_rows(shape[0]):
            return HalfPrecisionRows.empty(shape)
        return np.empty(shape, dtype=np.float32)

    def _gained(self, labels: np.ndarray, n_known: int, new: np.ndarray | None) -> list[int]:
        """The known issues to check for a split: all of them, or those `min_documents` new documents
        joined. A part that breaks away must be issue-sized, so an issue that gained fewer is still what
        the night that checked it left (a part of old documents was there then)."""
        if new is None:
            return list(range(n_known))
        arrivals = np.bincount(labels[new & (labels >= 0)], minlength=n_known)
        return np.flatnonzero(arrivals[:n_known] >= self.min_documents).tolist()

    def _pull_in(self, embeddings: np.ndarray, labels: np.ndarray, methods: np.ndarray, group_ids: list[int]) -> None:
        """Outliers close enough to an issue's centre belong to it: HDBSCAN leaves many borderline
        documents unassigned, and analysts read an unassigned share as missed volume."""
        outliers = np.flatnonzero(labels == -1)
        if not group_ids or not len(outliers):
            return
        by_label = members_by_label(labels)
        centroids = np.array([group_centre(embeddings, by_label[g]) for g in group_ids])
        nearest, best = nearest_centre(embeddings, centroids, rows=outliers)
        close = best >= self.outlier_threshold
        joined = outliers[close]
        labels[joined] = np.array(group_ids)[nearest[close]]
        methods[joined] = "nearest"

    def _residual(self, embeddings: np.ndarray, rest: np.ndarray, new: np.ndarray | None) -> np.ndarray:
        """The leftovers to cluster tonight: all of them, or, when they are many and `new` says which
        arrived tonight, the new ones and each one's EARLIER_NEIGHBOURS nearest earlier leftovers that
        are close enough to join an issue with it. Earlier leftovers were clustered on the nights they
        arrived and formed nothing; they can only form an issue now together with what is new, and a
        new problem's earlier reports lie next to its new ones."""
        if new is None or len(rest) <= self.full_residual_limit:
            return rest
        arrived, earlier = rest[new[rest]], rest[~new[rest]]
        if not len(arrived) or not len(earlier):
            return arrived
        neighbours = min(EARLIER_NEIGHBOURS, len(earlier))
        chosen = np.zeros(len(earlier), dtype=bool)
        earlier_vectors = embeddings[earlier].T
        for start in range(0, len(arrived), 2048):  # blocks: arrived x earlier cosines would not fit at once
            similarity = embeddings[arrived[start : start + 2048]] @ earlier_vectors
            nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
            close = np.take_along_axis(similarity, nearest, axis=1) >= self.outlier_threshold
            chosen[nearest[close]] = True
        return np.sort(np.concatenate([arrived, earlier[chosen]]))

    def _to_cluster(self, embeddings: np.ndarray, labels: np.ndarray, new: np.ndarray | None) -> np.ndarray:
        """The residual (`_residual`), or a sample of `cluster_limit` of it, seeded by its size. A problem
        frequent enough to be an issue shows in a sample as in the whole; the rest join by `_pull_in`."""
        rest = self._residual(embeddings, np.flatnonzero(labels == -1), new)
        self.residual_size_ = len(rest)
        if self.cluster_limit is not None and len(rest) > self.cluster_limit:
            log.info("%d leftover units: clustering a sample of %d (cluster_limit)", len(rest), self.cluster_limit)
            chosen = np.random.default_rng(len(rest)).choice(len(rest), size=self.cluster_limit, replace=False)
            rest = rest[np.sort(chosen)]
        self.clustered_size_ = len(rest)
        return rest

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
        nearest, best = nearest_centre(embeddings, known)
        close = best >= self.known_threshold
        labels[close] = nearest[close]
        methods[close] = "known"
        if previous is not None:
            # Density clusters are not nearest-centre cells: a document at an issue's edge can sit
            # nearer another centre. Moving it there would change what an analyst saw it under
            # (airline tweets: 6% of members moved on a night that added 10% new ones).
            was = np.flatnonzero(previous >= 0)
            stays = was[row_cosines(embeddings, was, known, previous[was]) >= self.stay_threshold]
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

    def _clusters_among(
        self, embeddings: np.ndarray, candidates: np.ndarray, reducer: object | None = None
    ) -> list[np.ndarray]:
        """Reduce (with `reducer`, else the miner's) and cluster `candidates` (indices) on their own; each
        found cluster's members, noise left out."""
        points = embeddings[candidates]
        reducer = reducer or self.reducer
        points = reducer.fit_transform(points) if reducer is not None else points
        found = np.asarray(self.clusterer.fit_predict(points))
        return [candidates[found == cluster] for cluster in sorted(set(found.tolist()) - {-1})]

    def _hangs_together(self, vectors: np.ndarray) -> bool:
        """Mean cosine to the group's own centre reaches `min_cohesion`: one problem, not a bag of them."""
        return float((vectors @ centre(vectors)).mean()) >= self.min_cohesion

    def _split_known(
        self, embeddings: np.ndarray, labels: np.ndarray, n_known: int, gained: Iterable[int], new: np.ndarray | None
    ) -> dict[int, int]:
        """Let a known issue break in two when its documents now form clearly different problems.

        The documents that joined known issue k (each of `gained`) are clustered on their own; a part
        whose centre is less similar than `split_similarity` to the largest part's becomes a new issue
        (labelled in place, well above every other label). Returns new label -> the known issue it
        split from. The bar sits below the merge bar, so a split part is never merged straight back.
        With `new` given, a large issue is checked on its new documents and a sample of its earlier ones.
        """
        split_from: dict[int, int] = {}
        next_label = n_known + len(labels) + 1
        by_label = members_by_label(labels)
        for k in gained:
            members = self._sample_of_issue(by_label.get(k, np.array([], dtype=int)), new)
            if len(members) < 2 * self.min_documents:
                continue
            parts = sorted(self._clusters_among(embeddings, members, SPLIT_REDUCER()), key=len, reverse=True)
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

    def _sample_of_issue(self, members: np.ndarray, new: np.ndarray | None) -> np.ndarray:
        """An issue's members to check for a split: all of them, or with `new` given its new members
        (a seeded sample of SPLIT_ARRIVED where more) and a sample of as many earlier ones (SPLIT_EARLIER
        at least); a part found breaks away with the members checked. A problem breaking away
        shows among what arrived, and the sample stands for what the issue was; checking every member of
        every issue each night clusters the whole window again (100,000 documents, bench/bench_miner.py:
        11.0 s of an 18.4 s night, against 3.7 s of 10.3 s)."""
        if new is None:
            return members
        rng = np.random.default_rng(len(members))
        arrived, earlier = members[new[members]], members[~new[members]]
        if len(arrived) > SPLIT_ARRIVED:
            arrived = rng.choice(arrived, SPLIT_ARRIVED, replace=False)
        room = max(SPLIT_EARLIER, len(arrived))
        if len(earlier) > room:
            earlier = rng.choice(earlier, room, replace=False)
        return np.sort(np.concatenate([arrived, earlier]))

    def _merge_near_duplicates(
        self, texts: Sequence[str], embeddings: np.ndarray, labels: np.ndarray, n_known: int
    ) -> tuple[np.ndarray, dict[int, list[int]]]:
        """`NearDuplicateMerge` at this miner's bars: the new labels and, per surviving known issue,
        the known issues it absorbed (a step of its own, which benchmarks time)."""
        bars = (self.merge_similarity, self.known_merge_similarity, self.merge_term_similarity)
        return NearDuplicateMerge(*bars, self.stop_words)(texts, embeddings, labels, n_known)

    def _describe(self, texts, embeddings, labels, methods, group_ids, n_known) -> list[Cluster]:
        by_label = members_by_label(labels)
        centroids, similarities = [], []
        for group in group_ids:
            centroid, cosines = centre_and_cosines(embeddings, by_label[group])
            centroids.append(centroid)
            similarities.append(cosines)
        read = keyword_labels(embeddings, labels, by_label, group_ids, centroids)
        keywords = cluster_keywords(texts, read, group_ids, self.n_keywords, self.stop_words)
        rankings = [by_label[group][np.argsort(-s, kind="stable")] for group, s in zip(group_ids, similarities)]
        representatives = distinct_texts(rankings, texts, self.n_representatives)
        clusters = []
        for position, group in enumerate(group_ids):
            members = by_label[group]
            centroid = centroids[position]
            clusters.append(
                Cluster(
                    members=members,
                    similarities=similarities[position],
                    methods=[str(m) for m in methods[members]],
                    centroid=centroid,
                    keywords=keywords[position],
                    label=make_label(keywords[position]),
                    representatives=representatives[position],
                    known=int(group) if group < n_known else None,
                )
            )
        return clusters
