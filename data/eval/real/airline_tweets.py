"""Twitter US Airline Sentiment (tweets to six US airlines, February 2015, crowd-labelled) as an
`evaluate` file.

    python data/eval/real/airline_tweets.py SOURCE OUT.csv [--rows 2000] [--seed 13] [--min-issue 10]

SOURCE is `Tweets.csv` with at least the columns tweet_id, airline_sentiment, negativereason, text.
`sentiment` is the crowd's `airline_sentiment`; `issue` is the crowd's `negativereason` for negative
tweets ("Late Flight", "Lost Luggage", ...), empty for the others and for "Can't Tell". `source_kind`
is `review`: public remarks about a service, not tickets. `--rows` draws a sample of that size with
`--seed`, keeping each (sentiment, reason) share; 0 keeps every tweet. Reasons left with fewer than
`--min-issue` tweets in the sample lose their rows, so every gold issue can recur.
"""

from __future__ import annotations

import pandas as pd
from convert import arguments, stratified

NOT_AN_ISSUE = {"", "Can't Tell"}


def main() -> None:
    parser = arguments(__doc__, min_issue=True)
    args = parser.parse_args()
    raw = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    sentiment = raw["airline_sentiment"].str.strip().str.lower()
    reason = raw["negativereason"].str.strip()
    frame = pd.DataFrame(
        {
            "id": "tweet-" + raw["tweet_id"].str.strip(),
            "text": raw["text"].str.strip(),
            "source_kind": "review",
            "sentiment": sentiment,
            "issue": [r if s == "negative" and r not in NOT_AN_ISSUE else "" for s, r in zip(sentiment, reason)],
            "airline": raw["airline"],
        }
    )
    frame = frame[frame["text"] != ""].drop_duplicates("id")
    frame = stratified(frame, ["sentiment", "issue"], args.rows, args.seed).sort_index()
    counts = frame["issue"].value_counts()
    rare = [label for label, n in counts.items() if label and n < args.min_issue]
    frame = frame[~frame["issue"].isin(rare)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} tweets, sentiment {frame['sentiment'].value_counts().to_dict()}")
    print(f"issues {frame['issue'].value_counts().to_dict()}; dropped rare {rare}")


if __name__ == "__main__":
    main()
