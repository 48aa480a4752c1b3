"""What every converter of this folder shares: its command line and the seeded, share-keeping sample.

Imported by the converters as a sibling module (`python data/eval/real/NAME.py` puts this folder on
the import path); stdlib + pandas like them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def arguments(doc: str, sample: bool = True, min_issue: bool = False) -> argparse.ArgumentParser:
    """SOURCE and OUT, and as asked `--rows` / `--seed` (a sample) and `--min-issue`; a converter adds
    its own options before parsing."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    if sample:
        parser.add_argument("--rows", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=13)
    if min_issue:
        parser.add_argument("--min-issue", type=int, default=10)
    return parser


def stratified(frame: pd.DataFrame, key: str | list[str], rows: int, seed: int) -> pd.DataFrame:
    """`rows` rows drawn with `seed`, each value of `key` keeping its share; all of them for 0 or more."""
    if not rows or rows >= len(frame):
        return frame
    return frame.groupby(key, group_keys=False).sample(frac=rows / len(frame), random_state=seed)
