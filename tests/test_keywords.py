"""Issue keywords read what customers say, not whom they address or link to."""

from __future__ import annotations

import numpy as np

from cx_nlp.issues.keywords import class_term_counts, cluster_keywords, term_idf, term_weights


def test_keywords_skip_handles_and_links():
    texts = [
        "@SkyJet my bag never arrived http://t.co/abcd",
        "@SkyJet @HelpDesk bag lost again https://t.co/wxyz",
        "@SkyJet lost bag at the carousel www.skyjet.example",
        "seat was broken @SkyJet",
        "broken seat and no recline",
        "the seat tray was broken",
    ]
    _, vocabulary = class_term_counts(texts, np.array([0, 0, 0, 1, 1, 1]), [0, 1])
    words = {term for phrase in vocabulary for term in phrase.split()}
    assert {"bag", "lost", "seat", "broken"} <= words
    assert not words & {"skyjet", "helpdesk", "http", "https", "abcd", "wxyz", "www", "example"}


def test_the_unclustered_are_counted_piece_by_piece_with_the_same_word_counts(monkeypatch):
    """A cold window leaves hundreds of thousands unclustered before they are pulled in; joined into one
    string they made the tokenizer hold every word at once. Counted a piece at a time and added up, the
    unclustered row's word counts are those of one piece, and the clusters' rows are untouched."""
    import cx_nlp.issues.keywords as keywords

    texts = ["late parcel again", "parcel never came", "refund still missing", "refund not paid"]
    texts += [f"strange noise number {n} from fridge door" for n in range(7)] + ["fridge door broke", "noise"]
    labels = np.array([0, 0, 1, 1] + [-1] * 9)
    whole, whole_words = class_term_counts(texts, labels, [0, 1], ngrams=(1, 1))
    monkeypatch.setattr(keywords, "UNCLUSTERED_PIECE", 2)
    pieces, piece_words = class_term_counts(texts, labels, [0, 1], ngrams=(1, 1))
    assert piece_words.tolist() == whole_words.tolist()
    assert pieces.shape == whole.shape == (3, len(whole_words))
    assert (pieces != whole).nnz == 0
    assert pieces[2, whole_words.tolist().index("fridge")] == 8


def test_c_tf_idf_stays_sparse_with_the_dense_formula_s_weights():
    """Issues times vocabulary dense grows with both (gigabytes for a large window's thousands of
    issues); the sparse weights are the dense formula's to the last bit, so keyword ties fall the same."""
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.3, size=(40, 300)).astype(float)
    counts[5] = 0  # a class without words
    weights = term_weights(counts)
    dense = counts / np.clip(counts.sum(1, keepdims=True), 1, None) * term_idf(counts.sum(0), len(counts))
    assert weights.format == "csr" and weights.nnz == np.count_nonzero(counts)
    assert np.array_equal(weights.toarray(), dense)
    idf = rng.random(300)
    rows = counts[[2, 7]]
    assert np.array_equal(term_weights(rows, idf).toarray(), rows / rows.sum(1, keepdims=True) * idf)


def test_keywords_rank_by_weight_then_vocabulary_order():
    texts = ["late parcel late parcel", "late parcel courier", "refund missing refund", "refund missing money"]
    keywords = cluster_keywords(texts, np.array([0, 0, 1, 1]), [0, 1], n_keywords=2)
    # "late", "late parcel" and "parcel" weigh the same: the vocabulary's order decides, and the bigram
    # is left out beside its own word.
    assert keywords == [["late", "parcel"], ["refund", "missing"]]
