"""Yelp reviews with their 1-5 stars (the 10,000-review `yelp.csv` of the Yelp Dataset Challenge) as an
`evaluate` file.

    python data/eval/real/yelp_reviews.py SOURCE OUT.csv [--rows 2000] [--seed 13]

SOURCE is `yelp.csv` (columns business_id, date, review_id, stars, text, ...) or a `.zip` holding it.
Sentiment from the customer's stars: 1-2 negative, 3 neutral, 4-5 positive (the `--from-warehouse`
rule); `rating` keeps the stars. No issue labels. The review dates (2005-2013) are left out, so
`evaluate` spreads the reviews over one issue window. `--rows` draws a sample of that size with
`--seed`, keeping each star's share; 0 keeps every review.
"""

from __future__ import annotations

import pandas as pd
from convert import arguments, stratified


def sentiment_from_stars(stars: int) -> str:
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def main() -> None:
    parser = arguments(__doc__)
    args = parser.parse_args()
    raw = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    raw = raw[raw["text"].str.strip() != ""]
    stars = raw["stars"].astype(int)
    frame = pd.DataFrame(
        {
            "id": "yelp-" + raw["review_id"],
            "text": raw["text"].str.strip(),
            "source_kind": "review",
            "rating": stars,
            "sentiment": stars.map(sentiment_from_stars),
            "issue": "",
        }
    )
    frame = stratified(frame, "rating", args.rows, args.seed).sort_index()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} reviews, sentiment {frame['sentiment'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
