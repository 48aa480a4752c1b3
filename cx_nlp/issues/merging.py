"""Same-night merges of issues that are one problem told two ways (`IssueMiner`'s merge step)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from cx_nlp.issues.clustering import label_sums, members_by_label, normalise_rows
from cx_nlp.issues.keywords import class_term_counts, keyword_labels, term_idf, term_weights


@dataclass(frozen=True)
class NearDuplicateMerge:
    """Issues found the same night fold together at these bars (`IssueMiner.merge_similarity`,
    `known_merge_similarity`, `merge_term_similarity`), their words read without `stop_words`."""

    merge_similarity: float
    known_merge_similarity: float
    merge_term_similarity: float
    stop_words: Collection[str] = frozenset()

    def __call__(
        self, texts: Sequence[str], embeddings: np.ndarray, labels: np.ndarray, n_known: int
    ) -> tuple[np.ndarray, dict[int, list[int]]]:
        """Fold together issues that are one problem told two ways (a "promo code" and a "discount code" issue).

        Agglomerative: the closest pair of issues merges while their centres are at least
        `merge_similarity` apart in meaning AND their distinctive words overlap (cosine of their
        unigram c-TF-IDF rows at least `merge_term_similarity`); centres and words are recomputed after
        each merge, so a loose catch-all issue cannot chain distinct problems together. Each issue's
        vector sum and word counts are kept and added on a merge: a window's text is read once, however
        many merges there are (a 10,000-document window with 170 clusters: 56 s re-reading it per merge).
        Returns the new labels and, per surviving known issue, the known issues it absorbed.
        """
        labels = labels.copy()
        groups = np.array(sorted(set(labels.tolist()) - {-1}))
        if len(groups) < 2:
            return labels, {}
        sums, sizes = label_sums(embeddings, labels, groups)
        alive = np.ones(len(groups), dtype=bool)
        is_known = groups < n_known
        centroids = normalise_rows(sums)
        # Pairs close enough in meaning to merge, found a block of issues at a time and kept sparse: a
        # large window has thousands of clusters, and their full similarity matrix would not fit.
        close = self._close_pairs(centroids, is_known, np.arange(len(groups)), alive)
        if not close:
            return labels, {}  # nothing to merge: the window's words need not be counted
        counts = self._issue_word_counts(texts, embeddings, labels, groups, sums)
        term_totals = np.asarray(counts.sum(0)).ravel() if counts is not None else None
        blocked: set[tuple[int, int]] = set()
        absorbed: dict[int, list[int]] = {}
        while len(close):
            # Closest first; ties by the lower label, then the other (as sorted tuples of labels would).
            candidates = [p for *_, p in sorted((-v, groups[a], groups[b], (a, b)) for (a, b), v in close.items())]
            idf = term_idf(term_totals, int(alive.sum()) + 1) if counts is not None else None
            pair = self._first_with_shared_words(candidates, blocked, counts, idf)
            if pair is None:
                break
            # The issue that carries on is a known one before a new one, then the one with more of this
            # window's documents: new clusters have no id yet, so they simply join.
            survivor = min(pair, key=lambda i: (not is_known[i], -sizes[i], groups[i]))
            other = pair[1] if survivor == pair[0] else pair[0]
            labels[labels == groups[other]] = groups[survivor]
            sums[survivor] += sums[other]
            sizes[survivor] += sizes[other]
            counts[survivor] = counts[survivor] + counts[other]
            alive[other] = False
            centroids[survivor] = normalise_rows(sums[survivor : survivor + 1])[0]
            close = {p: v for p, v in close.items() if survivor not in p and other not in p}
            close |= self._close_pairs(centroids, is_known, np.array([survivor]), alive)
            blocked = {p for p in blocked if survivor not in p and other not in p}
            if is_known[other]:
                survivor_id, other_id = int(groups[survivor]), int(groups[other])
                absorbed.setdefault(survivor_id, []).extend([other_id, *absorbed.pop(other_id, [])])
        return labels, {k: sorted(v) for k, v in absorbed.items()}

    def _issue_word_counts(self, texts: Sequence[str], embeddings, labels, groups: np.ndarray, sums: np.ndarray):
        """Per issue, its unigram counts (sparse, rows addable; None when every word is a stop word)."""
        read = keyword_labels(embeddings, labels, members_by_label(labels), groups.tolist(), normalise_rows(sums))
        counts, _ = class_term_counts(texts, read, groups.tolist(), self.stop_words, ngrams=(1, 1))
        return None if counts is None else counts.tolil()

    def _close_pairs(
        self, centroids: np.ndarray, is_known: np.ndarray, rows: np.ndarray, alive: np.ndarray
    ) -> dict[tuple[int, int], float]:
        """(a, b) with a < b -> cosine, for each of `rows` and every other live issue whose centres are
        at least the merge bar apart (the known-issue bar between two known issues)."""
        found: dict[tuple[int, int], float] = {}
        live = np.flatnonzero(alive)
        for start in range(0, len(rows), 256):
            block = rows[start : start + 256]
            similarity = centroids[block] @ centroids[live].T
            bar = np.where(
                is_known[block][:, None] & is_known[live][None, :], self.known_merge_similarity, self.merge_similarity
            )
            for i, j in zip(*np.nonzero(similarity >= bar)):
                a, b = int(block[i]), int(live[j])
                if a != b:
                    found[min(a, b), max(a, b)] = float(similarity[i, j])
        return found

    def _first_with_shared_words(self, candidates, blocked: set, counts, idf) -> tuple[int, int] | None:
        """The first candidate pair, not blocked, whose words overlap; those checked and found apart are
        blocked until one of them merges."""
        for pair in candidates:
            if pair in blocked:
                continue
            if self._words_overlap(counts, idf, *pair):
                return pair
            blocked.add(pair)
        return None

    def _words_overlap(self, counts, idf: np.ndarray | None, a: int, b: int) -> bool:
        """The cosine of two issues' unigram c-TF-IDF rows reaches `merge_term_similarity` (no words: never)."""
        if counts is None:
            return False
        rows = normalise_rows(term_weights(counts[[a, b]], idf).toarray())
        return float(rows[0] @ rows[1]) >= self.merge_term_similarity
