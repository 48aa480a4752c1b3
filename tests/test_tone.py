"""Document tone from segment tones (cx_nlp.tone): the features, the fit, the stored form, and how
enrichment applies it. Synthetic probabilities, no model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cx_nlp.enrichment import document_tone
from cx_nlp.records import SENTIMENT_LABELS, ScoredSegment, SentimentScore, TouchpointAssignment
from cx_nlp.segments import Segment
from cx_nlp.tone import FEATURES, ToneCalibration, fit_calibration, tone_features

PROBS = {"negative": (0.8, 0.15, 0.05), "neutral": (0.1, 0.8, 0.1), "positive": (0.05, 0.15, 0.8)}


def test_features_follow_the_segments_and_read_a_document_without_segments_as_one():
    features = dict(
        zip(FEATURES, tone_features((0.6, 0.3, 0.1), [PROBS["negative"], PROBS["neutral"], PROBS["positive"]]))
    )
    assert features["doc_negative"] == 0.6
    assert features["first_negative"] == 0.8 and features["last_positive"] == 0.8
    assert features["max_negative"] == 0.8 and features["negative_share"] == pytest.approx(1 / 3)
    alone = dict(zip(FEATURES, tone_features((0.6, 0.3, 0.1), [])))
    assert alone["mean_negative"] == alone["first_negative"] == alone["last_negative"] == 0.6


def _stories(count: int, seed: int):
    """Reviews told as a story whose verdict is its last segment (as many real reviews are): a long
    middle of the opposite tone makes the chunk mean say the opposite of what the customer meant."""
    rng = np.random.default_rng(seed)
    documents, segments, gold = [], [], []
    for _ in range(count):
        verdict = SENTIMENT_LABELS[rng.integers(3)]
        middle = {"positive": "negative", "negative": "neutral", "neutral": "negative"}[verdict]
        parts = [PROBS[middle]] * int(rng.integers(3, 6)) + [PROBS[verdict]]
        parts = [tuple(np.clip(np.array(p) + rng.normal(0, 0.03, 3), 0.01, 1)) for p in parts]
        documents.append(tuple(np.mean(parts, axis=0)))
        segments.append(parts)
        gold.append(verdict)
    return documents, segments, gold


def test_the_fit_learns_where_the_verdict_sits_where_the_chunk_mean_misses_it():
    documents, segments, gold = _stories(300, seed=1)
    calibration = fit_calibration(documents, segments, gold, {"source": "synthetic"})
    test_documents, test_segments, test_gold = _stories(100, seed=2)
    chunk_mean = [SENTIMENT_LABELS[int(np.argmax(d))] for d in test_documents]
    calibrated = [calibration.label(d, s)[0] for d, s in zip(test_documents, test_segments)]
    assert np.mean([a == b for a, b in zip(chunk_mean, test_gold)]) < 0.5
    assert np.mean([a == b for a, b in zip(calibrated, test_gold)]) > 0.95
    probabilities = calibration.probabilities(test_documents[0], test_segments[0])
    assert probabilities.sum() == pytest.approx(1.0) and (probabilities > 0).all()


def test_a_fit_needs_all_three_tones():
    documents, segments, gold = _stories(60, seed=3)
    keep = [i for i, g in enumerate(gold) if g != "neutral"]
    with pytest.raises(ValueError, match="all three tones"):
        fit_calibration([documents[i] for i in keep], [segments[i] for i in keep], [gold[i] for i in keep], {})


def test_the_stored_form_round_trips_and_refuses_other_features(tmp_path):
    documents, segments, gold = _stories(120, seed=4)
    calibration = fit_calibration(documents, segments, gold, {"source": "synthetic", "documents": 120})
    path = tmp_path / "tone.json"
    calibration.save(path)
    loaded = ToneCalibration.load(path)
    assert loaded.provenance == {"source": "synthetic", "documents": 120}
    for d, s in zip(documents[:10], segments[:10]):
        assert np.allclose(loaded.probabilities(d, s), calibration.probabilities(d, s), atol=1e-6)
    stored = json.loads(path.read_text())
    stored["features"] = stored["features"][:-1]
    path.write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="calibrate-tone"):
        ToneCalibration.load(path)


def test_short_documents_keep_the_models_label_and_old_files_apply_to_all(tmp_path):
    documents, segments, gold = _stories(120, seed=6)
    calibration = fit_calibration(documents, segments, gold, {}, min_segments=3)
    assert [calibration.applies(n) for n in (1, 2, 3, 7)] == [False, False, True, True]
    path = tmp_path / "tone.json"
    calibration.save(path)
    assert ToneCalibration.load(path).min_segments == 3
    # A file written before the threshold existed was applied to every document, and still is.
    stored = json.loads(path.read_text())
    del stored["min_segments"]
    path.write_text(json.dumps(stored))
    assert ToneCalibration.load(path).applies(1)


def test_enrichment_sets_label_and_score_and_keeps_the_models_own_probabilities():
    documents, segments, gold = _stories(300, seed=5)
    calibration = fit_calibration(documents, segments, gold, {})
    # A story of side effects ending "it gave me my life back": the chunk mean reads it negative.
    parts = [PROBS["negative"]] * 4 + [PROBS["positive"]]
    mean = tuple(round(float(v), 6) for v in np.mean(parts, axis=0))
    document = SentimentScore("negative", *mean, mean[2] - mean[0], 1, "m", "1")
    scored = [
        ScoredSegment(Segment(i, f"part {i}", 0, 6), f"h{i}", SentimentScore("x", *p, 0.0, 1, "m", "1"), TouchpointAssignment("other", 0.0, "fallback"))
        for i, p in enumerate(parts)
    ]  # fmt: skip
    tone = document_tone(document, scored, calibration)
    assert tone.label == "positive" and tone.score > 0
    assert (tone.negative, tone.neutral, tone.positive) == mean


@pytest.mark.parametrize(
    "name", ["tone-calibration-distilled.json", "tone-calibration-reviews.json", "tone-calibration-mpnet.json"]
)
def test_the_shipped_calibrations_load_and_say_what_they_were_fitted_on(name):
    from pathlib import Path

    calibration = ToneCalibration.load(Path(__file__).resolve().parent.parent / "models" / name)
    assert calibration.provenance["documents"] == 2000 and calibration.min_segments == 3
    assert calibration.provenance["praise_capped"] is True
    assert (
        calibration.provenance["held_out_macro_f1_calibrated"] > calibration.provenance["held_out_macro_f1_chunk_mean"]
    )
    # A review whose every part is glowing stays positive; one whose every part is angry, negative.
    assert calibration.label(PROBS["positive"], [PROBS["positive"]] * 3)[0] == "positive"
    assert calibration.label(PROBS["negative"], [PROBS["negative"]] * 3)[0] == "negative"


@pytest.mark.models
def test_calibrating_on_real_reviews_with_the_real_model_reports_held_out_figures(models):
    from cx_nlp import public_datasets
    from cx_nlp.tone import calibrate

    frame = public_datasets.load_frame("packaged:womens-clothing-reviews")
    frame = frame.groupby("sentiment").sample(n=30, random_state=1)
    calibration = calibrate(models.sentiment, frame["text"].tolist(), frame["sentiment"].tolist(), {"source": "t"})
    figures = calibration.provenance
    assert figures["documents"] == 90 and figures["source"] == "t" and 0 < figures["held_out"] < 90
    assert 0.0 <= figures["held_out_macro_f1_calibrated"] <= 1.0
