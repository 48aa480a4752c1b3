"""A night's mining follows what is new since the last mined window: the leftovers it clusters, the
known issues it checks for a split, and what the tracker tells the miner is new.

Planted synthetic embeddings of the late-delivery and coupon corpus of test_issues.py (`synthetic.py`)."""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import pytest
from synthetic import TEMPLATES_MERGE_SIMILARITY, planted_embeddings
from test_issues import COUPON_WORDING, GOLD, TEMPLATE, TEXTS, ByTemplate, _centre

from cx_nlp.issues import HDBSCANClusterer, IssueMiner, IssueTracker, IssueWindow
from cx_nlp.issues.clustering import PCAReducer
from cx_nlp.records import WindowDocument


@pytest.fixture(scope="module")
def corpus():
    return list(TEXTS), GOLD.copy(), planted_embeddings(GOLD, TEMPLATE, COUPON_WORDING, seed=0)


def test_a_night_clusters_its_new_leftovers_with_their_nearest_earlier_ones_only(corpus):
    """Above `full_residual_limit` leftovers, a night clusters what is new and the earlier leftovers
    next to it; earlier leftovers nowhere near anything new are not clustered again."""
    texts, _, embeddings = corpus
    new = np.zeros(40, dtype=bool)
    new[30:] = True  # ten coupon complaints arrived tonight; the late deliveries and ten coupons are earlier

    def mine(limit):
        return IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), full_residual_limit=limit).fit(
            texts, embeddings, new=new
        )

    bounded = mine(limit=5)
    assert bounded.residual_size_ == 20  # the ten new ones and the ten earlier coupons beside them
    assert {int(i) for c in bounded.clusters_ for i in c.members} == set(range(20, 40))
    assert (bounded.labels_[:20] == -1).all()  # nothing new near the late deliveries: not clustered tonight
    whole = mine(limit=40)
    assert whole.residual_size_ == 40 and len(whole.clusters_) == 2


def test_only_known_issues_that_gained_an_issue_worth_of_new_documents_are_checked_for_a_split(corpus):
    texts, _, embeddings = corpus
    blur = _centre(embeddings)[None, :]  # yesterday's issue held both problems, as in the split test above

    def mine(new_documents):
        new = np.zeros(40, dtype=bool)
        new[40 - new_documents :] = True
        return IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), known_threshold=0.0).fit(
            texts, embeddings, known_centroids=blur, new=new
        )

    # Fewer new documents than an issue needs (min_documents 8): the issue is what the night that
    # checked it left, and stays whole.
    assert [(c.known, len(c.members)) for c in mine(7).clusters_] == [(0, 40)]
    assert sorted(c.split_from for c in mine(8).clusters_ if c.known is None) == [0]


def test_a_large_issue_is_checked_for_a_split_on_its_new_documents_and_a_sample_of_the_rest(corpus, monkeypatch):
    import cx_nlp.issues.miner as miner_module

    texts, gold, embeddings = corpus
    chosen = list(range(20)) + list(range(30, 40))  # yesterday's 20 late deliveries, tonight's 10 coupon complaints
    texts, gold, embeddings = [texts[i] for i in chosen], gold[chosen], embeddings[chosen]
    blur = _centre(embeddings)[None, :]
    new = np.arange(30) >= 20
    monkeypatch.setattr(miner_module, "SPLIT_EARLIER", 12)
    seen = []

    class Recording(HDBSCANClusterer):
        def fit_predict(self, points):
            seen.append(len(points))
            return super().fit_predict(points)

    miner = IssueMiner(clusterer=Recording(min_cluster_size=5), known_threshold=0.0).fit(
        texts, embeddings, known_centroids=blur, new=new
    )
    assert seen[0] == 22  # the ten new documents and twelve of the twenty earlier ones
    broke_away = [c for c in miner.clusters_ if c.split_from == 0]
    assert len(broke_away) == 1 and set(broke_away[0].members.tolist()) == set(range(20, 30))


def test_the_tracker_tells_the_miner_which_feedback_is_new_since_the_last_mined_window():
    """Feedback created from the end of the latest mined window on is new; before it, it was mined then."""
    axes = np.eye(4, dtype=np.float32)
    days = [date(2026, 11, 14), date(2026, 11, 15), date(2026, 11, 15), date(2026, 11, 16)]
    documents = [
        WindowDocument(f"f{i}", f"text {i}", f"h{i}", day, None, "review", "negative", -0.6, "billing", axes[i], None, "en")
        for i, day in enumerate(days)
    ]  # fmt: skip
    seen = []

    class Recording(IssueMiner):
        def fit(self, texts, embeddings, known_centroids=None, previous=None, new=None):
            seen.append(None if new is None else new.tolist())
            return super().fit(texts, embeddings, known_centroids, previous, new)

    start, end = date(2026, 10, 20), date(2026, 11, 17)
    for mined_through in (None, date(2026, 11, 15)):
        window = IssueWindow(documents, [], start, end, "run", mined_through=mined_through)
        IssueTracker(miner_factory=Recording, embedding_languages=["en"]).track(window)
    assert seen == [None, [False, True, True, True]]


def test_a_member_far_from_its_issue_centre_stays_in_it_the_next_night(corpus):
    """A density cluster holds members further from its centre than a new document may join from
    (`known_threshold`); such a member keeps its issue while it is `stay_threshold` close, and leaves
    below that."""
    texts, _, embeddings = corpus
    late = _centre(embeddings[:20])
    aside = np.linalg.qr(np.stack([late, embeddings[20]], axis=1))[0][:, 1]  # unit vector orthogonal to late

    def night(cosine, **options):
        member = cosine * late + np.sqrt(1 - cosine**2) * aside  # cosine to the late-delivery centre
        previous = np.array([-1] * 20 + [0])
        miner = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), **options).fit(
            [*texts[:20], texts[20]], np.vstack([embeddings[:20], member]), late[None, :], previous=previous
        )
        return int(miner.labels_[20])

    assert night(0.4) == 0  # a member at 0.4: it stays
    assert night(0.4, stay_threshold=0.5) == -1  # held to the joining bar it would leave
    assert night(0.2) == -1  # too far from what the issue is about


def test_a_split_is_looked_for_with_pca_whatever_reduces_the_group(corpus):
    """UMAP over each issue a night's documents joined cost most of a night (bench_miner --reducer umap),
    so the split check reduces with PCA; the group's own reducer still clusters the leftovers."""
    texts, _, embeddings = corpus

    class CountingReducer:
        def __init__(self):
            self.calls = 0

        def fit_transform(self, points):
            self.calls += 1
            return PCAReducer().fit_transform(points)

    blur = _centre(embeddings)[None, :]
    reducer = CountingReducer()
    miner = IssueMiner(reducer=reducer, clusterer=HDBSCANClusterer(min_cluster_size=5), known_threshold=0.0).fit(
        texts, embeddings, known_centroids=blur
    )
    # The blurred known issue still splits into its two problems, without the group's reducer.
    assert [c.split_from for c in miner.clusters_].count(0) == 1 and reducer.calls == 0
    leftovers = IssueMiner(reducer=reducer, clusterer=HDBSCANClusterer(min_cluster_size=5)).fit(texts, embeddings)
    assert reducer.calls >= 1 and len(leftovers.clusters_) >= 2


def test_a_residual_above_the_cluster_limit_is_clustered_as_a_sample_and_the_rest_join_by_nearest_centre(caplog):
    """A cold window larger than `cluster_limit` units: the reducer and clusterer see a seeded sample of
    that size, every planted problem still becomes one issue, and the units left out of the sample join
    their problem's issue by nearest centre; the same window gives the same sample."""
    problems = np.repeat(np.arange(4), 100)
    embeddings = planted_embeddings(problems, np.arange(400) % 5, seed=3)
    texts = [f"problem {p} report {i}" for i, p in enumerate(problems)]
    seen = []

    class Recording(HDBSCANClusterer):
        def fit_predict(self, points):
            seen.append(len(points))
            return super().fit_predict(points)

    def mine(limit):
        seen.clear()
        return IssueMiner(
            clusterer=Recording(min_cluster_size=5), cluster_limit=limit, merge_similarity=TEMPLATES_MERGE_SIMILARITY
        ).fit(texts, embeddings)

    with caplog.at_level(logging.INFO, logger="cx_nlp.issues.miner"):
        sampled = mine(120)
    assert (sampled.residual_size_, sampled.clustered_size_) == (400, 120)
    assert "400 leftover units: clustering a sample of 120" in caplog.text  # a run's log says so
    assert max(seen) == 120
    assert len(sampled.clusters_) == 4
    for cluster in sampled.clusters_:
        assert len(set(problems[cluster.members].tolist())) == 1  # one planted problem per issue
    assert (sampled.labels_ >= 0).mean() >= 0.95  # left out of the sample is not left out of the issues
    assert "nearest" in {m for c in sampled.clusters_ for m in c.methods}
    assert mine(120).labels_.tolist() == sampled.labels_.tolist()

    whole = mine(None)
    assert whole.clustered_size_ == 400 and max(seen) == 400


def test_a_cluster_limit_too_small_for_an_issue_is_refused():
    with pytest.raises(ValueError, match="cluster_limit 10"):
        IssueMiner(cluster_limit=10, min_documents=8)


def test_the_pipeline_clusters_up_to_the_miners_own_limit_unless_told_otherwise(tmp_path):
    from cx_nlp.issues.miner import CLUSTER_LIMIT
    from cx_nlp.pipeline import PipelineContext, _tracker, mining_settings
    from cx_nlp.settings import Settings

    default = PipelineContext.from_settings(Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}"))
    assert _tracker(default).miner_factory().cluster_limit == CLUSTER_LIMIT
    told = PipelineContext.from_settings(
        Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}", issue_cluster_limit=300)
    )
    assert _tracker(told).miner_factory().cluster_limit == 300
    # Another limit may give other issues: a rerun under it mines the window again.
    assert mining_settings(told)["issue_cluster_limit"] == 300 != mining_settings(default)["issue_cluster_limit"]


def test_the_pipeline_merges_issues_at_the_miners_own_bar_unless_told_otherwise(tmp_path):
    import inspect

    from cx_nlp.pipeline import PipelineContext, _tracker, mining_settings
    from cx_nlp.settings import Settings

    shipped = inspect.signature(IssueMiner).parameters["merge_similarity"].default
    default = PipelineContext.from_settings(Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}"))
    assert _tracker(default).miner_factory().merge_similarity == shipped == 0.85
    told = PipelineContext.from_settings(
        Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}", issue_merge_similarity=0.75)
    )
    miner = _tracker(told).miner_factory()
    assert miner.merge_similarity == 0.75 and miner.known_merge_similarity == 0.9
    # Another bar may give other issues: a rerun under it mines the window again.
    assert mining_settings(told)["issue_merge_similarity"] != mining_settings(default)["issue_merge_similarity"]


def test_the_nearest_centre_of_some_rows_is_found_in_place_block_by_block(monkeypatch):
    """Outliers are pulled in by index (a million-unit window's outliers would be a gigabyte copied
    out): the same nearest centres and cosines as those rows copied out, across block boundaries."""
    import cx_nlp.issues.clustering as clustering

    monkeypatch.setattr(clustering, "BLOCK_ROWS", 7)
    rng = np.random.default_rng(5)
    vectors = clustering.normalise_rows(rng.normal(size=(60, 16)).astype(np.float32))
    centres = clustering.normalise_rows(rng.normal(size=(4, 16)).astype(np.float32))
    rows = np.sort(rng.choice(60, size=23, replace=False))
    in_place = clustering.nearest_centre(vectors, centres, rows=rows)
    copied = clustering.nearest_centre(vectors[rows], centres)
    assert in_place[0].tolist() == copied[0].tolist()
    assert np.allclose(in_place[1], copied[1])
    assert in_place[0].tolist() == (vectors[rows] @ centres.T).argmax(1).tolist()
    # Many centres make the blocks shorter (a bounded number of cosines at once), with the same answers.
    monkeypatch.setattr(clustering, "BLOCK_CELLS", 12)
    short_blocks = clustering.nearest_centre(vectors, centres, rows=rows)
    assert short_blocks[0].tolist() == in_place[0].tolist()
    assert np.allclose(short_blocks[1], in_place[1])


def test_a_miner_told_it_owns_the_vectors_divides_them_in_place_with_the_same_issues(corpus):
    """The tracker copies each group's vectors out of the window for one fit, so the miner may make them
    unit length in place instead of holding a second copy (a million units: 1.5 GB); the issues are the
    same, and a caller that did not say so keeps its array as it was."""
    texts, _, embeddings = corpus
    scaled = embeddings * np.linspace(0.5, 2.0, len(embeddings), dtype=np.float32)[:, None]
    kept, owned = scaled.copy(), scaled.copy()
    copying = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5)).fit(texts, kept)
    in_place = IssueMiner(clusterer=HDBSCANClusterer(min_cluster_size=5), copy_embeddings=False).fit(texts, owned)
    assert in_place.labels_.tolist() == copying.labels_.tolist()
    assert [c.centroid.tolist() for c in in_place.clusters_] == [c.centroid.tolist() for c in copying.clusters_]
    assert np.array_equal(kept, scaled)  # left alone
    assert np.allclose(np.linalg.norm(owned, axis=1), 1.0) and not np.allclose(owned, scaled)


def test_the_merge_step_counts_words_only_when_two_issues_are_close_enough_to_merge(corpus, monkeypatch):
    """Word counts over the window's texts are the merge step's cost; issues that no other issue comes
    near (most nights) are left unread, with the same issues as result."""
    import cx_nlp.issues.merging as merging_module

    texts, gold, embeddings = corpus
    counted = []
    count_words = merging_module.class_term_counts
    monkeypatch.setattr(merging_module, "class_term_counts", lambda *a, **k: counted.append(1) or count_words(*a, **k))

    class ByProblem:
        def fit_predict(self, points):
            return gold[: len(points)].copy()

    apart = IssueMiner(reducer=None, clusterer=ByProblem()).fit(texts, embeddings)  # centres 0.31 alike
    assert sorted(len(c.members) for c in apart.clusters_) == [20, 20] and counted == []
    close = IssueMiner(reducer=None, clusterer=ByTemplate(), merge_similarity=0.8).fit(texts[20:], embeddings[20:])
    assert [len(c.members) for c in close.clusters_] == [20] and counted == [1]


def test_the_pipeline_joins_units_to_issues_at_the_miners_own_bar_unless_told_otherwise(tmp_path):
    import inspect

    from cx_nlp.pipeline import PipelineContext, _tracker, mining_settings
    from cx_nlp.settings import Settings

    parameters = inspect.signature(IssueMiner).parameters
    shipped = parameters["outlier_threshold"].default
    assert parameters["known_threshold"].default == shipped == 0.4
    default = PipelineContext.from_settings(Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}"))
    miner = _tracker(default).miner_factory()
    assert miner.outlier_threshold == miner.known_threshold == shipped
    told = PipelineContext.from_settings(
        Settings(warehouse_url=f"sqlite:///{tmp_path / 'w.db'}", issue_join_similarity=0.5)
    )
    miner = _tracker(told).miner_factory()
    # Pulled in and joining a known issue at one bar: what tonight's pull-in put in an issue can rejoin it
    # tomorrow; a member stays in its issue down to the stay bar (0.3), which the join bar does not move.
    assert miner.outlier_threshold == miner.known_threshold == 0.5 and miner.stay_threshold == 0.3
    # Another bar may give other issues: a rerun under it mines the window again.
    assert mining_settings(told)["issue_join_similarity"] != mining_settings(default)["issue_join_similarity"]
