"""Document tone on whole real reviews against the customer's own rating, four ways side by side.

For each labelled CSV (a converter's output: `text`, `sentiment`), a seeded sample is scored by the
registry's sentiment model as the pipeline scores it, and its macro-F1 and per-class recall printed for:

- `vader`: VADER's compound score with its +-0.05 cut-offs (the lexicon a notebook would use);
- `stored`: the label the pipeline stores without a tone calibration (token-weighted chunk mean, then
  one clearly negative salient sentence makes it negative: `negative_evidence`);
- `chunk_mean`: the chunk mean alone;
- `calibrated`: the registry's `tone_calibration` (or `--calibration FILE`) over the document's and its
  segments' tones (cx_nlp/tone.py), where one is given.

`--fit-clothing N` also fits a calibration for this model on N star-rated clothing reviews
(`packaged:womens-clothing-reviews`, seed 13) and reports it as `calibrated_clothing`: a calibration
belongs to one model, so a new adapter needs its own. `--fit-rest` fits one on each set's own rows
that were not drawn for measuring (what `calibrate-tone --from-warehouse` gives a business with its own
stars) and reports it as `calibrated_in_domain`.

    python data/eval/real/document_tone.py /work/real-data/yelp_reviews.csv /work/real-data/druglib_reviews.csv \\
        --rows 800 --seed 7 [--registry models/registry.yaml] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd

LABELS = ("negative", "neutral", "positive")


def _figures(gold: list[str], predicted: list[str]) -> dict:
    from sklearn.metrics import f1_score, recall_score

    recall = recall_score(gold, predicted, labels=list(LABELS), average=None, zero_division=0)
    return {
        "macro_f1": round(float(f1_score(gold, predicted, labels=list(LABELS), average="macro", zero_division=0)), 4),
        "recall": {label: round(float(r), 3) for label, r in zip(LABELS, recall)},
    }


def measure(frame: pd.DataFrame, classifier, calibrations: dict) -> dict:
    """VADER, the stored label, the chunk mean and each calibration on the rows of `frame`."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from cx_nlp.baselines import vader_label

    texts, gold = frame["text"].tolist(), frame["sentiment"].tolist()
    analyser = SentimentIntensityAnalyzer()
    from cx_nlp.tone import score_with_segments

    documents, segments = score_with_segments(classifier, texts)
    means = [(d.negative, d.neutral, d.positive) for d in documents]
    result = {
        "rows": len(texts),
        "gold": {label: gold.count(label) for label in LABELS},
        "vader": _figures(gold, [vader_label(analyser.polarity_scores(t)["compound"]) for t in texts]),
        "stored": _figures(gold, [d.label for d in documents]),
        "chunk_mean": _figures(gold, [LABELS[int(np.argmax(m))] for m in means]),
    }
    for name, calibration in calibrations.items():
        labels = [calibration.applied_label(d.label, m, s) for d, m, s in zip(documents, means, segments)]
        result[name] = _figures(gold, labels)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--registry", type=Path, default=Path("models/registry.yaml"))
    parser.add_argument("--calibration", type=Path, help="a tone calibration JSON (default: the registry's)")
    parser.add_argument("--fit-clothing", type=int, default=0, help="fit a calibration on N clothing reviews")
    parser.add_argument("--fit-rest", action="store_true", help="also fit a calibration on each set's unmeasured rows")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models
    from cx_nlp.tone import ToneCalibration, calibrate

    home = Path.cwd()
    registry = load_registry(args.registry)
    classifier = Models(registry, home).sentiment
    calibrations = {}
    path = args.calibration or (
        home / registry.sentiment.tone_calibration if registry.sentiment.tone_calibration else None
    )
    if path:
        calibrations["calibrated"] = ToneCalibration.load(path)
    if args.fit_clothing:
        from cx_nlp.public_datasets import load_frame

        clothing = load_frame("packaged:womens-clothing-reviews")
        clothing = clothing[clothing["sentiment"].isin(LABELS)].sample(n=args.fit_clothing, random_state=13)
        fitted = calibrate(classifier, clothing["text"].tolist(), clothing["sentiment"].tolist(), {}, seed=13)
        print("clothing calibration:", json.dumps({k: v for k, v in fitted.provenance.items() if "macro" in k}))
        calibrations["calibrated_clothing"] = fitted
    results = {"model": f"{registry.sentiment.name}@{registry.sentiment.version}", "sets": {}}
    for dataset in args.datasets:
        frame = pd.read_csv(dataset, dtype=str, keep_default_na=False)
        frame = frame[frame["sentiment"].isin(LABELS)]
        rest = frame.iloc[0:0]
        if args.rows and args.rows < len(frame):
            measured = frame.sample(n=args.rows, random_state=args.seed)
            frame, rest = measured, frame.drop(measured.index)
        own = dict(calibrations)
        if args.fit_rest and len(rest):
            # The product's fit (C 0.1, from 3 segments) on the same set's other rows, as rated.
            fitted = calibrate(classifier, rest["text"].tolist(), rest["sentiment"].tolist(), {}, 13, 0.1, 3)
            own["calibrated_in_domain"] = fitted
        results["sets"][dataset.stem] = figures = measure(frame, classifier, own)
        print(dataset.stem, json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
