"""Document tone from its parts: what the customer meant overall, given the tone of each segment.

A review that tells a story of side effects and ends "this drug gave me my life back" is positive, and
a ticket that thanks the agent but says the refund never came is a complaint. The sentiment model reads
each segment well; how the segments add up to the document depends on where the verdict sits (often
the end), how strong the worst and the best parts are, and how long the text is. `ToneCalibration` is a
small multinomial logistic regression over those features, fitted on real star-rated reviews
(`cx-nlp models calibrate-tone`) and stored as JSON beside the sentiment model (`tone_calibration`
in the registry). Pure numpy at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cx_nlp.records import SENTIMENT_LABELS

# Each feature from the document's chunk-mean probabilities (doc_*) and its segments' probabilities
# (negative, neutral, positive), in this order.
FEATURES = (
    "doc_negative",
    "doc_neutral",
    "doc_positive",
    "mean_negative",
    "mean_neutral",
    "mean_positive",
    "max_negative",
    "max_positive",
    "first_negative",
    "first_positive",
    "last_negative",
    "last_positive",
    "negative_share",
    "positive_share",
    "log_segments",
)


def tone_features(document: Sequence[float], segments: Sequence[Sequence[float]]) -> np.ndarray:
    """The FEATURES of one document; a document without segments reads as one segment, itself."""
    doc = np.asarray(document, dtype=float)
    parts = np.asarray(segments, dtype=float).reshape(-1, 3) if len(segments) else doc.reshape(1, 3)
    labels = parts.argmax(axis=1)
    return np.array(
        [
            *doc,
            *parts.mean(axis=0),
            parts[:, 0].max(),
            parts[:, 2].max(),
            parts[0, 0],
            parts[0, 2],
            parts[-1, 0],
            parts[-1, 2],
            float((labels == 0).mean()),
            float((labels == 2).mean()),
            float(np.log1p(len(parts))),
        ]
    )


@dataclass(frozen=True)
class ToneCalibration:
    """A fitted aggregation of segment tones into a document tone (negative, neutral, positive)."""

    mean: np.ndarray  # per feature, for standardising
    scale: np.ndarray
    coef: np.ndarray  # classes x features
    intercept: np.ndarray  # per class
    provenance: dict  # what it was fitted on and how well it did
    # Documents of fewer segments keep the model's own label: a one- or two-sentence text has no story
    # to weigh, and on short feedback the fitted aggregation lost 0.046 macro-F1 (docs/quality.md).
    min_segments: int = 1

    def applies(self, segments: int) -> bool:
        """Whether a document of this many segments takes the fitted tone."""
        return segments >= self.min_segments

    def probabilities(self, document: Sequence[float], segments: Sequence[Sequence[float]]) -> np.ndarray:
        x = (tone_features(document, segments) - self.mean) / self.scale
        logits = self.coef @ x + self.intercept
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def label(self, document: Sequence[float], segments: Sequence[Sequence[float]]) -> tuple[str, np.ndarray]:
        probabilities = self.probabilities(document, segments)
        return SENTIMENT_LABELS[int(probabilities.argmax())], probabilities

    def applied_label(self, model_label: str, document: Sequence[float], segments: Sequence[Sequence[float]]) -> str:
        """The document's label as the pipeline gives it: the fitted tone where it `applies`, else the
        model's own label."""
        return self.label(document, segments)[0] if self.applies(len(segments)) else model_label

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "classes": list(SENTIMENT_LABELS),
            "mean": self.mean.round(8).tolist(),
            "scale": self.scale.round(8).tolist(),
            "coef": self.coef.round(8).tolist(),
            "intercept": self.intercept.round(8).tolist(),
            "min_segments": self.min_segments,
            "provenance": self.provenance,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ToneCalibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data.get("features", ())) != FEATURES or tuple(data.get("classes", ())) != SENTIMENT_LABELS:
            raise ValueError(
                f"{path}: tone calibration for other features or classes; refit it with `cx-nlp models calibrate-tone`"
            )
        return cls(
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["coef"]),
            np.array(data["intercept"]),
            data.get("provenance", {}),
            int(data.get("min_segments", 1)),
        )


def fit_calibration(
    documents: Sequence[Sequence[float]],
    segments: Sequence[Sequence[Sequence[float]]],
    gold: Sequence[str],
    provenance: dict,
    regularisation: float = 1.0,
    min_segments: int = 1,
) -> ToneCalibration:
    """Fit the aggregation on documents with a known tone (from the customer's own stars).

    Classes are weighted by their inverse frequency: star-rated reviews are mostly positive, and an
    unweighted fit would call every mixed review positive and never neutral.
    """
    from sklearn.linear_model import LogisticRegression

    features = np.array([tone_features(d, s) for d, s in zip(documents, segments)])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=regularisation, class_weight="balanced", max_iter=2000)
    model.fit((features - mean) / scale, [SENTIMENT_LABELS.index(g) for g in gold])
    if list(model.classes_) != [0, 1, 2]:
        raise ValueError("tone calibration needs documents of all three tones (negative, neutral, positive)")
    return ToneCalibration(mean, scale, model.coef_, model.intercept_, provenance, min_segments)


# Share of the labelled documents held out to report how the fitted aggregation does on unseen ones.
HELD_OUT_SHARE = 0.2


def score_with_segments(classifier, texts: Sequence[str]) -> tuple[list, list[list[tuple[float, float, float]]]]:
    """Each text's `SentimentScore` and the (negative, neutral, positive) probabilities of its segments,
    as enrichment reads them."""
    from cx_nlp.segments import split_segments

    documents = classifier.score(list(texts))
    parts = [[s.text for s in split_segments(t)] for t in texts]
    flat = classifier.score([p for group in parts for p in group])
    segments, cursor = [], 0
    for group in parts:
        segments.append([(s.negative, s.neutral, s.positive) for s in flat[cursor : cursor + len(group)]])
        cursor += len(group)
    return documents, segments


def calibrate(
    classifier,
    texts: Sequence[str],
    gold: Sequence[str],
    provenance: dict,
    seed: int = 13,
    regularisation: float = 1.0,
    min_segments: int = 1,
):
    """Score `texts` and their segments with `classifier` (a `SentimentClassifier`), fit the aggregation
    on 80% of them and report macro-F1 on the other 20% beside the chunk-mean label's; then refit on all.

    Returns the calibration, whose provenance carries those figures.
    """
    from sklearn.metrics import f1_score

    documents, segments = score_with_segments(classifier, texts)
    probabilities = [(d.negative, d.neutral, d.positive) for d in documents]
    held = np.random.default_rng(seed).random(len(texts)) < HELD_OUT_SHARE
    fit = np.flatnonzero(~held)
    trial = fit_calibration(
        [probabilities[i] for i in fit],
        [segments[i] for i in fit],
        [gold[i] for i in fit],
        {},
        regularisation,
        min_segments,
    )
    test = np.flatnonzero(held)
    gold_test = [gold[i] for i in test]
    labels = list(SENTIMENT_LABELS)
    before = f1_score(gold_test, [documents[i].label for i in test], labels=labels, average="macro", zero_division=0)
    after = f1_score(
        gold_test,
        [trial.applied_label(documents[i].label, probabilities[i], segments[i]) for i in test],
        labels=labels,
        average="macro",
        zero_division=0,
    )
    figures = {
        "documents": len(texts),
        "held_out": int(held.sum()),
        "held_out_macro_f1_chunk_mean": round(float(before), 4),
        "held_out_macro_f1_calibrated": round(float(after), 4),
        "model": f"{classifier.entry.name}@{classifier.entry.version}",
    }
    return fit_calibration(probabilities, segments, list(gold), {**provenance, **figures}, regularisation, min_segments)
