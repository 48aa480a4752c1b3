"""Split the public clothing reviews (`packaged:womens-clothing-reviews`) into a training corpus and an
evaluation set that share no review, to measure what training on a business's own stars buys.

    .venv/bin/python data/eval/split_clothing_reviews.py OUT_DIR [--test-share 0.2] [--seed 13]

writes OUT_DIR/train.csv (`text`, `sentiment`: a `train-sentiment --corpus` file) and OUT_DIR/test.csv
(an `evaluate --dataset` file with `rating`). Stars run 77% 4-5: the training file keeps every 1-3 star
review of its part and half as many 4-5 star ones drawn at random (`cap_praise`, as `train-sentiment
--from-warehouse` does), so the model does not learn that almost everything is praise. The test file
keeps the stars as they come.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cx_nlp.public_datasets import load_frame
from cx_nlp.sentiment_corpora import cap_praise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    frame = load_frame("packaged:womens-clothing-reviews")
    test = frame.sample(frac=args.test_share, random_state=args.seed)
    train = frame.drop(test.index)
    balanced = cap_praise(train, args.seed)
    # A few reviews were posted twice, word for word: a text the test part holds is not trained on.
    balanced = balanced[~balanced["text"].isin(set(test["text"]))]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    balanced[["text", "sentiment"]].to_csv(args.out_dir / "train.csv", index=False)
    test.sort_index().to_csv(args.out_dir / "test.csv", index=False)
    print(f"train.csv {len(balanced)} reviews {balanced['sentiment'].value_counts().to_dict()}")
    print(f"test.csv {len(test)} reviews {test['sentiment'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
