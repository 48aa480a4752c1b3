"""Issue mining: clusters, c-TF-IDF keywords, outlier pull-in and stable ids, on real embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from cx_nlp.issues import HDBSCANClusterer, IssueMiner, KnownIssue, make_label, match_issue_ids

LATE = [
    "My parcel arrived {} days late and nobody told me",
    "Delivery was {} days later than promised, courier never showed",
    "Still waiting for my delivery, it is {} days overdue",
    "The courier missed the delivery slot again, {} days of waiting",
    "Order delivered {} days after the promised date",
]
COUPON = [
    "The coupon code WELCOME{} is rejected at checkout",
    "Checkout says my discount code {} is not valid",
    "Promo code {} would not apply to my basket at checkout",
    "Tried the voucher code {} three times, checkout refuses it",
    "Discount code {} from your email does not work at payment step",
]


@pytest.fixture(scope="module")
def corpus(models):
    texts = [t.format(n) for n in range(2, 6) for t in LATE] + [t.format(n * 5) for n in range(2, 6) for t in COUPON]
    gold = [0] * 20 + [1] * 20
    return texts, np.array(gold), models.embedder.encode(texts)


def test_miner_separates_planted_issues_and_labels_them(corpus):
    texts, gold, embeddings = corpus
    miner = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5)).fit(texts, embeddings)
    assert len(miner.clusters_) == 2
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(gold, miner.labels_) > 0.8
    keywords = {w for cluster in miner.clusters_ for w in " ".join(cluster.keywords).split()}
    assert {"code", "delivery"} & keywords == {"code", "delivery"} or {"checkout", "courier"} <= keywords
    for cluster in miner.clusters_:
        assert len(cluster.representatives) == 3
        assert cluster.label == make_label(cluster.keywords)
        assert np.isclose(np.linalg.norm(cluster.centroid), 1.0, atol=1e-5)
    assert miner.outlier_share_ <= 0.2


def test_miner_accepts_no_reducer_and_a_custom_clusterer(corpus):
    texts, gold, embeddings = corpus

    class Halves:
        def fit_predict(self, points):
            return np.array([0] * 20 + [1] * 20)

    miner = IssueMiner(reducer=None, clusterer=Halves()).fit(texts, embeddings)
    assert [len(c.members) for c in miner.clusters_] == [20, 20]
    assert miner.outlier_share_ == 0.0


def test_too_few_documents_yield_no_issue(corpus):
    texts, _, embeddings = corpus
    miner = IssueMiner().fit(texts[:3], embeddings[:3])
    assert miner.clusters_ == [] and miner.outlier_share_ == 1.0


def _unit(vector):
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_match_issue_ids_keeps_ids_and_numbers_new_ones():
    known = [KnownIssue("delivery-0001", "delivery", _unit([1, 0, 0])), KnownIssue("delivery-0002", "delivery", _unit([0, 1, 0]))]
    centroids = [_unit([0.05, 1, 0]), _unit([1, 0.1, 0]), _unit([0, 0, 1])]
    ids = match_issue_ids("delivery", centroids, known, {"delivery-0001", "delivery-0002", "delivery-0007"})
    assert ids == ["delivery-0002", "delivery-0001", "delivery-0008"]


def test_match_issue_ids_one_cluster_per_known_issue():
    known = [KnownIssue("app-0001", "app", _unit([1, 0]))]
    ids = match_issue_ids("app", [_unit([1, 0.01]), _unit([1, 0.02])], known, {"app-0001"})
    assert ids == ["app-0001", "app-0002"]


def test_minimum_cluster_size_grows_with_the_group():
    clusterer = HDBSCANClusterer()
    assert clusterer.sizes(25) == (4, 2)
    assert clusterer.sizes(500) == (11, 5)
    assert clusterer.sizes(5000) == (35, 17)
    assert HDBSCANClusterer(min_cluster_size=7, min_samples=1).sizes(5000) == (7, 1)


def test_documents_join_known_issues_first_and_only_the_rest_is_clustered(corpus):
    texts, gold, embeddings = corpus
    # Yesterday's late-delivery issue: the centre of the first ten late-delivery texts.
    late_centre = embeddings[:10].mean(0)
    late_centre /= np.linalg.norm(late_centre)
    miner = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5)).fit(texts, embeddings, known_centroids=late_centre[None, :])
    continued = [c for c in miner.clusters_ if c.known == 0]
    fresh = [c for c in miner.clusters_ if c.known is None]
    assert len(continued) == 1 and len(fresh) == 1
    joined = set(continued[0].members.tolist())
    assert joined >= set(range(10))  # the documents it was built from rejoin it
    assert sum(gold[list(joined)] == 0) >= 18  # and the other late deliveries with them
    assert {m for m in continued[0].methods} <= {"known", "nearest"}
    assert set(fresh[0].members.tolist()) <= set(range(20, 40))  # the coupon problem is the new issue
