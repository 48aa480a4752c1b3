"""SemEval aspect-based sentiment sets (review sentences labelled with aspect categories and a polarity
for each) as an `evaluate` file: the category a sentence complains about is its issue.

    python data/eval/real/semeval_absa.py SOURCE.xml OUT.csv [--issue-polarity negative] [--min-issue 10]

SOURCE is a SemEval-2014 Task 4 file (`<sentence><aspectCategories><aspectCategory category=...
polarity=...>`, e.g. `Restaurants_Train_v2.xml`) or a SemEval-2015/2016 file (`<Opinions><Opinion
category="BATTERY#OPERATION_PERFORMANCE" polarity=...>`, e.g. `ABSA16_Laptops_Train_SB1_v2.xml`).
Kept: sentences with exactly one aspect category and one polarity for it (not `conflict`); the others
have no single issue or sentiment and are left out. `sentiment` is that polarity. `issue` is the
category where the polarity is in `--issue-polarity` (`negative`, the default: a complaint about
the food or the battery; `nonpositive` adds neutral remarks), empty otherwise. Complaints whose
category is a catch-all (`anecdotes/miscellaneous`, `...#MISCELLANEOUS`) or has fewer than
`--min-issue` complaints are left out: they are complaints, so "no issue" would be the wrong gold
label, and they name no recurring issue. `source_kind` is `review`. The sets are small: no sampling.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
from convert import arguments


def catch_all(category: str) -> bool:
    return category == "anecdotes/miscellaneous" or category.endswith("#MISCELLANEOUS")


ISSUE_POLARITIES = {"negative": {"negative"}, "nonpositive": {"negative", "neutral"}}


def sentences(path: Path):
    """(sentence id, text, [(category, polarity), ...]) for every sentence of a 2014 or 2015/16 file."""
    for node in ET.parse(path).getroot().iter("sentence"):
        text = (node.findtext("text") or "").strip()
        labels = [(a.get("category"), a.get("polarity")) for a in node.iter("aspectCategory")]
        labels += [(o.get("category"), o.get("polarity")) for o in node.iter("Opinion")]
        yield node.get("id"), text, sorted(set(labels))


def main() -> None:
    parser = arguments(__doc__, sample=False, min_issue=True)
    parser.add_argument("--issue-polarity", choices=sorted(ISSUE_POLARITIES), default="negative")
    args = parser.parse_args()
    rows = []
    for sentence_id, text, labels in sentences(args.source):
        if not text or len(labels) != 1 or labels[0][1] not in {"negative", "neutral", "positive"}:
            continue
        category, polarity = labels[0]
        complaint = polarity in ISSUE_POLARITIES[args.issue_polarity]
        rows.append(
            {
                "id": f"{args.source.stem}-{sentence_id}",
                "text": text,
                "source_kind": "review",
                "sentiment": polarity,
                "issue": category if complaint else "",
                "aspect": category,
            }
        )
    frame = pd.DataFrame(rows).drop_duplicates("id")
    counts = frame["issue"].value_counts()
    rare = [label for label, n in counts.items() if label and (n < args.min_issue or catch_all(label))]
    frame = frame[~frame["issue"].isin(rare)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} sentences, sentiment {frame['sentiment'].value_counts().to_dict()}")
    print(f"issues {frame['issue'].value_counts().to_dict()}; {len(rare)} rare or catch-all categories left out")


if __name__ == "__main__":
    main()
