"""Issue keywords read what customers say, not whom they address or link to."""

from __future__ import annotations

import hashlib

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


def _units_left_in_the_warehouse(texts):
    """Mining units whose texts the window did not read, and a reader that counts its calls."""
    from cx_nlp.issues.units import MiningUnit
    from cx_nlp.records import TEXT_NOT_READ, WindowDocument, WindowSegment

    def document(n):
        content_hash = hashlib.sha256(texts[n].encode()).digest()  # one text, one hash: segment or whole
        segment = WindowSegment(0, TEXT_NOT_READ, content_hash, "negative", -0.8, "delivery", None)
        return WindowDocument(
            f"f{n}",
            TEXT_NOT_READ,
            content_hash,
            None,
            None,
            "review",
            "negative",
            -0.8,
            "delivery",
            None,
            segments=(segment,),
        )

    units = [MiningUnit(d, 0) if n % 2 else MiningUnit(d) for n, d in enumerate(map(document, range(len(texts))))]
    stored = {u.key: text for u, text in zip(units, texts)}
    calls = []

    def read(keys):
        calls.append(list(keys))
        return [stored[key] for key in keys]

    return units, read, calls


def test_keywords_and_verbatims_read_texts_left_in_the_warehouse_a_few_classes_at_a_time(monkeypatch):
    """The pipeline's window holds no unit text: keywords read the classes' texts a few classes at a time
    and the tokenizer takes them class by class, verbatims a few ranked texts at a time, with the same
    results as texts held."""
    import cx_nlp.issues.keywords as keywords
    from cx_nlp.issues.units import UnitTexts

    texts = ["late parcel again", "parcel never came", "Late parcel again", "refund still missing"]
    texts += ["refund not paid", "refund not paid!", "fridge door broke", "noise from fridge", "door"]
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1])
    units, read, calls = _units_left_in_the_warehouse(texts)
    lazy = UnitTexts(units, read)
    assert len(lazy) == len(texts) and lazy[3] == texts[3] and lazy[1:3] == texts[1:3] and lazy[-1] == texts[-1]
    with np.testing.assert_raises(IndexError):
        lazy[len(texts)]
    monkeypatch.setattr(keywords, "UNCLUSTERED_PIECE", 2)
    held, held_words = class_term_counts(texts, labels, [0, 1])
    for classes_read, reads in ((keywords.CLASS_TEXTS_READ, [6, 2, 1]), (4, [3, 3, 2, 1])):
        calls.clear()
        monkeypatch.setattr(keywords, "CLASS_TEXTS_READ", classes_read)
        counted, counted_words = class_term_counts(lazy, labels, [0, 1])
        assert counted_words.tolist() == held_words.tolist() and (counted != held).nnz == 0
        # Classes read together up to CLASS_TEXTS_READ members, the unclustered by pieces.
        assert [len(c) for c in calls] == reads
    assert cluster_keywords(lazy, labels, [0, 1], 3) == cluster_keywords(texts, labels, [0, 1], 3)
    calls.clear()
    rankings = [np.array([0, 2, 1, 5, 4, 3]), np.array([3, 4]), np.array([2, 0, 7]), np.array([], dtype=int)]
    chosen = keywords.distinct_texts(rankings, lazy, 2)
    assert chosen == keywords.distinct_texts(rankings, texts, 2) == [[0, 1], [3, 4], [2, 7], []]
    # Every ranking's first two in one read; then up to four more of those whose first two were one
    # text told twice ("late parcel again", "Late parcel again").
    assert [len(c) for c in calls] == [6, 5]
    assert keywords.distinct_texts(rankings, texts, 9) == [[0, 1, 5, 4, 3], [3, 4], [2, 7], []]
    with np.testing.assert_raises_regex(ValueError, "unit texts unread"):
        UnitTexts(units, None).take([1])


def test_verbatims_pass_over_a_text_told_again_unread():
    """Identical texts share a vector, so they rank together: an issue whose closest members are one text
    told a thousand times reads it once (its content hash says so), with the verbatims of texts held."""
    from cx_nlp.issues import keywords
    from cx_nlp.issues.units import UnitTexts

    texts = ["Where is my parcel?"] * 1000 + ["WHERE is my parcel?", "refund missing", "Where is my parcel?"]
    texts += ["refund missing"] * 500 + ["app crashes"]
    units, read, calls = _units_left_in_the_warehouse(texts)
    lazy = UnitTexts(units, read)
    rankings = [np.arange(1003), np.arange(1003, len(texts))[::-1], np.arange(1000, 1503)]
    # Case apart, a text is told once: "WHERE is my parcel?" is no second verbatim beside index 0's.
    expected = [[0, 1001], [1503, 1502], [1000, 1001]]
    assert keywords.distinct_texts(rankings, texts, 3) == keywords.distinct_texts(rankings, lazy, 3) == expected
    # Read: the first of each content hash in each ranking (3, 2 and 3 texts), never the thousand copies.
    assert sum(len(c) for c in calls) == 8
    calls.clear()
    assert keywords.distinct_texts(rankings, lazy, 2) == expected == keywords.distinct_texts(rankings, texts, 2)
    assert sum(len(c) for c in calls) == 7  # index 1002 is never reached in the third ranking
