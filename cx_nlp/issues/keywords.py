"""Issue labels: c-TF-IDF keywords per cluster, stop words per language, representative verbatims."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import sparse

from cx_nlp.issues.clustering import group_cosines, members_by_label
from cx_nlp.textprep import without_handles_and_links

# Words every complaint uses whatever it is about: they would top every cluster's keywords.
FEEDBACK_STOP_WORDS = frozenset(
    """
    just really get got im ive dont didnt doesnt cant wont isnt wasnt northwind home order ordered like
    would still one also even us told said time day days week weeks today yesterday please thanks thank
    hi hello regards xxxx xx email phone card iban customer company service team back now going make
    made want need know able
    """.split()
)

# Keywords of a cluster are read from at most this many of its members (those closest to its centre):
# c-TF-IDF over every member of a large window costs a pass over all its text each night.
KEYWORD_MEMBERS = 500
# The unclustered texts read are joined and counted this many at a time, then added up: a cold window's
# hundreds of thousands joined into one string made the tokenizer hold every word of them at once
# (+2.7 GB in one mining fit over 1,000,000 units). Below it, one piece, as before.
UNCLUSTERED_PIECE = 5_000
# Texts read back in one call for the classes' words (`TextsInBatches`): classes are read together up to
# this many members, so a window of many small issues costs a few reads, not one per issue.
CLASS_TEXTS_READ = 5_000
# Texts read back in one call for the issues' verbatims (`distinct_texts`).
VERBATIM_TEXTS_READ = 20_000


@runtime_checkable
class TextsInBatches(Protocol):
    """Texts by index that are read a batch at a time (`cx_nlp.issues.units.UnitTexts`)."""

    def take(self, indices: Iterable[int]) -> list[str]: ...


@runtime_checkable
class KeyedTexts(Protocol):
    """Texts by index that also say which text each index holds without reading it: equal keys, equal
    texts (`cx_nlp.issues.units.UnitTexts`: the units' content hashes)."""

    def text_keys(self, indices: Iterable[int]) -> list: ...


def texts_at(texts: Sequence[str], indices: Iterable[int]) -> list[str]:
    """The texts at `indices`, in that order: in one batch where `texts` reads them so."""
    if isinstance(texts, TextsInBatches):
        return texts.take(indices)
    return [texts[i] for i in indices]


def stop_words_for(languages: Iterable[str]) -> frozenset[str]:
    """Stop words of the given ISO 639-1 languages beyond English (which has its own list above).

    Without them the keywords of a French or German issue are "les", "der" and "und"."""
    import stopwordsiso

    wanted = {language for language in languages if language not in ("en", "und") and stopwordsiso.has_lang(language)}
    # Tokenised like the texts, so "quelqu'un" is stopped as the "quelqu" the tokenizer sees.
    return frozenset(word for entry in stopwordsiso.stopwords(wanted) for word in _words(entry).split())


def _words(text: str) -> str:
    # Letters of every alphabet survive ("créneau", "Lieferung"); digits, punctuation, @handles and links
    # do not.
    return re.sub(r"[^\w\s]|[\d_]", " ", without_handles_and_links(text).lower())


def class_term_counts(
    texts: Sequence[str],
    labels: np.ndarray,
    cluster_ids: Sequence[int],
    stop_words: Collection[str] = (),
    ngrams: tuple[int, int] = (1, 2),
):
    """Word (and bigram) counts per class: one sparse row per cluster, then one for the unclustered
    (label -1; other labels are read by none), and the vocabulary. None when every word is a stop word.

    `stop_words` are those of the feedback's languages beyond English (`stop_words_for`)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    members = members_by_label(labels)
    empty = np.array([], dtype=int)
    unclustered = members.get(-1, empty)
    pieces = range(0, max(len(unclustered), 1), UNCLUSTERED_PIECE)

    def documents() -> Iterator[str]:
        # One class's words at a time: the tokenizer takes them as they come, so neither the classes'
        # texts nor their joined words are ever all in memory (texts read back a few classes at a time).
        for batch in _batches([members.get(c, empty) for c in cluster_ids], CLASS_TEXTS_READ):
            read = iter(texts_at(texts, np.concatenate(batch)))
            for indices in batch:
                yield " ".join(_words(next(read)) for _ in range(len(indices)))
        for s in pieces:
            yield " ".join(_words(t) for t in texts_at(texts, unclustered[s : s + UNCLUSTERED_PIECE]))

    vectorizer = CountVectorizer(
        ngram_range=ngrams,
        stop_words=sorted(ENGLISH_STOP_WORDS | FEEDBACK_STOP_WORDS | frozenset(stop_words)),
        # Words of three letters or more in any alphabet; digits and underscores are not words.
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
    )
    try:
        counts = vectorizer.fit_transform(documents()).astype(float)
    except ValueError:  # every word was a stop word
        return None, np.array([])
    if len(pieces) > 1:
        counts = sparse.vstack([counts[: len(cluster_ids)], sparse.csr_matrix(counts[len(cluster_ids) :].sum(0))])
    return counts.tocsr(), vectorizer.get_feature_names_out()


def _batches(groups: Sequence[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    """`groups` in order, gathered into runs of about `size` members (a larger group is a run alone)."""
    run: list[np.ndarray] = []
    held = 0
    for group in groups:
        if run and held + len(group) > size:
            yield run
            run, held = [], 0
        run.append(group)
        held += len(group)
    if run:
        yield run


def term_weights(counts, idf: np.ndarray | None = None) -> sparse.csr_matrix:
    """c-TF-IDF of class counts (`class_term_counts`): a term's share of its class's words, times
    log(1 + average words per class / the term's count over all classes). `idf`, where given, is that of
    all classes (`term_idf`) and `counts` some of their rows.

    Sparse, as the counts are: a window's issues times its vocabulary dense was 0.3 GB of float64 for
    614 issues of 50,000 generated documents, and grows with both (thousands of issues at a million)."""
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    counts.sum_duplicates()
    idf = term_idf(counts.sum(0), counts.shape[0]) if idf is None else np.asarray(idf, dtype=float).ravel()
    class_words = np.clip(np.asarray(counts.sum(1)).ravel(), 1, None)
    # Each stored count divided by its class's words, then times its term's idf: the dense form's
    # operations in its order, so the weights (and the keywords' ties) are the same to the last bit.
    row_of = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    weights = counts.data / class_words[row_of] * idf[counts.indices]
    return sparse.csr_matrix((weights, counts.indices, counts.indptr), shape=counts.shape)


def term_idf(term_totals: np.ndarray, classes: int) -> np.ndarray:
    """c-TF-IDF's idf from each term's count over all classes and how many classes there are."""
    term_totals = np.asarray(term_totals, dtype=float).ravel()
    return np.log(1 + term_totals.sum() / classes / np.clip(term_totals, 1, None))


def class_term_weights(
    texts: Sequence[str],
    labels: np.ndarray,
    cluster_ids: list[int],
    stop_words: Collection[str] = (),
    ngrams: tuple[int, int] = (1, 2),
) -> tuple[sparse.csr_matrix | None, np.ndarray]:
    """c-TF-IDF: one row per cluster (then one for the unclustered), one column per word or bigram."""
    counts, vocabulary = class_term_counts(texts, labels, cluster_ids, stop_words, ngrams)
    return (None, vocabulary) if counts is None else (term_weights(counts), vocabulary)


def cluster_keywords(
    texts: Sequence[str], labels: np.ndarray, cluster_ids: list[int], n_keywords: int, stop_words: Collection[str] = ()
) -> list[list[str]]:
    """Class-based TF-IDF: words frequent in one cluster and rare across the touchpoint's others."""
    if not cluster_ids:
        return []
    weights, vocabulary = class_term_weights(texts, labels, cluster_ids, stop_words)
    if weights is None:
        return [[] for _ in cluster_ids]
    result = []
    for row in range(len(cluster_ids)):
        terms, values = _row_terms(weights, row)
        # Highest weight first, ties in vocabulary order (as a stable sort of the dense row gave).
        order = np.lexsort((terms, -values))
        chosen: list[str] = []
        for index in terms[order]:
            if len(chosen) >= n_keywords:
                break
            term = str(vocabulary[index])
            # A bigram and its own words say the same thing twice.
            if any(term in kept or kept in term for kept in chosen):
                continue
            chosen.append(term)
        result.append(chosen)
    return result


def _row_terms(weights: sparse.csr_matrix, row: int) -> tuple[np.ndarray, np.ndarray]:
    """The terms of one row with a positive weight, and their weights."""
    start, end = weights.indptr[row], weights.indptr[row + 1]
    terms, values = weights.indices[start:end], weights.data[start:end]
    positive = values > 0
    return terms[positive], values[positive]


def distinct_texts(rankings: Sequence[np.ndarray], texts: Sequence[str], limit: int) -> list[list[int]]:
    """For each ranking (indices into `texts`, best first), its first `limit` indices whose texts differ,
    ignoring case. The rankings are read together: `limit` of each, then twice as many of those that
    still need more, until each has enough or runs out, VERBATIM_TEXTS_READ texts a call. Where `texts`
    says which text each index holds (`KeyedTexts`), an index whose text its ranking read already is
    passed over unread: an issue whose closest members are one text told thousands of times (identical
    texts share a vector, so they rank together) reads it once, not thousands of times."""
    chosen: list[list[int]] = [[] for _ in rankings]
    seen: list[set[str]] = [set() for _ in rankings]
    keys_read: list[set] = [set() for _ in rankings]
    read_to = [0] * len(rankings)
    step = max(limit, 1)
    pending = [i for i, ranked in enumerate(rankings) if len(ranked)]
    while pending:
        wanted: list[tuple[int, int]] = []  # (ranking, index) whose text to read, each ranking in order
        for i in pending:
            part = [int(index) for index in rankings[i][read_to[i] : read_to[i] + step]]
            read_to[i] += len(part)
            if isinstance(texts, KeyedTexts):
                part = [index for index, key in zip(part, texts.text_keys(part)) if _first_time(keys_read[i], key)]
            wanted += [(i, index) for index in part]
        for start in range(0, len(wanted), VERBATIM_TEXTS_READ):
            batch = wanted[start : start + VERBATIM_TEXTS_READ]
            for (i, index), text in zip(batch, texts_at(texts, [index for _, index in batch]), strict=True):
                key = text.strip().lower()
                if len(chosen[i]) < limit and key not in seen[i]:
                    seen[i].add(key)
                    chosen[i].append(index)
        pending = [i for i in pending if len(chosen[i]) < limit and read_to[i] < len(rankings[i])]
        step *= 2
    return chosen


def _first_time(held: set, key) -> bool:
    """Whether `key` is new to `held`, which keeps it from now on."""
    if key in held:
        return False
    held.add(key)
    return True


def make_label(keywords: list[str]) -> str:
    return " / ".join(keywords[:3]) if keywords else "unlabelled"


def keyword_labels(
    embeddings: np.ndarray, labels: np.ndarray, by_label, group_ids: Sequence[int], centroids
) -> np.ndarray:
    """`labels` with only what keywords are read from kept: each cluster's KEYWORD_MEMBERS members
    closest to its centre and a seeded sample of as many outliers per cluster (the rest -2, read by none).
    Below those sizes it is `labels` itself. `by_label`: `members_by_label(labels)`."""
    read = labels.copy()
    for group, centroid in zip(group_ids, centroids):
        members = by_label[group]
        if len(members) > KEYWORD_MEMBERS:
            closest = np.argsort(-group_cosines(embeddings, members, centroid), kind="stable")[:KEYWORD_MEMBERS]
            dropped = np.ones(len(members), dtype=bool)
            dropped[closest] = False
            read[members[dropped]] = -2
    outliers = by_label.get(-1, np.array([], dtype=int))
    room = KEYWORD_MEMBERS * max(1, len(group_ids))
    if len(outliers) > room:
        kept = np.random.default_rng(len(outliers)).choice(outliers, room, replace=False)
        read[outliers] = -2
        read[kept] = -1
    return read
