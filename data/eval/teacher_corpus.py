"""A training corpus of review segments labelled by a larger sentiment model (distillation).

    .venv/bin/python data/eval/teacher_corpus.py OUT_DIR/train.csv OUT_DIR/teacher.csv \\
        [--teacher models/registry_mpnet.yaml] [--segments 10000] [--seed 13] [--parts N]

Reads whole reviews (a `train-sentiment --corpus` file such as the training part that
`split_clothing_reviews.py` writes), splits each into the segments the pipeline scores
(`cx_nlp.segments`; `--whole` keeps each review whole, read to the model's 128 tokens), draws up to
`--segments` distinct ones of three words or more (seeded), and has the teacher registry's sentiment
model score them. Writes `text`, `sentiment` (the teacher's label), `confidence` (its probability)
and `p_negative`, `p_neutral`, `p_positive` (its probabilities), which `train-sentiment --corpus` reads
as any labelled CSV: the loss is weighted by the teacher's confidence, `--min-confidence` drops the
segments it hesitates on, and `--soft-targets` has the student learn the probabilities instead. The
customers' stars are not used: what the student learns is how the teacher reads review sentences.
`models/cx-sentiment-minilm-distilled` learnt from 20,000 of them (its model card has the commands).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd

from cx_nlp.records import SENTIMENT_LABELS
from cx_nlp.sentiment_corpora import TARGET_COLUMNS


def distinct_segments(texts: list[str], limit: int, seed: int) -> list[str]:
    """Up to `limit` distinct segments of three words or more from `texts`, drawn with `seed`."""
    from cx_nlp.segments import split_segments

    seen: dict[str, None] = {}
    for text in texts:
        for segment in split_segments(text):
            if len(segment.text.split()) >= 3:
                seen.setdefault(segment.text.strip(), None)
    segments = list(seen)
    if limit and len(segments) > limit:
        chosen = np.random.default_rng(seed).choice(len(segments), size=limit, replace=False)
        segments = [segments[i] for i in sorted(chosen)]
    return segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reviews", type=Path, help="CSV with a `text` column")
    parser.add_argument("out", type=Path)
    parser.add_argument("--teacher", type=Path, default=Path("models/registry_mpnet.yaml"))
    parser.add_argument("--segments", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--whole", action="store_true", help="label whole reviews (first 128 tokens), not segments")
    parser.add_argument(
        "--parts", type=int, default=1, help="also write OUT's rows dealt into N files OUT_STEM.partK.csv"
    )
    args = parser.parse_args()

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    texts = pd.read_csv(args.reviews, dtype=str, keep_default_na=False)["text"].tolist()
    segments = sorted(set(texts)) if args.whole else distinct_segments(texts, args.segments, args.seed)
    teacher = Models(load_registry(args.teacher), Path.cwd()).sentiment
    probabilities = teacher.batched_probabilities(segments)
    frame = pd.DataFrame(
        {
            "text": segments,
            "sentiment": [SENTIMENT_LABELS[i] for i in probabilities.argmax(axis=1)],
            "confidence": probabilities.max(axis=1).round(4),
            # The teacher's whole reading, for `train-sentiment --soft-targets`.
            **{column: probabilities[:, i].round(4) for i, column in enumerate(TARGET_COLUMNS)},
        }
    )
    frame.to_csv(args.out, index=False)
    # `train-sentiment --max-per-corpus` caps each corpus: a larger teacher set goes in as several.
    for part in range(args.parts if args.parts > 1 else 0):
        frame.iloc[part :: args.parts].to_csv(args.out.with_name(f"{args.out.stem}.part{part + 1}.csv"), index=False)
    print(f"{args.out}: {len(frame)} segments of {len(texts)} reviews, {frame['sentiment'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
