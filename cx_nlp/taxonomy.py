"""Taxonomy suggestions: what piles up in `other` is clustered into candidate touchpoints."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import yaml

from cx_nlp.issues import HDBSCANClusterer, IssueMiner


def _slug(words: Sequence[str], taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", "_".join(words[:2]).lower()).strip("_") or "suggested"
    if not base[0].isalpha():
        base = f"t_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _example(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def suggest_touchpoints(
    texts: Sequence[str],
    embeddings: np.ndarray,
    existing: Sequence[str],
    min_size: int = 4,
    miner: IssueMiner | None = None,
    similarity: Callable[[float], float] | None = None,
) -> list[dict]:
    """Candidate touchpoints, largest first, in the format of config/touchpoints.yaml.

    Each carries `covers`, how many of the given documents it would take out of `other`; a person
    edits the wording and decides, nothing is applied automatically.
    """
    miner = miner or IssueMiner(
        clusterer=HDBSCANClusterer(min_cluster_size=min_size), min_documents=min_size, similarity=similarity
    )
    miner.fit(texts, embeddings)
    taken = set(existing)
    suggestions = []
    for cluster in sorted(miner.clusters_, key=lambda c: -len(c.members)):
        if not cluster.keywords:
            continue
        name = _slug(cluster.keywords, taken)
        taken.add(name)
        suggestions.append(
            {
                "name": name,
                "stage": "unassigned",
                "description": f"Feedback about {', '.join(cluster.keywords[:3])}.",
                "examples": [_example(texts[i]) for i in cluster.representatives],
                "keywords": cluster.keywords[:6],
                "covers": int(len(cluster.members)),
            }
        )
    return suggestions


def as_yaml(suggestions: list[dict]) -> str:
    entries = [{k: v for k, v in s.items() if k != "covers"} for s in suggestions]
    header = "".join(f"# {s['name']}: would take {s['covers']} documents out of `other`\n" for s in suggestions)
    return header + yaml.safe_dump({"touchpoints": entries}, sort_keys=False, allow_unicode=True, width=100)
