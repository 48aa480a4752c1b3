"""The baselines of `cx-nlp evaluate` on small synthetic inputs: VADER's thresholds, k chosen by silhouette."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from cx_nlp import baselines

LABELS = ("negative", "neutral", "positive")


def _blobs(centres: int, per_centre: int, dimensions: int = 16, spread: float = 0.08, seed: int = 0):
    """Unit vectors around `centres` orthogonal directions, as sentence embeddings of distinct topics are."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(centres), per_centre)
    vectors = np.eye(dimensions)[truth] + rng.normal(scale=spread, size=(len(truth), dimensions))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), truth


def _rows(vectors, issues=None, texts=None, sentiments=None):
    n = len(vectors)
    issues = issues if issues is not None else [""] * n
    texts = texts if texts is not None else [""] * n
    sentiments = sentiments if sentiments is not None else [""] * n
    return [
        (SimpleNamespace(issue=i, text=t, sentiment=s), {"vector": v})
        for v, i, t, s in zip(vectors, issues, texts, sentiments)
    ]


@pytest.mark.parametrize(
    "compound, label",
    [
        (0.05, "positive"),
        (0.9, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (-0.7, "negative"),
    ],
)
def test_vader_label_uses_the_usual_thresholds(compound, label):
    assert baselines.vader_label(compound) == label


def test_vader_scores_plain_sentences_and_skips_rows_without_gold():
    texts = ["I love it, great service!", "This is terrible and I hate it.", "The parcel is in the box.", "Meh"]
    rows = _rows(np.zeros((4, 2)), texts=texts, sentiments=["positive", "negative", "neutral", ""])
    assert baselines.vader_metrics(rows, LABELS) == {"vader_macro_f1": 1.0}
    # One wrong label of three: negative and neutral F1 drop, so macro-F1 lies strictly between.
    swapped = _rows(np.zeros((3, 2)), texts=texts[:3], sentiments=["positive", "neutral", "neutral"])
    assert 0.0 < baselines.vader_metrics(swapped, LABELS)["vader_macro_f1"] < 1.0
    assert baselines.vader_metrics(_rows(np.zeros((2, 2)), texts=texts[:2]), LABELS) == {}


def test_silhouette_finds_the_number_of_blobs():
    vectors, truth = _blobs(centres=5, per_centre=20)
    # k = 2 .. min(40, 100 // 5): the blob count is neither end of the range.
    k, labels = baselines.silhouette_kmeans(vectors, seed=13)
    assert k == 5
    assert normalized_mutual_info_score(truth, labels) == pytest.approx(1.0)


def test_silhouette_is_not_told_k_and_follows_the_data():
    vectors, _ = _blobs(centres=9, per_centre=12, seed=3)
    assert baselines.silhouette_kmeans(vectors, seed=13, max_k=14)[0] == 9
    # Never beyond the cap nor n // 5.
    assert baselines.silhouette_kmeans(vectors, seed=13, max_k=6)[0] == 6
    assert baselines.silhouette_kmeans(vectors[:19], seed=13)[0] <= 3
    assert baselines.silhouette_kmeans(vectors[:9], seed=13) is None


def test_kmeans_silhouette_metrics_score_the_issue_rows_only():
    vectors, truth = _blobs(centres=4, per_centre=12)
    # Gold issues on three blobs; the fourth blob's rows carry no issue label.
    issues = [f"issue {t}" if t < 3 else "" for t in truth]
    rows = _rows(vectors, issues=issues)
    gold = [i for i in issues if i]
    metrics = baselines.kmeans_silhouette_metrics(rows, gold, seed=13)
    assert metrics == {"kmeans_silhouette_nmi": 1.0, "kmeans_silhouette_k": 4}
    assert baselines.kmeans_silhouette_metrics(rows[:9], gold[:9], seed=13) == {}


def test_bertopic_needs_two_topics_worth_of_documents():
    vectors, truth = _blobs(centres=2, per_centre=9)
    rows = _rows(vectors, issues=[str(t) for t in truth], texts=["x"] * len(truth))

    class NoEmbedder:
        def encode(self, texts):
            raise AssertionError("BERTopic must use the stored embeddings")

    assert baselines.bertopic_metrics(rows, [str(t) for t in truth], NoEmbedder(), seed=13) == {}


def test_a_baseline_without_its_package_is_skipped_with_a_warning(monkeypatch, caplog):
    """The baselines' packages come with the `dev` extra: a product install still evaluates."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vaderSentiment" else find_spec(name, *a)
    )
    rows = _rows(np.zeros((1, 2)), texts=["Great!"], sentiments=["positive"])
    assert baselines.vader_metrics(rows, LABELS) == {}
    assert "VADER baseline skipped: vaderSentiment not installed" in caplog.text
