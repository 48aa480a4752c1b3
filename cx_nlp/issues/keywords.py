"""Issue labels: c-TF-IDF keywords per cluster, stop words per language, representative verbatims."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

import numpy as np

# Words every complaint uses whatever it is about: they would top every cluster's keywords.
FEEDBACK_STOP_WORDS = frozenset(
    """
    just really get got im ive dont didnt doesnt cant wont isnt wasnt northwind home order ordered like
    would still one also even us told said time day days week weeks today yesterday please thanks thank
    hi hello regards xxxx xx email phone card iban customer company service team back now going make
    made want need know able
    """.split()
)


def stop_words_for(languages: Iterable[str]) -> frozenset[str]:
    """Stop words of the given ISO 639-1 languages beyond English (which has its own list above).

    Without them the keywords of a French or German issue are "les", "der" and "und"."""
    import stopwordsiso

    wanted = {language for language in languages if language not in ("en", "und") and stopwordsiso.has_lang(language)}
    # Tokenised like the texts, so "quelqu'un" is stopped as the "quelqu" the tokenizer sees.
    return frozenset(word for entry in stopwordsiso.stopwords(wanted) for word in _words(entry).split())


def _words(text: str) -> str:
    # Letters of every alphabet survive ("créneau", "Lieferung"); digits and punctuation do not.
    return re.sub(r"[^\w\s]|[\d_]", " ", text.lower())


def class_term_weights(
    texts: Sequence[str],
    labels: np.ndarray,
    cluster_ids: list[int],
    stop_words: Collection[str] = (),
    ngrams: tuple[int, int] = (1, 2),
) -> tuple[np.ndarray | None, np.ndarray]:
    """c-TF-IDF: one row per cluster (then one for the unclustered), one column per word or bigram.

    `stop_words` are those of the feedback's languages beyond English (`stop_words_for`)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    classes = [*cluster_ids, -1]
    documents = [" ".join(_words(texts[i]) for i in np.flatnonzero(labels == c)) for c in classes]
    vectorizer = CountVectorizer(
        ngram_range=ngrams,
        stop_words=sorted(ENGLISH_STOP_WORDS | FEEDBACK_STOP_WORDS | frozenset(stop_words)),
        # Words of three letters or more in any alphabet; digits and underscores are not words.
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b",
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(float)
    except ValueError:  # every word was a stop word
        return None, np.array([])
    term_frequency = counts / np.clip(counts.sum(1, keepdims=True), 1, None)
    average_words = counts.sum() / len(classes)
    idf = np.log(1 + average_words / np.clip(counts.sum(0), 1, None))
    return term_frequency * idf, vectorizer.get_feature_names_out()


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
        order = np.argsort(-weights[row], kind="stable")
        chosen: list[str] = []
        for index in order:
            if weights[row, index] <= 0 or len(chosen) >= n_keywords:
                break
            term = str(vocabulary[index])
            # A bigram and its own words say the same thing twice.
            if any(term in kept or kept in term for kept in chosen):
                continue
            chosen.append(term)
        result.append(chosen)
    return result


def distinct_texts(ranked: np.ndarray, texts: Sequence[str], limit: int) -> list[int]:
    """The first `limit` of `ranked` (indices into `texts`) whose texts differ, ignoring case."""
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
