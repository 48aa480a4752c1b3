"""The model stages over an interval's feedback: sentiment, embedding and touchpoints of each feedback
and of each of its segments, reusing what the warehouse already holds for the same text and model
version, so a rerun loads no model at all (unless asked to re-score: `rescore`).

The feedback goes through the models in chunks (`enrich_interval`): each chunk's new vectors are
stored in the warehouse's embedding cache as soon as the chunk is done, so the interval never holds its
vectors; its chunks' scored rows go to the caller (`on_chunk`: the pipeline sets them aside on disk), and
the tones of the texts scored so far, kept so that a text told again is not scored again, go to disk
past `spooled.MAPPING_SPILL_FROM` texts. The cache is keyed by text and model version, not by
interval: vectors stored by a run that fails later serve its rerun."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import Engine

from cx_nlp.config import ModelRegistry, Taxonomy
from cx_nlp.normalise import content_hash
from cx_nlp.progress import StageTimer
from cx_nlp.records import UNSCORED, Feedback, ScoredDocument, ScoredSegment, SentimentScore, TouchpointAssignment
from cx_nlp.registry import Models
from cx_nlp.segments import Segment, split_segments
from cx_nlp.spooled import SpooledMapping
from cx_nlp.tone import ToneCalibration
from cx_nlp.touchpoints import TouchpointAssigner
from cx_nlp.warehouse import rows, store


@dataclass
class Enriched:
    scored: list[ScoredDocument]  # empty where each chunk went to `on_chunk` instead
    scored_texts: int  # feedback and segment texts scored now
    embedded_texts: int  # texts embedded now (their vectors are stored), not read from the cache


@dataclass
class _Computed:
    """What this run computed so far, shared by its chunks: a text seen in an earlier chunk is not
    scored or embedded again (its vector is in the cache; with `rescore`, only these are read from it)."""

    # Past MAPPING_SPILL_FROM texts on disk: an interval of millions of texts does not hold their tones.
    sentiments: SpooledMapping[SentimentScore] = field(default_factory=SpooledMapping)
    # Only where `rescore` reads the cache for these alone; otherwise the cache answers for every text.
    embedded: set[str] = field(default_factory=set)


@dataclass
class _Interval:
    """What the chunks of one interval share: the models, the warehouse, the run's choices, what earlier
    chunks computed, and the touchpoint assigner, fitted on the taxonomy's phrases by the first chunk."""

    registry: ModelRegistry
    models: Models
    engine: Engine
    timer: StageTimer
    rescore: bool
    assigner: TouchpointAssigner
    computed: _Computed = field(default_factory=_Computed)

    @property
    def assigner_fitted(self) -> bool:
        return hasattr(self.assigner, "phrase_vectors_")


def enrich_interval(
    registry: ModelRegistry,
    taxonomy: Taxonomy,
    models: Models,
    engine: Engine,
    feedback: list[Feedback],
    timer: StageTimer,
    rescore: bool = False,
    *,
    chunk_documents: int,
    on_chunk: Callable[[list[ScoredDocument]], None] | None = None,
) -> Enriched:
    """Each feedback and each of its segments with sentiment and touchpoints; the vectors of texts
    embedded now are stored in the embedding cache chunk by chunk (each chunk in a transaction of its
    own) and not returned. `chunk_documents` feedback go through the models at a time: the interval's
    memory follows it, and a chunk's texts are still many enough for the models' length-sorted
    batches to pad little. `on_chunk` takes each chunk's scored feedback as it is done (the pipeline
    sets its rows aside: `cx_nlp.warehouse.spool`), and they are not returned.

    `rescore` reads nothing from the cache: every text, the taxonomy phrases included, is scored and
    embedded again, for when a model's weights changed under the same version (the cache is keyed by
    model name and version, so a new version re-scores without it), and the new vectors replace the
    stored ones."""
    if chunk_documents < 1:
        raise ValueError(f"chunk_documents must be at least 1, not {chunk_documents}")
    assigner = TouchpointAssigner(taxonomy, similarity=registry.embedding.similarity)
    run = _Interval(registry, models, engine, timer, rescore, assigner)
    enriched = Enriched([], 0, 0)
    take_chunk = on_chunk or enriched.scored.extend
    embedding_ref = (registry.embedding.name, registry.embedding.version)
    try:
        # An empty interval still embeds the taxonomy's phrases once (a first run's cache).
        for offset in range(0, max(len(feedback), 1), chunk_documents):
            scored, new_vectors, scored_texts = _enrich_chunk(run, feedback[offset : offset + chunk_documents])
            with engine.begin() as connection:
                store.write_embeddings(connection, rows.embedding_rows(new_vectors, embedding_ref), replace=rescore)
            if rescore:
                run.computed.embedded |= new_vectors.keys()
            take_chunk(scored)
            enriched.scored_texts += scored_texts
            enriched.embedded_texts += len(new_vectors)
    finally:
        run.computed.sentiments.close()
    return enriched


def _enrich_chunk(run: _Interval, feedback: list[Feedback]) -> tuple[list[ScoredDocument], dict[str, np.ndarray], int]:
    """One chunk's documents scored and assigned, the vectors it embedded now and how many texts it
    scored now."""
    registry, computed, rescore = run.registry, run.computed, run.rescore
    segments = {f.feedback_id: split_segments(f.text) for f in feedback}
    segment_hashes = {key: [content_hash(s.text) for s in parts] for key, parts in segments.items()}
    segment_texts = {h: s.text for key, parts in segments.items() for s, h in zip(parts, segment_hashes[key])}
    # Taxonomy phrases share the embedding cache with feedback; the first chunk reads (or embeds) them.
    phrases = [] if run.assigner_fitted else run.assigner.phrases()
    phrase_hashes = {content_hash(p): p for p in phrases}
    texts = {f.content_hash: f.text for f in feedback} | segment_texts
    known = computed.sentiments.take(texts)
    sentiments = dict(known)
    wanted = [h for h in [*texts, *phrase_hashes] if not rescore or h in computed.embedded]
    with run.engine.connect() as connection:
        if not rescore:
            unknown = [h for h in texts if h not in sentiments]
            sentiments |= store.cached_sentiment(
                connection, unknown, registry.sentiment.name, registry.sentiment.version
            )
        vectors = store.cached_embeddings(connection, wanted, registry.embedding.name, registry.embedding.version)
    unread = set()
    for item in feedback:
        if not registry.sentiment.reads(item.language):
            unread |= {item.content_hash, *segment_hashes[item.feedback_id]}
    scored_texts = _score_sentiment(registry, run.models, texts, unread, sentiments, run.timer)
    computed.sentiments.update({h: tone for h, tone in sentiments.items() if h not in known})
    new_vectors = _embed(run.models, texts | phrase_hashes, vectors, run.timer)
    documents, segment_touchpoints = _assign_touchpoints(run, feedback, segments, segment_hashes, vectors)
    scored = []
    calibration = run.models.tone_calibration if registry.sentiment.tone_calibration else None
    for item, assignments, part_touchpoints in zip(feedback, documents, segment_touchpoints):
        key = item.feedback_id
        parts = _scored_segments(segments[key], segment_hashes[key], part_touchpoints, sentiments, assignments[0])
        tone = sentiments[item.content_hash]
        if calibration is not None and tone.label != UNSCORED and calibration.applies(len(parts)):
            tone = document_tone(tone, parts, calibration)
            # A segment that is the whole text has the document's tone, however the cache last held it.
            parts = [replace(p, sentiment=tone) if p.content_hash == item.content_hash else p for p in parts]
        scored.append(ScoredDocument(item, tone, assignments, parts))
    return scored, new_vectors, scored_texts


def document_tone(
    document: SentimentScore, segments: list[ScoredSegment], calibration: ToneCalibration
) -> SentimentScore:
    """The document's label and score from its segments' tones through the fitted aggregation.

    The stored probabilities stay the model's own chunk mean, so a rerun aggregates the same inputs
    again and never feeds an aggregate back into itself.
    """
    label, probabilities = calibration.label(
        (document.negative, document.neutral, document.positive),
        [(s.sentiment.negative, s.sentiment.neutral, s.sentiment.positive) for s in segments],
    )
    return replace(document, label=label, score=round(float(probabilities[2] - probabilities[0]), 6))


def _score_sentiment(
    registry: ModelRegistry,
    models: Models,
    texts: dict[str, str],
    unread: set[str],
    sentiments: dict[str, SentimentScore],
    timer: StageTimer,
) -> int:
    """Scores the texts `sentiments` lacks, into it; returns how many were scored. Texts in a language
    the model does not read are `unscored`, never given a made-up tone."""
    entry = registry.sentiment
    for text_hash in unread:
        if text_hash not in sentiments:
            sentiments[text_hash] = SentimentScore(UNSCORED, 0.0, 0.0, 0.0, 0.0, 0, entry.name, entry.version)
    to_score = sorted((h, text) for h, text in texts.items() if h not in sentiments)
    with timer.stage("sentiment", len(to_score)) as advance:
        if to_score:
            scores = models.sentiment.score([text for _, text in to_score], progress=advance)
            sentiments.update({h: s for (h, _), s in zip(to_score, scores)})
    return len(to_score)


def _embed(
    models: Models, wanted: dict[str, str], vectors: dict[str, np.ndarray], timer: StageTimer
) -> dict[str, np.ndarray]:
    """Embeds the texts `vectors` lacks, into it; returns the new vectors."""
    to_embed = sorted((h, text) for h, text in wanted.items() if h not in vectors)
    new_vectors: dict[str, np.ndarray] = {}
    with timer.stage("embed", len(to_embed)) as advance:
        if to_embed:
            encoded = models.embedder.encode([text for _, text in to_embed], progress=advance)
            new_vectors = dict(zip([h for h, _ in to_embed], encoded))
            vectors.update(new_vectors)
    return new_vectors


def _assign_touchpoints(
    run: _Interval,
    feedback: list[Feedback],
    segments: dict[str, list[Segment]],
    segment_hashes: dict[str, list[str]],
    vectors: dict[str, np.ndarray],
) -> tuple[list[list[TouchpointAssignment]], list[list[TouchpointAssignment]]]:
    """Each feedback's touchpoints, best first, and each of its segments' best touchpoint: every
    feedback in one pass over the taxonomy's phrases, every segment in another."""
    with run.timer.stage("touchpoints", len(feedback)) as advance:
        assigner = run.assigner
        if not run.assigner_fitted:
            assigner.fit(lambda phrases: np.array([vectors[content_hash(p)] for p in phrases]))
        # A quiet night (or a failed source) can bring no feedback at all: nothing to assign.
        if not feedback:
            return [], []
        matrix = np.array([vectors[f.content_hash] for f in feedback])
        assignments = assigner.assign(matrix, [f.metadata for f in feedback], [f.text for f in feedback])
        parts = [(item, segment) for item in feedback for segment in segments[item.feedback_id]]
        matrix = np.array([vectors[h] for item in feedback for h in segment_hashes[item.feedback_id]])
        best = iter(
            touchpoints[0]
            for touchpoints in assigner.assign(matrix, [i.metadata for i, _ in parts], [s.text for _, s in parts])
        )
        by_feedback = [[next(best) for _ in segments[item.feedback_id]] for item in feedback]
        advance(len(feedback))
    return assignments, by_feedback


def _scored_segments(
    parts: list[Segment],
    hashes: list[str],
    touchpoints: list[TouchpointAssignment],
    sentiments: dict[str, SentimentScore],
    document_touchpoint: TouchpointAssignment,
) -> list[ScoredSegment]:
    """A feedback's segments with their tone and touchpoint. A segment too short to name a touchpoint
    itself ("It never came.") takes its document's: it is about what the document is about."""
    scored = []
    for segment, text_hash, touchpoint in zip(parts, hashes, touchpoints):
        if touchpoint.method == "fallback" and document_touchpoint.touchpoint != touchpoint.touchpoint:
            touchpoint = TouchpointAssignment(
                document_touchpoint.touchpoint, document_touchpoint.confidence, "document"
            )
        scored.append(ScoredSegment(segment, text_hash, sentiments[text_hash], touchpoint))
    return scored
