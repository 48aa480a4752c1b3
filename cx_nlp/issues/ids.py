"""Issue ids that stay the same night after night: a new cluster matching a known centre keeps its id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class KnownIssue:
    issue_id: str
    touchpoint: str
    centroid: np.ndarray


def match_issue_ids(
    touchpoint: str,
    centroids: Sequence[np.ndarray],
    known: Sequence[KnownIssue],
    existing_ids: set[str],
    threshold: float = 0.8,
) -> list[str]:
    """Give each new cluster the id of the known issue whose centre it matches, or a fresh id.

    Greedy on the highest similarity first, one cluster per known issue, so a rerun of the same
    window (identical centres, similarity 1.0) keeps every id.
    """
    ids: list[str | None] = [None] * len(centroids)
    if len(centroids) and len(known):
        similarity = np.array(centroids) @ np.array([k.centroid for k in known]).T
        pairs = sorted(
            ((float(similarity[i, j]), i, j) for i in range(len(centroids)) for j in range(len(known))),
            key=lambda pair: (-pair[0], pair[1], pair[2]),
        )
        used_known: set[int] = set()
        for value, i, j in pairs:
            if value < threshold:
                break
            if ids[i] is None and j not in used_known:
                ids[i] = known[j].issue_id
                used_known.add(j)
    prefix = f"{touchpoint}-"
    numbers = [int(i[len(prefix) :]) for i in existing_ids if i.startswith(prefix) and i[len(prefix) :].isdigit()]
    next_number = max(numbers, default=0) + 1
    for i in range(len(ids)):
        if ids[i] is None:
            ids[i] = f"{prefix}{next_number:04d}"
            next_number += 1
    return [str(i) for i in ids]
