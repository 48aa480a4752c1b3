"""BANKING77 (PolyAI): online-banking customer requests labelled with one of 77 intents, as an
`evaluate` file of support tickets whose issue is the intent.

    python data/eval/real/banking77.py SOURCE OUT.csv [--rows 2000] [--seed 13]

SOURCE is the `banking_data` folder (train.csv and test.csv, columns text, category) or one of the
two files. `issue` is the intent (`card_arrival`, `lost_or_stolen_card`, ...), `source_kind` is
`ticket`, no sentiment labels. `--rows` draws a sample of that size from train and test together with
`--seed`, keeping each intent's share (about 26 requests an intent at 2,000); 0 keeps every request.
"""

from __future__ import annotations

import pandas as pd
from convert import arguments, stratified

FILES = ("train.csv", "test.csv")


def main() -> None:
    parser = arguments(__doc__)
    args = parser.parse_args()
    paths = [args.source / name for name in FILES] if args.source.is_dir() else [args.source]
    parts = []
    for path in paths:
        part = pd.read_csv(path, dtype=str, keep_default_na=False)
        part["id"] = [f"banking77-{path.stem}-{i + 1:05d}" for i in range(len(part))]
        parts.append(part)
    raw = pd.concat(parts, ignore_index=True)
    frame = pd.DataFrame(
        {
            "id": raw["id"],
            "text": raw["text"].str.strip(),
            "source_kind": "ticket",
            "sentiment": "",
            "issue": raw["category"].str.strip(),
        }
    )
    frame = frame[frame["text"] != ""]
    frame = stratified(frame, "issue", args.rows, args.seed).sort_index()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    counts = frame["issue"].value_counts()
    print(f"{args.out}: {len(frame)} requests, {len(counts)} intents, {counts.min()}-{counts.max()} each")


if __name__ == "__main__":
    main()
