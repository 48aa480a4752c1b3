"""Taxonomy suggestions: what piles up in `other` is clustered into candidate touchpoints."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import yaml

from cx_nlp.issues import HDBSCANClusterer, IssueMiner
from cx_nlp.textprep import split_sentences
from cx_nlp.touchpoints import TouchpointAssigner


def _slug(words: Sequence[str], taken: set[str]) -> str:
    # "código" -> "codigo": accents are dropped, not the letters that carry them.
    ascii_words = unicodedata.normalize("NFKD", "_".join(words[:2])).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_words.lower()).strip("_") or "suggested"
    if not base[0].isalpha():
        base = f"t_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _example(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def statements(
    texts: Sequence[str], min_words: int = 4, limit: int | None = None, seed: int = 13
) -> tuple[list[str], list[int]]:
    """The sentences of each text that say something (at least `min_words` words), with the index of the
    text each came from; a text with no such sentence is kept whole.

    With `limit`, whole texts are taken in a seeded random order while their sentences fit in it, so a
    large `other` is read from a fair sample in bounded time (embedding and clustering grow with it).
    """
    order = range(len(texts)) if limit is None else np.random.default_rng(seed).permutation(len(texts))
    sentences, owners = [], []
    for index in order:
        found = [s for s in split_sentences(texts[index]) if len(s.split()) >= min_words] or [texts[index]]
        if limit is not None and sentences and len(sentences) + len(found) > limit:
            break
        sentences.extend(found)
        owners.extend([int(index)] * len(found))
    return sentences, owners


def suggest_touchpoints(
    texts: Sequence[str],
    embeddings: np.ndarray,
    existing: Sequence[str],
    min_size: int = 4,
    miner: IssueMiner | None = None,
    similarity: Callable[[float], float] | None = None,
    owners: Sequence[int] | None = None,
    assigner: TouchpointAssigner | None = None,
) -> list[dict]:
    """Candidate touchpoints, largest first, in the format of config/touchpoints.yaml.

    `texts` are documents, or the sentences of documents (`statements`) with `owners` naming the
    document of each. Each candidate carries `covers`, how many documents it would take out of
    `other`, and, given the taxonomy's fitted `assigner`, the existing touchpoint its centre is closest
    to (`closest`, `closest_similarity`): a candidate close to one may be better added to its examples.
    A person edits the wording and decides; nothing is applied automatically.
    """
    miner = miner or IssueMiner(
        clusterer=HDBSCANClusterer(min_cluster_size=min_size), min_documents=min_size, similarity=similarity
    )
    miner.fit(texts, embeddings)
    owner_of = np.asarray(owners) if owners is not None else np.arange(len(texts))
    documents = [len(set(owner_of[c.members].tolist())) for c in miner.clusters_]
    taken = set(existing)
    suggestions = []
    for covers, cluster in sorted(zip(documents, miner.clusters_), key=lambda pair: -pair[0]):
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
                "covers": covers,
            }
        )
        if assigner is not None:
            scores = assigner.scores(cluster.centroid[None, :])[0]
            suggestions[-1]["closest"] = assigner.names_[int(scores.argmax())]
            suggestions[-1]["closest_similarity"] = round(float(scores.max()), 2)
    return suggestions


def as_yaml(suggestions: list[dict]) -> str:
    notes = {"covers", "closest", "closest_similarity"}
    entries = [{k: v for k, v in s.items() if k not in notes} for s in suggestions]
    header = "".join(
        f"# {s['name']}: would take {s['covers']} documents out of `other`"
        + (f"; closest existing touchpoint: {s['closest']} ({s['closest_similarity']})" if "closest" in s else "")
        + "\n"
        for s in suggestions
    )
    return header + yaml.safe_dump({"touchpoints": entries}, sort_keys=False, allow_unicode=True, width=100)
