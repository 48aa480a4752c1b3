"""Drug reviews of druglib.com (UCI "Drug Review Dataset (Druglib.com)") as an `evaluate` file.

    python data/eval/real/druglib_reviews.py SOURCE OUT.csv [--rows 2000] [--seed 13]

SOURCE is the folder holding `drugLibTrain_raw.tsv` and `drugLibTest_raw.tsv` (or one of the two
files). Each review is the patient's three answers (benefits, side effects, comments) joined by blank
lines, as one long text. The patient's own 1-10 rating gives the sentiment: 1-4 negative, 5-6
neutral, 7-10 positive. The rating is kept as `rating_10`, not `rating`: the pipeline reads `rating`
as 1-5 stars. No issue labels. `--rows` draws a sample of that size with `--seed`, keeping each
rating's share; 0 keeps every review.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from convert import arguments, stratified

FILES = ("drugLibTrain_raw.tsv", "drugLibTest_raw.tsv")
ANSWERS = ("benefitsReview", "sideEffectsReview", "commentsReview")


def sentiment_from_ten(rating: int) -> str:
    return "negative" if rating <= 4 else "neutral" if rating <= 6 else "positive"


def read(source: Path) -> pd.DataFrame:
    paths = [source / name for name in FILES] if source.is_dir() else [source]
    parts = []
    for path in paths:
        part = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        part["split"] = "train" if "Train" in path.name else "test"
        # The copies differ in the drug column's name (`urlDrugName` in UCI's files).
        part = part.rename(columns={"DrugName": "urlDrugName"})
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = arguments(__doc__)
    args = parser.parse_args()
    raw = read(args.source)
    texts = raw[list(ANSWERS)].apply(lambda r: "\n\n".join(a.strip() for a in r if a.strip()), axis=1)
    frame = pd.DataFrame(
        {
            "id": "druglib-" + raw["split"] + "-" + raw["num"].str.strip(),
            "text": texts,
            "source_kind": "review",
            "rating_10": raw["rating"].astype(int),
            "sentiment": raw["rating"].astype(int).map(sentiment_from_ten),
            "issue": "",
            "drug": raw["urlDrugName"],
        }
    )
    frame = frame[frame["text"].str.strip() != ""]
    frame = stratified(frame, "rating_10", args.rows, args.seed).sort_index()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} reviews, sentiment {frame['sentiment'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
