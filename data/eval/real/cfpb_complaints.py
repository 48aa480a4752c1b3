"""Complaint narratives of the CFPB Consumer Complaint Database, with the issue the consumer picked,
as an `evaluate` file.

    python data/eval/real/cfpb_complaints.py SOURCE OUT.csv [--rows 2000] [--seed 13] [--min-issue 10]

SOURCE is a CSV export of the database (columns `Consumer complaint narrative`, `Issue`, `Product`,
`Complaint ID`, ...). Only complaints with a narrative are kept; `issue` is the `Issue` column
("Incorrect information on your report", "Attempts to collect debt not owed", ...), `source_kind` is
`complaint`, no sentiment labels (a complaint has no rating). The CFPB's redactions (XXXX) stay as
published. Issues with fewer than `--min-issue` narratives lose their rows, so every gold issue can
recur. `--rows` draws a sample of that size with `--seed`, keeping each issue's share; 0 keeps all.
"""

from __future__ import annotations

import pandas as pd
from convert import arguments, stratified


def main() -> None:
    parser = arguments(__doc__, min_issue=True)
    args = parser.parse_args()
    raw = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    raw = raw[raw["Consumer complaint narrative"].str.strip() != ""]
    frame = pd.DataFrame(
        {
            "id": "cfpb-" + raw["Complaint ID"].str.strip(),
            "text": raw["Consumer complaint narrative"].str.strip(),
            "source_kind": "complaint",
            "sentiment": "",
            "issue": raw["Issue"].str.strip(),
            "product": raw["Product"].str.strip(),
        }
    )
    frame = frame[frame["issue"] != ""].drop_duplicates("id")
    counts = frame["issue"].value_counts()
    frame = frame[frame["issue"].isin(counts[counts >= args.min_issue].index)]
    frame = stratified(frame, "issue", args.rows, args.seed).sort_index()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    counts = frame["issue"].value_counts()
    print(f"{args.out}: {len(frame)} complaints, {len(counts)} issues, {counts.min()}-{counts.max()} each")


if __name__ == "__main__":
    main()
