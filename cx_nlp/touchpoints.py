"""Touchpoint stage: zero-shot assignment by embedding similarity to the taxonomy, overridden by metadata."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from cx_nlp.config import Taxonomy
from cx_nlp.records import TouchpointAssignment


class TouchpointAssigner:
    """Scores each text against every touchpoint's description and example phrases.

    A touchpoint's score is the best cosine similarity among its description and examples: examples
    catch the concrete ways customers phrase a problem that a one-line description misses. A text that
    names one of the touchpoint's `keywords` (a whole word or phrase, plural or not) scores
    `keyword_bonus` higher there: a hint the taxonomy's owner gives, which still has to agree with the
    meaning (the bonus cannot lift a touchpoint above another that matches much better).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        threshold: float = 0.32,
        margin: float = 0.04,
        max_touchpoints: int = 2,
        keyword_bonus: float = 0.05,
        similarity: Callable[[float], float] | None = None,
    ):
        self.taxonomy = taxonomy
        # `similarity` maps thresholds set on MiniLM's cosine scale onto the embedding model's.
        self.threshold = similarity(threshold) if similarity else threshold
        self.margin = similarity(margin) - similarity(0.0) if similarity else margin
        self.keyword_bonus = similarity(keyword_bonus) - similarity(0.0) if similarity else keyword_bonus
        self.keyword_patterns = [_keyword_pattern(t.keywords) for t in taxonomy.touchpoints]
        self.max_touchpoints = max_touchpoints

    def phrases(self) -> list[str]:
        """Every description and example phrase, in the order `fit` encodes them."""
        return [p for t in self.taxonomy.touchpoints for p in (t.description, *t.examples)]

    def fit(self, encode: Callable[[Sequence[str]], np.ndarray]) -> TouchpointAssigner:
        owners = [i for i, t in enumerate(self.taxonomy.touchpoints) for _ in (t.description, *t.examples)]
        self.phrase_vectors_ = np.asarray(encode(self.phrases()), dtype=np.float32)
        self.phrase_owner_ = np.array(owners)
        self.names_ = self.taxonomy.names()
        self.rules_ = {(r.field, r.equals.lower()): r.touchpoint for r in self.taxonomy.metadata_rules}
        return self

    def scores(self, embeddings: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """(documents x touchpoints) best similarity to each touchpoint's phrases, plus the keyword
        bonus where `texts` name one of the touchpoint's keywords."""
        similarity = embeddings @ self.phrase_vectors_.T
        out = np.full((len(embeddings), len(self.names_)), -1.0, dtype=np.float32)
        for index in range(len(self.names_)):
            out[:, index] = similarity[:, self.phrase_owner_ == index].max(axis=1)
        if texts is not None:
            for index, pattern in enumerate(self.keyword_patterns):
                if pattern is not None:
                    named = np.array([pattern.search(text) is not None for text in texts], dtype=bool)
                    out[named, index] += self.keyword_bonus
        return out

    def _from_metadata(self, metadata: dict) -> str | None:
        for (field, equals), touchpoint in self.rules_.items():
            value = metadata.get(field)
            if value is not None and str(value).strip().lower() == equals:
                return touchpoint
        return None

    def assign(
        self, embeddings: np.ndarray, metadata: Sequence[dict], texts: Sequence[str] | None = None
    ) -> list[list[TouchpointAssignment]]:
        """Touchpoints of each document, best first; `texts` (optional) let taxonomy keywords count."""
        scores = self.scores(embeddings, texts) if len(embeddings) else np.zeros((0, len(self.names_)))
        result = []
        for row, meta in zip(scores, metadata):
            chosen: list[TouchpointAssignment] = []
            ruled = self._from_metadata(meta or {})
            if ruled:
                chosen.append(TouchpointAssignment(ruled, 1.0, "metadata"))
            best = float(row.max()) if len(row) else -1.0
            for index in np.argsort(-row):
                if len(chosen) >= self.max_touchpoints:
                    break
                value = float(row[index])
                if value < self.threshold or value < best - self.margin:
                    break
                if self.names_[index] not in {c.touchpoint for c in chosen}:
                    # Confidence stays a cosine-like figure in [0, 1] even with the keyword bonus.
                    chosen.append(TouchpointAssignment(self.names_[index], round(min(value, 1.0), 4), "similarity"))
            if not chosen:
                chosen.append(TouchpointAssignment(self.taxonomy.other, round(max(best, 0.0), 4), "fallback"))
            result.append(chosen)
        return result


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern | None:
    """One case-insensitive pattern for a touchpoint's keywords: whole words or phrases, "s"/"es" plurals."""
    terms = sorted({k.strip().lower() for k in keywords if k.strip()}, key=len, reverse=True)
    if not terms:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in term.split()) for term in terms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:e?s)?(?!\w)", re.IGNORECASE)
