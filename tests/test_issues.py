"""Issue mining: clusters, c-TF-IDF keywords, outlier pull-in and stable ids.

The miner's unit tests run on planted synthetic embeddings (`synthetic.py` sets and documents the cosines
they rely on); the tests marked `models` measure what the real embedding model makes of real text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from synthetic import planted_embeddings

from cx_nlp.issues import (
    HDBSCANClusterer,
    IssueMiner,
    IssueTracker,
    IssueWindow,
    KnownIssue,
    PriorIssue,
    make_label,
    match_issue_ids,
)

ROOT = Path(__file__).resolve().parent.parent

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


TEXTS = [t.format(n) for n in range(2, 6) for t in LATE] + [t.format(n * 5) for n in range(2, 6) for t in COUPON]
GOLD = np.array([0] * 20 + [1] * 20)  # the problem: late delivery, coupon code
TEMPLATE = np.arange(40) % 5  # which of its problem's five templates a text is written from
# The coupon texts are worded two ways: "coupon/discount code" (templates 0-1) and the rest (2-4).
COUPON_WORDING = {(1, template): 0 if template < 2 else 1 for template in range(5)}


@pytest.fixture(scope="module")
def corpus():
    """The texts, their problem and planted embeddings (geometry in `synthetic.py`), no model."""
    return list(TEXTS), GOLD.copy(), planted_embeddings(GOLD, TEMPLATE, COUPON_WORDING, seed=0)


def _cohesion(vectors):
    """Mean cosine to the group's own centre, as `IssueMiner` measures whether a group hangs together."""
    return float((vectors @ _centre(vectors)).mean())


def test_the_synthetic_corpus_has_the_planted_geometry(corpus):
    """The cosines the tests below rely on, each against the bar of the miner it must clear or miss."""
    _, gold, embeddings = corpus
    assert embeddings.shape == (40, 384) and embeddings.dtype == np.float32
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(embeddings, planted_embeddings(GOLD, TEMPLATE, COUPON_WORDING, seed=0))  # deterministic
    late, coupon = embeddings[gold == 0], embeddings[gold == 1]
    # Each problem alone hangs together (min_cohesion 0.75 in the recluster test), both together do not.
    assert _cohesion(late) == pytest.approx(0.86, abs=0.01) and _cohesion(coupon) == pytest.approx(0.85, abs=0.01)
    assert _cohesion(embeddings) == pytest.approx(0.69, abs=0.01)
    assert _cohesion(embeddings[:39]) < 0.75
    # The problems are far apart: below the 0.6 split bar, and no document within the 0.5 known-issue
    # and pull-in bars of the other problem's centre.
    assert _centre(late) @ _centre(coupon) == pytest.approx(0.31, abs=0.02)
    assert max((late @ _centre(coupon)).max(), (coupon @ _centre(late)).max()) < 0.35
    # The coupon problem told two ways: both wordings hang together, their centres are above the 0.8
    # bar for merging two known issues, and every text is nearer its own wording's centre.
    wording = ByTemplate().fit_predict(coupon)
    centres = np.array([_centre(coupon[wording == w]) for w in (0, 1)])
    assert [round(_cohesion(coupon[wording == w]), 2) for w in (0, 1)] == [0.90, 0.88]
    assert centres[0] @ centres[1] == pytest.approx(0.83, abs=0.01)
    assert ((coupon @ centres.T).argmax(1) == wording).all()
    # Pairs of texts: one template's are close, then one problem's; no template (4 texts) is an issue alone.
    similarity = embeddings @ embeddings.T
    pair = ~np.eye(40, dtype=bool)
    same_template = (gold[:, None] == gold) & (TEMPLATE[:, None] == TEMPLATE) & pair
    same_problem = (gold[:, None] == gold) & (TEMPLATE[:, None] != TEMPLATE)
    assert similarity[same_template].mean() == pytest.approx(0.90, abs=0.01)
    assert similarity[same_problem].mean() == pytest.approx(0.69, abs=0.01)
    assert similarity[gold[:, None] != gold].max() < 0.3


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
    texts, _gold, embeddings = corpus

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
    known = [
        KnownIssue("delivery-0001", "delivery", _unit([1, 0, 0])),
        KnownIssue("delivery-0002", "delivery", _unit([0, 1, 0])),
    ]
    centroids = [_unit([0.05, 1, 0]), _unit([1, 0.1, 0]), _unit([0, 0, 1])]
    ids = match_issue_ids("delivery", centroids, known, {"delivery-0001", "delivery-0002", "delivery-0007"})
    assert ids == ["delivery-0002", "delivery-0001", "delivery-0008"]


def test_match_issue_ids_one_cluster_per_known_issue():
    known = [KnownIssue("app-0001", "app", _unit([1, 0]))]
    ids = match_issue_ids("app", [_unit([1, 0.01]), _unit([1, 0.02])], known, {"app-0001"})
    assert ids == ["app-0001", "app-0002"]


def test_minimum_cluster_size_grows_with_the_group_up_to_a_cap():
    clusterer = HDBSCANClusterer()
    assert clusterer.sizes(25) == (4, 2)
    assert clusterer.sizes(300) == (9, 4)
    # Up to 10: a recurring problem of 10 documents is an issue however large its group.
    assert clusterer.sizes(500) == clusterer.sizes(5000) == (10, 5)
    assert HDBSCANClusterer(min_cluster_size=7, min_samples=1).sizes(5000) == (7, 1)


def test_documents_join_known_issues_first_and_only_the_rest_is_clustered(corpus):
    texts, gold, embeddings = corpus
    # Yesterday's late-delivery issue: the centre of the first ten late-delivery texts.
    late_centre = embeddings[:10].mean(0)
    late_centre /= np.linalg.norm(late_centre)
    # The coupon problem's two wordings (centres 0.83 alike) are one new issue under a merge bar of 0.8.
    miner = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), merge_similarity=0.8).fit(
        texts, embeddings, known_centroids=late_centre[None, :]
    )
    continued = [c for c in miner.clusters_ if c.known == 0]
    fresh = [c for c in miner.clusters_ if c.known is None]
    assert len(continued) == 1 and len(fresh) == 1
    joined = set(continued[0].members.tolist())
    assert joined >= set(range(10))  # the documents it was built from rejoin it
    assert sum(gold[list(joined)] == 0) >= 18  # and the other late deliveries with them
    assert {m for m in continued[0].methods} <= {"known", "nearest"}
    assert set(fresh[0].members.tolist()) <= set(range(20, 40))  # the coupon problem is the new issue


class ByTemplate:
    """Splits the coupon texts by wording: templates 0-1 ("coupon/discount code") against 2-4."""

    def fit_predict(self, points):
        return np.array([0 if i % 5 < 2 else 1 for i in range(len(points))])


def _centre(vectors):
    centre = np.asarray(vectors).mean(0)
    return centre / np.linalg.norm(centre)


def test_one_problem_told_two_ways_merges_under_a_bar_below_its_wordings_cosine(corpus):
    texts, _, embeddings = corpus
    coupon_texts, coupon = texts[20:], embeddings[20:]
    split = IssueMiner(reducer=None, clusterer=ByTemplate(), merge_similarity=None).fit(coupon_texts, coupon)
    assert sorted(len(c.members) for c in split.clusters_) == [8, 12]
    # The wordings' centres are 0.83 alike: a bar below that merges them...
    merged = IssueMiner(reducer=None, clusterer=ByTemplate(), merge_similarity=0.8).fit(coupon_texts, coupon)
    assert [len(c.members) for c in merged.clusters_] == [20]
    # ...the default (0.85) keeps them apart, as it keeps neighbouring support intents apart.
    default = IssueMiner(reducer=None, clusterer=ByTemplate()).fit(coupon_texts, coupon)
    assert sorted(len(c.members) for c in default.clusters_) == [8, 12]
    # Close in meaning is not enough: without shared distinctive words the two stay apart.
    strict = IssueMiner(reducer=None, clusterer=ByTemplate(), merge_similarity=0.8, merge_term_similarity=0.99).fit(
        coupon_texts, coupon
    )
    assert len(strict.clusters_) == 2


def test_known_issues_that_are_one_problem_merge_into_the_larger(corpus):
    texts, _, embeddings = corpus
    coupon_texts, coupon = texts[20:], embeddings[20:]
    wording = ByTemplate().fit_predict(coupon)
    known = np.array([_centre(coupon[wording == 0]), _centre(coupon[wording == 1])])
    # The wordings' centres are 0.83 alike: above known-issue and same-night merge bars of 0.80, they merge
    # (a known-issue bar is never below the same-night one).
    miner = IssueMiner(reducer=None, clusterer=ByTemplate(), merge_similarity=0.8, known_merge_similarity=0.8).fit(
        coupon_texts, coupon, known_centroids=known
    )
    assert [(c.known, c.absorbed, len(c.members)) for c in miner.clusters_] == [(1, [0], 20)]
    # Below the default bar (0.90), two issues that a night found and kept apart stay apart.
    kept = IssueMiner(reducer=None, clusterer=ByTemplate()).fit(coupon_texts, coupon, known_centroids=known)
    assert [(c.known, c.absorbed, len(c.members)) for c in kept.clusters_] == [(0, [], 8), (1, [], 12)]


def test_a_known_issue_now_holding_two_problems_splits(corpus):
    texts, gold, embeddings = corpus
    # Yesterday's issue was a blur of late deliveries and coupon complaints; every document joins it.
    blur = _centre(embeddings)[None, :]
    miner = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), known_threshold=0.0).fit(
        texts, embeddings, known_centroids=blur
    )
    kept = [c for c in miner.clusters_ if c.known == 0]
    broke_away = [c for c in miner.clusters_ if c.split_from == 0]
    assert len(kept) == 1 and len(broke_away) == 1 and broke_away[0].known is None
    for cluster in (kept[0], broke_away[0]):
        assert len(set(gold[cluster.members].tolist())) == 1  # each part is one problem
    no_split = IssueMiner(
        clusterer=HDBSCANClusterer(min_cluster_size=5), known_threshold=0.0, split_similarity=None
    ).fit(texts, embeddings, known_centroids=blur)
    assert [len(c.members) for c in no_split.clusters_] == [40]


def test_a_sliver_smaller_than_an_issue_does_not_split_off(corpus):
    texts, _, embeddings = corpus
    # Twenty late deliveries and five coupon complaints joined yesterday's issue: the five are a
    # distinct part, but too few to be an issue of their own (min_documents 8), so they keep their id.
    chosen = list(range(20)) + list(range(20, 25))
    few_texts, few = [texts[i] for i in chosen], embeddings[chosen]
    blur = _centre(few)[None, :]

    def mine(min_documents):
        return IssueMiner(
            clusterer=HDBSCANClusterer(min_cluster_size=5), known_threshold=0.0, min_documents=min_documents
        ).fit(few_texts, few, known_centroids=blur)

    assert [(c.known, len(c.members)) for c in mine(8).clusters_] == [(0, 25)]
    # The same five do break away where issues of five count.
    assert sorted((c.split_from, len(c.members)) for c in mine(5).clusters_ if c.known is None) == [(0, 5)]


class OneBigClusterFirst:
    """Lumps the first set it is given into one cluster (one point left as noise), as HDBSCAN's excess
    of mass can prefer one big parent to its children; clusters any later set for real."""

    def __init__(self):
        self.real = HDBSCANClusterer(min_cluster_size=5)
        self.calls = 0

    def fit_predict(self, points):
        self.calls += 1
        if self.calls > 1:
            return self.real.fit_predict(points)
        labels = np.zeros(len(points), dtype=int)
        labels[-1] = -1
        return labels


def test_a_loose_cluster_is_clustered_again_before_it_becomes_outliers(corpus, monkeypatch):
    import cx_nlp.issues.miner as miner_module

    texts, gold, embeddings = corpus
    # Each problem alone hangs together at about 0.85 mean cosine to its centre, the two together at 0.69.
    strict = {"min_cohesion": 0.75, "merge_similarity": None}
    miner = IssueMiner(clusterer=OneBigClusterFirst(), **strict).fit(texts, embeddings)
    assert len(miner.clusters_) == 2
    for cluster in miner.clusters_:
        assert len(set(gold[cluster.members].tolist())) == 1  # each is one of the two problems
    # Not clustered again: late deliveries and coupon codes together do not hang together, all outliers.
    monkeypatch.setattr(miner_module, "RECLUSTER_DEPTH", 0)
    assert IssueMiner(clusterer=OneBigClusterFirst(), **strict).fit(texts, embeddings).clusters_ == []


@pytest.mark.models
def test_re_mining_the_same_documents_keeps_them_in_their_issues(models):
    """A night that adds nothing must not move documents: every member of an issue is close enough to
    its centre to rejoin it, including those HDBSCAN put in a loose cluster or the outlier pull-in took."""
    import csv

    with open(ROOT / "data" / "eval" / "cx_eval.csv", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle) if row["issue"]]
    embeddings = models.embedder.encode(texts)
    first = IssueMiner().fit(texts, embeddings)
    assert len(first.clusters_) >= 5
    again = IssueMiner().fit(texts, embeddings, known_centroids=np.array([c.centroid for c in first.clusters_]))
    before, after = np.full(len(texts), -1), np.full(len(texts), -1)
    for index, cluster in enumerate(first.clusters_):
        before[cluster.members] = index
    for cluster in again.clusters_:
        if cluster.known is not None:
            after[cluster.members] = cluster.known
    member = before >= 0
    assert (after[member] == before[member]).mean() >= 0.97


FRENCH_DELIVERY = [
    "Mon colis est arrivé avec {} jours de retard et personne ne m'a prévenu",
    "La livraison a eu {} jours de retard, le livreur n'est jamais venu",
    "J'attends toujours ma commande, elle a {} jours de retard",
    "Le transporteur a encore manqué le créneau, {} jours d'attente",
]


@pytest.mark.models
def test_other_languages_are_mined_in_their_own_group_unless_the_model_is_multilingual(models):
    from datetime import date

    from cx_nlp.records import UNSCORED, WindowDocument

    # What an English-only model makes of French next to English: both embedded by the real model.
    texts = TEXTS
    embeddings = models.embedder.encode(texts[:20])
    french = [t.format(n) for n in range(2, 7) for t in FRENCH_DELIVERY]
    french_vectors = models.embedder.encode([*french, "Service impeccable, livraison rapide, je recommande vivement !"])

    def doc(i, text, vector, label, language, rating=None):
        return WindowDocument(
            f"f{i}",
            text,
            f"h{i}",
            date(2026, 11, 10),
            rating,
            "review",
            label,
            -0.5,
            "delivery",
            vector,
            None,
            language,
        )

    documents = [doc(i, t, v, "negative", "en") for i, (t, v) in enumerate(zip(texts[:20], embeddings[:20]))]
    documents += [doc(100 + i, t, v, UNSCORED, "fr") for i, (t, v) in enumerate(zip(french, french_vectors))]
    # Unscored, but five stars: praise, never part of an issue.
    documents.append(doc(999, "Service impeccable", french_vectors[-1], UNSCORED, "fr", rating=5.0))
    start, end = date(2026, 10, 19), date(2026, 11, 16)

    keywords = {}

    def members_by_language(embedding_languages):
        window = IssueTracker(embedding_languages=embedding_languages).track(
            IssueWindow(documents, [], start, end, "run")
        )
        keywords.update({mined.issue.language: mined.issue.keywords for mined in window.issues})
        return {
            mined.issue.issue_id: (mined.issue.language, {m.feedback_id for m in mined.members})
            for mined in window.issues
        }

    grouped = members_by_language(["en"])
    french_ids = {f"f{100 + i}" for i in range(len(french))}
    assert {language for language, _ in grouped.values()} == {"en", "fr"}
    for language, members in grouped.values():
        assert (members <= french_ids) == (language == "fr")  # no issue mixes the groups
        assert "f999" not in members
    assert sum(len(m) for lang, m in grouped.values() if lang == "fr") >= 15
    # The French issue is told by French content words, accents intact, not by "les" or "est".
    french_words = {word for keyword in keywords["fr"] for word in keyword.split()}
    assert {"retard", "jours"} & french_words
    assert not {"est", "les", "elle", "personne", "toujours", "encore", "jamais"} & french_words
    assert all(word.isalpha() for word in french_words)
    together = members_by_language([])
    assert {language for language, _ in together.values()} == {"multi"}


def test_an_analyst_merge_carries_feedback_into_an_issue_that_found_none_of_its_own_tonight():
    from datetime import date

    from cx_nlp.records import WindowDocument

    waits = [
        f"Waited {n} minutes for my {dish}, it arrived stone cold"
        for n, dish in zip(range(50, 150, 10), ["pizza", "curry", "noodles", "burger", "sushi"] * 2)
    ]
    # The waits are one problem (a template per dish); the delivery issue's centre is another problem's
    # text, as far from them as the two problems of the planted corpus (`synthetic.py`).
    planted = planted_embeddings([0] * len(waits) + [1], [i % 5 for i in range(len(waits))] + [0], seed=1)
    vectors, courier = planted[:-1], planted[-1]
    documents = [
        WindowDocument(f"f{i}", t, f"h{i}", date(2026, 11, 10), None, "review", "negative", -0.6, "food", v, None, "en")
        for i, (t, v) in enumerate(zip(waits, vectors))
    ]
    centre = vectors.mean(axis=0)
    start, end = date(2026, 10, 19), date(2026, 11, 16)
    prior = [
        PriorIssue(
            "food-0001",
            "food",
            "en",
            "waited / minutes / cold",
            centre / np.linalg.norm(centre),
            10,
            "active",
            date(2026, 11, 1),
            date(2026, 11, 15),
        ),
        PriorIssue(
            "delivery-0001",
            "delivery",
            "en",
            "courier / late",
            courier,
            12,
            "active",
            date(2026, 10, 20),
            date(2026, 11, 15),
        ),
    ]

    def night(prior_issues):
        window = IssueWindow(documents, prior_issues, start, end, "run", aliases={"food-0001": "delivery-0001"})
        return IssueTracker(embedding_languages=["en"]).track(window)

    first = night(prior)
    [mined] = first.issues
    issue = mined.issue
    # Delivery found nothing of its own: it carries the food issue's feedback under its own id,
    # touchpoint, label and first day.
    assert issue.issue_id == "delivery-0001" and issue.touchpoint == "delivery"
    assert issue.label == "courier / late" and issue.first_seen == date(2026, 10, 20)
    assert issue.figures.volume == len(mined.members) >= 8
    assert {m.issue_id for m in mined.members} == {"delivery-0001"}
    assert sum(day.volume for day in mined.daily) == issue.figures.volume
    assert first.merged == {"food-0001": "delivery-0001"} and "delivery-0001" not in first.silent
    assert [(e.issue_id, e.event, e.related_issue_id) for e in first.lineage] == [
        ("food-0001", "merged_into", "delivery-0001")
    ]
    # The next night the absorbed issue is `merged`: its centre still draws the feedback, and the
    # merge is not recorded twice.
    second = night([replace(prior[0], status="merged"), prior[1]])
    assert [m.issue.issue_id for m in second.issues] == ["delivery-0001"] and second.lineage == []
    assert second.issues[0].issue.figures.volume == issue.figures.volume


def test_a_known_issue_merged_tonight_keeps_its_id_out_of_new_clusters():
    """Known issue 1 is folded into known issue 0 tonight, and a new cluster sits on issue 1's old centre:
    the new cluster gets a fresh id, so the merged id is written once (as merged), never also as live."""
    from datetime import date

    from cx_nlp.issues.records import Cluster
    from cx_nlp.records import WindowDocument

    axes = np.eye(4, dtype=np.float32)
    documents = [
        WindowDocument(f"f{i}", f"text {i}", f"h{i}", date(2026, 11, 10), None, "review", "negative", -0.6,
                       "billing", axes[0] if i < 5 else axes[1], None, "en")
        for i in range(10)
    ]  # fmt: skip
    prior = [
        PriorIssue(f"billing-000{n + 1}", "billing", "en", "label", axes[n], 5, "active", date(2026, 11, 1), date(2026, 11, 15))
        for n in (0, 1)
    ]  # fmt: skip

    class MergedAndRevived:
        """The miner's outcome on such a night: known 0 continued with known 1 absorbed; units 5-9 new."""

        def __init__(self, **options):
            pass

        def half_rows(self, count):
            return False

        def fit(self, texts, embeddings, known_centroids=None, previous=None, new=None):
            def cluster(members, centroid, known, absorbed):
                members = np.array(members)
                return Cluster(members, np.ones(len(members)), ["cluster"] * len(members), centroid, ["w"], "w",
                               [int(members[0])], known, absorbed)  # fmt: skip

            # Known centre 1 is axes[1], exactly the new cluster's centre: it would match it.
            self.clusters_ = [cluster(range(5), axes[0], 0, [1]), cluster(range(5, 10), axes[1], None, [])]
            return self

    start, end = date(2026, 10, 19), date(2026, 11, 16)
    mined = IssueTracker(miner_factory=MergedAndRevived, embedding_languages=["en"]).track(
        IssueWindow(documents, prior, start, end, "run")
    )
    live = [m.issue.issue_id for m in mined.issues]
    assert mined.merged == {"billing-0002": "billing-0001"}
    assert "billing-0001" in live and len(live) == len(set(live)) == 2
    assert "billing-0002" not in live
