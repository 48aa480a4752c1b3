"""The nightly pipeline over one data interval: load, normalise, score, embed, assign, mine, write, report.

Each stage is a plain function over typed records; `run_interval` wires them and is what both the
CLI and the Airflow DAG call. Nothing here knows about Airflow.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import numpy as np

from cx_nlp.config import (
    ModelRegistry,
    SourcesConfig,
    Taxonomy,
    load_registry,
    load_sources,
    load_taxonomy,
)
from cx_nlp.embeddings import to_bytes
from cx_nlp.issues import IssueMiner, KnownIssue, match_issue_ids, stop_words_for
from cx_nlp.kpis import SCORE_RANGES, compute_kpis
from cx_nlp.normalise import clean_text, content_hash, detect_language
from cx_nlp.pii import redact_pii
from cx_nlp.registry import Models
from cx_nlp.records import UNSCORED, Feedback, QuarantinedRecord, SentimentScore, SourceRecord, TouchpointAssignment
from cx_nlp.settings import Settings
from cx_nlp.sources.ingest import ingest
from cx_nlp.sources.streams import MemoryStateStore
from cx_nlp.touchpoints import TouchpointAssigner
from cx_nlp.warehouse import store
from cx_nlp.warehouse.state import WarehouseStateStore
from cx_nlp.warehouse.store import WindowDocument

log = logging.getLogger(__name__)

# An issue is "emerging" when its last week holds at least this many documents and at least twice
# its weekly rate over the rest of the window, plus a margin for small counts (a Poisson-style guard
# so that 1 -> 3 documents is not an alert).
EMERGING_MIN_RECENT = 5
EMERGING_RATIO = 2.0
EMERGING_MARGIN = 2.0
RECENT_DAYS = 7
# An issue's impact on a touchpoint score needs at least this many answers left without the issue.
MIN_SCORES_LEFT = 5


def interval_run_id(start: date, end: date) -> str:
    """One id per data interval: a rerun rewrites the same run, it does not add another."""
    return f"{start.isoformat()}_{end.isoformat()}"


# ---------------------------------------------------------------- progress and timing


class StageTimer:
    """Per-stage wall time, documents and a rich progress bar (or none, for tests and Airflow logs)."""

    def __init__(self, show: bool):
        self.show = show
        self.seconds: dict[str, float] = {}
        self.documents: dict[str, int] = {}
        self._progress = None
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )

    def __enter__(self) -> "StageTimer":
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        task = self._progress.add_task(name, total=max(total, 1)) if self._progress else None
        started = time.perf_counter()

        def advance(n: int = 1) -> None:
            if task is not None:
                self._progress.advance(task, n)

        try:
            yield advance
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)
            self.documents[name] = total
            if task is not None:
                self._progress.update(task, completed=max(total, 1))

    def rates(self) -> dict[str, float]:
        return {n: round(self.documents[n] / s, 1) for n, s in self.seconds.items() if s > 0 and self.documents[n]}


# ---------------------------------------------------------------- stages


@dataclass
class NormaliseResult:
    feedback: list[Feedback] = field(default_factory=list)
    # (feedback_id of the dropped record, raw key, feedback_id it duplicates)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # raw keys replaced by a later version of the record


def feedback_id_of(record: SourceRecord) -> str:
    return f"{record.source}:{record.external_id}"


def normalise(
    records: Sequence[SourceRecord],
    payloads: dict[tuple[str, str], dict],
    earlier_owner: Callable[[Sequence[str]], dict[str, str]] = lambda hashes: {},
) -> NormaliseResult:
    """Clean, redact PII, hash and detect language; dedupe on (source, id), then on content.

    PII is redacted here, before any text is stored in `feedback` or reaches a model.
    `earlier_owner` maps content hashes to feedback already stored for other intervals.
    """
    result = NormaliseResult()
    latest: dict[str, SourceRecord] = {}
    for record in records:
        key = feedback_id_of(record)
        if key in latest and latest[key].raw_record_key != record.raw_record_key:
            # The same record delivered again with other content: the later row is the current version.
            result.superseded.append(latest[key].raw_record_key)
        latest[key] = record
    candidates: list[Feedback] = []
    for record in sorted(latest.values(), key=lambda r: (r.created_at, r.source, r.external_id)):
        cleaned = clean_text(record.text)
        if not cleaned:
            result.quarantined.append(
                QuarantinedRecord(
                    record.source,
                    record.raw_record_key,
                    "text",
                    f"record {record.external_id!r}: no text left after removing markup and quoted replies",
                    payloads.get((record.source, record.raw_record_key), {}),
                )
            )
            continue
        redaction = redact_pii(cleaned)
        language, confidence = detect_language(redaction.text)
        candidates.append(
            Feedback(
                feedback_id=feedback_id_of(record),
                source=record.source,
                external_id=record.external_id,
                source_kind=record.source_kind,
                text=redaction.text,
                content_hash=content_hash(redaction.text),
                language=language,
                language_confidence=round(float(confidence), 4),
                created_at=record.created_at,
                rating=record.rating,
                metadata=record.metadata,
                pii_redactions=dict(redaction.counts),
                raw_record_key=record.raw_record_key,
            )
        )
    owners = dict(earlier_owner([f.content_hash for f in candidates]))
    for item in candidates:
        owner = owners.get(item.content_hash)
        if owner is not None and owner != item.feedback_id:
            result.duplicates.append((item.feedback_id, item.raw_record_key, owner))
            continue
        owners[item.content_hash] = item.feedback_id
        result.feedback.append(item)
    return result


@dataclass
class ScoredDocument:
    feedback: Feedback
    sentiment: SentimentScore
    embedding: np.ndarray
    touchpoints: list[TouchpointAssignment]


@dataclass
class MinedIssue:
    row: dict
    members: list[dict]
    daily: list[dict]


@dataclass
class MinedWindow:
    issues: list[MinedIssue]
    silent: list[str]  # prior issues that fell silent: resolved
    merged: dict[str, str]  # prior issue id -> the issue it was merged into
    lineage: list[dict]  # merged_into / split_from events of this window
    outlier_share: float


def issue_figures(
    members: Sequence[WindowDocument],
    touchpoint_documents: Sequence[WindowDocument],
    window_end: date,
    window_days: int,
) -> dict:
    """Volume, tone, scores, impact, last day and status of an issue's feedback in the window."""
    days = [d.created_day for d in members]
    return {
        "volume": len(members),
        "volume_last_7_days": sum(d >= window_end - timedelta(days=RECENT_DAYS) for d in days),
        **tone(members),
        "mean_rating": mean_review_rating(members),
        **survey_kpis(members),
        **impact(members, touchpoint_documents),
        "last_seen": max(days),
        "status": issue_status(days, window_end, window_days),
    }


def issue_status(days: Sequence[date], window_end: date, window_days: int) -> str:
    recent_start = window_end - timedelta(days=RECENT_DAYS)
    recent = sum(1 for d in days if d >= recent_start)
    earlier = len(days) - recent
    earlier_weeks = max((window_days - RECENT_DAYS) / 7, 1.0)
    baseline = earlier / earlier_weeks
    if recent >= EMERGING_MIN_RECENT and recent >= EMERGING_RATIO * baseline + EMERGING_MARGIN:
        return "emerging"
    return "active"


def group_by(items, key: Callable) -> dict:
    groups: dict = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups


def tone(documents: Sequence[WindowDocument]) -> dict:
    """Negative share and mean sentiment over the documents the sentiment model could read."""
    scored = [d for d in documents if d.label != UNSCORED]
    if not scored:
        return {"negative_share": 0.0, "mean_sentiment": 0.0}
    return {
        "negative_share": round(sum(d.label == "negative" for d in scored) / len(scored), 4),
        "mean_sentiment": round(float(np.mean([d.score for d in scored])), 4),
    }


def daily_rows(key: dict, documents: Sequence[WindowDocument]) -> list[dict]:
    by_day = group_by(documents, lambda d: d.created_day)
    rows = []
    for day in sorted(by_day):
        group = by_day[day]
        row = {**key, "day": day, "volume": len(group), **tone(group)}
        rows.append(row)
    return rows


def survey_kpis(documents: Sequence[WindowDocument]) -> dict:
    """NPS, CSAT and CES of the documents that carry a survey score, with their response counts."""
    found = compute_kpis((d.score_type, d.rating) for d in documents if d.score_type and d.rating is not None)
    columns: dict = {}
    for kind in SCORE_RANGES:
        kpi = found.get(kind)
        columns[kind] = round(kpi.value, 2) if kpi else None
        columns[f"{kind}_responses"] = kpi.responses if kpi else 0
    return columns


def impact(members: Sequence[WindowDocument], touchpoint_documents: Sequence[WindowDocument]) -> dict:
    """How the touchpoint's mean star rating, NPS, CSAT and CES would change without this issue's feedback.

    Positive means the issue costs the touchpoint that much: stars, NPS points, CSAT percentage points,
    CES points (on the 1-7 "it was easy" scale, where higher is better). None where the touchpoint has
    no such score, or where fewer than MIN_SCORES_LEFT of them would be left without the issue: an NPS
    of the one answer left is no baseline (on the sample, a refund issue holding 5 of the returns
    touchpoint's 6 answers showed +133 NPS points).
    """
    member_ids = {d.feedback_id for d in members}
    rest = [d for d in touchpoint_documents if d.feedback_id not in member_ids]
    with_issue, without_issue = _touchpoint_scores(touchpoint_documents), _touchpoint_scores(rest)
    result = {}
    for kind, (value, _) in with_issue.items():
        left, count_left = without_issue[kind]
        enough = value is not None and left is not None and count_left >= MIN_SCORES_LEFT
        result[f"{kind}_impact"] = round(left - value, 3 if kind == "rating" else 2) if enough else None
    return result


def _touchpoint_scores(documents: Sequence[WindowDocument]) -> dict[str, tuple[float | None, int]]:
    """Each score (stars, then every survey KPI) with the number of answers behind it."""
    kpis = survey_kpis(documents)
    return {
        "rating": (mean_review_rating(documents), len(star_ratings(documents))),
        **{kind: (kpis[kind], kpis[f"{kind}_responses"]) for kind in SCORE_RANGES},
    }


def star_ratings(documents: Sequence[WindowDocument]) -> list[float]:
    # Only reviews carry stars: NPS (0-10) and other survey scales do not share their scale.
    return [d.rating for d in documents if d.rating is not None and d.source_kind == "review"]


def mean_review_rating(documents: Sequence[WindowDocument]) -> float | None:
    ratings = star_ratings(documents)
    return round(float(np.mean(ratings)), 3) if ratings else None


MULTILINGUAL = "multi"


def language_group(language: str, embedding_languages: Sequence[str]) -> str:
    """Which feedback is clustered together: what the embedding model reads, each other language apart."""
    if not embedding_languages:
        return MULTILINGUAL
    if language in embedding_languages or language == "und":
        return "+".join(sorted(embedding_languages))
    return language


# What the customer's own score says is praise: 4-5 stars, NPS promoters, CSAT 4-5.
_PRAISE_FROM = {None: 4, "nps": 9, "csat": 4}


def might_be_a_problem(document: WindowDocument) -> bool:
    """Issues are problems: positive feedback is not clustered.

    Feedback the sentiment model does not read (another language) is kept unless its own score marks
    it as praise, so a French complaint still reaches an issue instead of being dropped unseen.
    """
    if document.label in ("negative", "neutral"):
        return True
    if document.label != UNSCORED:
        return False
    praise = _PRAISE_FROM.get(document.score_type)  # CES: whether low effort is praise depends on the scale
    return document.rating is None or praise is None or document.rating < praise


def mine_issues(
    documents: Sequence[WindowDocument],
    prior: Sequence[dict],
    window_start: date,
    window_end: date,
    run_id: str,
    taken_ids: set[str] = frozenset(),
    miner_factory: Callable[..., IssueMiner] = IssueMiner,
    match_threshold: float = 0.8,
    embedding_languages: Sequence[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> MinedWindow:
    """Cluster each touchpoint's non-positive feedback of the window into issues with stable ids.

    `prior` is every issue as the previous window left it: documents close to one join it first, the
    rest are clustered, and a new cluster that matches a prior issue's centre continues it.
    `taken_ids` are ids other windows own; new issues are numbered past them.
    Two known issues that turn out to be one problem merge (the absorbed id is marked `merged`), and
    a known issue whose documents now form clearly different problems splits; both are recorded as
    lineage, so an analyst following an old id finds where its feedback went.

    `embedding_languages` are the languages the embedding model was trained on (empty: a multilingual
    model). Feedback in another language is clustered in its own language group, never mixed into
    issues whose centres an English-only model drew.

    `aliases` are analysts' merges (`cx-nlp issues merge`), absorbed issue id -> the issue it is part
    of, across touchpoints too. The absorbed issue is still mined in its own touchpoint, so its centre
    keeps drawing the feedback that reads like it, and that feedback is then counted under the other
    issue (`fold_aliases`).
    """
    aliases = aliases or {}
    by_group = group_by(
        (d for d in documents if might_be_a_problem(d) and d.embedding is not None),
        lambda d: (d.touchpoint, language_group(d.language, embedding_languages)),
    )
    everything_by_touchpoint = group_by(documents, lambda d: d.touchpoint)
    existing_ids = set(taken_ids) | {k["issue_id"] for k in prior}
    first_seen = {k["issue_id"]: k["first_seen"] for k in prior}
    mined: list[MinedIssue] = []
    matched: set[str] = set()
    merged: dict[str, str] = {}
    lineage: list[dict] = []
    clustered = outliers = 0
    window_days = (window_end - window_start).days
    main_group = language_group("und", embedding_languages)
    for touchpoint, language in sorted(by_group):
        group = by_group[touchpoint, language]
        candidates = [
            KnownIssue(k["issue_id"], touchpoint, k["centroid"])
            for k in prior
            if k["touchpoint"] == touchpoint
            and (k.get("language") or main_group) == language
            and (k["status"] != "merged" or k["issue_id"] in aliases)
        ]
        # Keywords skip the function words of every language that is a tenth of the group or more.
        spoken = Counter(d.language for d in group)
        miner = miner_factory(
            stop_words=stop_words_for(code for code, count in spoken.items() if count >= 0.1 * len(group))
        ).fit(
            [d.text for d in group],
            np.array([d.embedding for d in group]),
            known_centroids=np.array([c.centroid for c in candidates]) if candidates else None,
        )
        clustered += len(group)
        outliers += int((miner.labels_ == -1).sum())
        ids = [candidates[c.known].issue_id if c.known is not None else None for c in miner.clusters_]
        fresh = [i for i, c in enumerate(miner.clusters_) if c.known is None]
        free = [c for c in candidates if c.issue_id not in ids]
        fresh_ids = match_issue_ids(
            touchpoint, [miner.clusters_[i].centroid for i in fresh], free, existing_ids, match_threshold
        )
        for index, issue_id in zip(fresh, fresh_ids):
            ids[index] = issue_id
        existing_ids.update(fresh_ids)
        event = {"window_end": window_end, "run_id": run_id}
        for issue_id, cluster in zip(ids, miner.clusters_):
            # A merged problem was first seen when the earliest of its issues was.
            inherited = [first_seen[candidates[index].issue_id] for index in cluster.absorbed]
            for index in cluster.absorbed:
                merged[candidates[index].issue_id] = issue_id
                lineage.append({"issue_id": candidates[index].issue_id, "related_issue_id": issue_id, "event": "merged_into"} | event)
            # A split part that matched another known issue's centre continues that one: no split.
            if cluster.split_from is not None and issue_id in fresh_ids:
                parent = candidates[cluster.split_from].issue_id
                lineage.append({"issue_id": issue_id, "related_issue_id": parent, "event": "split_from"} | event)
            matched.add(issue_id)
            members = [group[i] for i in cluster.members]
            days = [d.created_day for d in members]
            mined.append(
                MinedIssue(
                    row={
                        "issue_id": issue_id,
                        "touchpoint": touchpoint,
                        "language": language,
                        "label": cluster.label,
                        "keywords": cluster.keywords,
                        "representatives": [
                            {"feedback_id": group[i].feedback_id, "text": group[i].text} for i in cluster.representatives
                        ],
                        "centroid": to_bytes(cluster.centroid),
                        **issue_figures(members, everything_by_touchpoint[touchpoint], window_end, window_days),
                        "first_seen": min([*days, first_seen.get(issue_id, max(days)), *inherited]),
                        "window_end": window_end,
                        "run_id": run_id,
                    },
                    members=[
                        {
                            "issue_id": issue_id,
                            "feedback_id": member.feedback_id,
                            "similarity": round(float(similarity), 4),
                            "method": method,
                        }
                        for member, similarity, method in zip(members, cluster.similarities, cluster.methods)
                    ],
                    daily=daily_rows({"issue_id": issue_id}, members),
                )
            )
    if aliases:
        mined = fold_aliases(
            mined, aliases, documents, prior, everything_by_touchpoint, window_end, window_days, run_id, merged, lineage
        )
        matched.update(m.row["issue_id"] for m in mined)
    silent = sorted(
        k["issue_id"]
        for k in prior
        if k["issue_id"] not in matched and k["issue_id"] not in merged and k["status"] not in ("resolved", "merged")
    )
    return MinedWindow(mined, silent, merged, lineage, outliers / clustered if clustered else 0.0)


def fold_aliases(
    mined: list[MinedIssue],
    aliases: Mapping[str, str],
    documents: Sequence[WindowDocument],
    prior: Sequence[dict],
    everything_by_touchpoint: Mapping[str, Sequence[WindowDocument]],
    window_end: date,
    window_days: int,
    run_id: str,
    merged: dict[str, str],
    lineage: list[dict],
) -> list[MinedIssue]:
    """Count each absorbed issue's feedback of tonight under the issue analysts merged it into.

    The kept issue keeps its id, touchpoint, centre, label and verbatims (those of the absorbed issue
    where the kept one found nothing of its own tonight); its figures are recomputed over both issues'
    feedback, and its impact over its touchpoint's feedback plus the absorbed feedback. The absorbed id
    goes into `merged`, so it is written with status merged, and into `lineage` (`merged_into`) on the
    first night only. A merge applies to issues known before tonight: an issue a backfill of an earlier
    window finds afresh is mined as it is.
    """
    by_id = {m.row["issue_id"]: m for m in mined}
    earlier = {k["issue_id"]: k for k in prior}
    document_of = {d.feedback_id: d for d in documents}
    for source, target in sorted(aliases.items()):
        # The kept issue may itself have been merged into another tonight, by the miner.
        target = merged.get(target, target)
        absorbed = by_id.get(source)
        kept = by_id.get(target)
        if absorbed is None or source not in earlier:
            continue
        if kept is None and earlier.get(target, {}).get("status", "merged") == "merged":
            continue  # nothing to carry the feedback: the kept issue is unknown or gone into another
        del by_id[source]
        if kept is None:
            # The kept issue found nothing of its own tonight: it carries the absorbed feedback.
            base = absorbed.row | {
                key: earlier[target][key] for key in ("touchpoint", "language", "label", "first_seen")
            } | {"issue_id": target, "centroid": to_bytes(earlier[target]["centroid"])}
            kept_members: list[dict] = []
        else:
            base, kept_members = kept.row, kept.members
        members = kept_members + [row | {"issue_id": target} for row in absorbed.members]
        feedback = [document_of[row["feedback_id"]] for row in members]
        touchpoint_documents = {d.feedback_id: d for d in everything_by_touchpoint.get(base["touchpoint"], [])}
        touchpoint_documents.update((d.feedback_id, d) for d in feedback)
        by_id[target] = MinedIssue(
            row=base
            | issue_figures(feedback, list(touchpoint_documents.values()), window_end, window_days)
            | {"first_seen": min(base["first_seen"], absorbed.row["first_seen"]), "run_id": run_id},
            members=members,
            daily=daily_rows({"issue_id": target}, feedback),
        )
        merged[source] = target
        if earlier.get(source, {}).get("status") != "merged":
            lineage.append(
                {
                    "issue_id": source,
                    "related_issue_id": target,
                    "event": "merged_into",
                    "window_end": window_end,
                    "run_id": run_id,
                }
            )
    return list(by_id.values())


@dataclass
class IngestResult:
    run_id: str
    sources: list[str]
    stats: dict
    source_failures: dict[str, str]


@dataclass
class RunResult:
    run_id: str
    interval_start: date
    interval_end: date
    stats: dict
    issues: list[dict]
    report_path: Path | None


@dataclass
class PipelineContext:
    settings: Settings
    sources: SourcesConfig
    taxonomy: Taxonomy
    registry: ModelRegistry
    models: Models

    @classmethod
    def from_settings(cls, settings: Settings, models: Models | None = None) -> "PipelineContext":
        """Validate all configuration up front so a bad file fails before any work is done."""
        registry = load_registry(settings.path(settings.model_registry))
        return cls(
            settings=settings,
            sources=load_sources(settings.path(settings.sources_config)),
            taxonomy=load_taxonomy(settings.path(settings.touchpoints_config)),
            registry=registry,
            models=models or Models(registry, settings.home),
        )


def _select_sources(sources: SourcesConfig, names: Sequence[str] | None) -> SourcesConfig:
    if names is None:
        return sources
    known = {s.name for s in sources.sources}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; configured: {sorted(known)}")
    return SourcesConfig.model_construct(sources=[s for s in sources.sources if s.name in set(names)])


def ingest_interval(
    context: PipelineContext,
    engine,
    start: date,
    end: date,
    sources: Sequence[str] | None = None,
    backfill: bool = False,
    timer: StageTimer | None = None,
) -> IngestResult:
    """Load, normalise, score, embed and assign the interval's feedback, and store it in one transaction.

    `sources` limits the run to some sources (one Airflow task per source). `backfill` ignores the
    connectors' bookmarks and reads from `start` again; rows already stored are upserted, not doubled.
    """
    if end <= start:
        raise ValueError(f"interval end {end} must be after start {start}")
    settings, registry = context.settings, context.registry
    selected = _select_sources(context.sources, sources)
    run_id = interval_run_id(start, end)
    sentiment_ref = (registry.sentiment.name, registry.sentiment.version)
    embedding_ref = (registry.embedding.name, registry.embedding.version)
    timer = timer or StageTimer(False)

    with timer.stage("load", len(selected.sources)) as advance:
        with engine.connect() as connection:
            bookmarks = MemoryStateStore({} if backfill else WarehouseStateStore(connection).all())
        loads, source_failures = ingest(selected, settings.home, start, end, bookmarks)
        advance(len(selected.sources))
    records = [r for load in loads for r in load.records]
    payloads = {(raw.source, raw.record_key): raw.payload for load in loads for raw in load.raw}

    with timer.stage("normalise", len(records)) as advance:
        with engine.connect() as connection:
            normalised = normalise(
                records, payloads, lambda hashes: store.content_owners_outside(connection, hashes, start, end)
            )
        advance(len(records))
    feedback = normalised.feedback
    assigner = TouchpointAssigner(context.taxonomy, similarity=context.registry.embedding.similarity)
    # Taxonomy phrases share the embedding cache with feedback: a rerun loads no model at all.
    phrase_hashes = {content_hash(p): p for p in assigner.phrases()}
    with engine.connect() as connection:
        sentiments = store.cached_sentiment(connection, [f.content_hash for f in feedback], *sentiment_ref)
        vectors = store.cached_embeddings(
            connection, [f.content_hash for f in feedback] + list(phrase_hashes), *embedding_ref
        )
    entry = registry.sentiment
    for item in feedback:
        if not entry.reads(item.language) and item.content_hash not in sentiments:
            sentiments[item.content_hash] = SentimentScore(UNSCORED, 0.0, 0.0, 0.0, 0.0, 0, entry.name, entry.version)
    to_score = sorted({f.content_hash: f.text for f in feedback if f.content_hash not in sentiments}.items())
    with timer.stage("sentiment", len(to_score)) as advance:
        if to_score:
            scores = context.models.sentiment.score([text for _, text in to_score], progress=advance)
            sentiments.update({h: s for (h, _), s in zip(to_score, scores)})
    wanted = {f.content_hash: f.text for f in feedback} | phrase_hashes
    to_embed = sorted((h, text) for h, text in wanted.items() if h not in vectors)
    new_vectors: dict[str, np.ndarray] = {}
    with timer.stage("embed", len(to_embed)) as advance:
        if to_embed:
            encoded = context.models.embedder.encode([text for _, text in to_embed], progress=advance)
            new_vectors = dict(zip([h for h, _ in to_embed], encoded))
            vectors.update(new_vectors)

    with timer.stage("touchpoints", len(feedback)) as advance:
        assigner.fit(lambda phrases: np.array([vectors[content_hash(p)] for p in phrases]))
        # A quiet night (or a failed source) can bring no feedback at all: nothing to assign.
        matrix = np.array([vectors[f.content_hash] for f in feedback]) if feedback else np.zeros((0, 1))
        assignments = (
            assigner.assign(matrix, [f.metadata for f in feedback], [f.text for f in feedback]) if feedback else []
        )
        advance(len(feedback))
    scored = [
        ScoredDocument(f, sentiments[f.content_hash], vectors[f.content_hash], a) for f, a in zip(feedback, assignments)
    ]

    quarantined = [q for load in loads for q in load.quarantined] + normalised.quarantined
    write = _ingest_write(run_id, start, end, loads, normalised, quarantined, scored, new_vectors, embedding_ref)
    with timer.stage("write", len(feedback)) as advance:
        with engine.begin() as connection:
            store.write_ingest(connection, write)
        advance(len(feedback))
    rows_read = sum(len(load.raw) for load in loads)
    stats = {
        "raw": len(write.raw_records),
        "quarantined": len(quarantined),
        # Content duplicates plus rows delivered twice byte for byte (they land once).
        "duplicates": len(normalised.duplicates) + rows_read - len(write.raw_records),
        "superseded": len(normalised.superseded),
        "feedback": len(feedback),
        "pii_redactions": sum(sum(f.pii_redactions.values()) for f in feedback),
        "scored": len(to_score),
        "embedded": len(to_embed),
        "languages": dict(sorted(Counter(f.language for f in feedback).items())),
        "unscored_language": sum(sentiments[f.content_hash].label == UNSCORED for f in feedback),
    }
    return IngestResult(run_id, [s.name for s in selected.sources], stats, source_failures)


def mine_window(context: PipelineContext, engine, start: date, end: date, timer: StageTimer | None = None) -> tuple[list[dict], dict]:
    """Mine the issues of the window ending at `end` from what the warehouse holds, in one transaction."""
    settings, registry = context.settings, context.registry
    run_id = interval_run_id(start, end)
    window_start = window_start_of(settings, start, end)
    embedding_ref = (registry.embedding.name, registry.embedding.version)
    timer = timer or StageTimer(False)
    with engine.connect() as connection:
        window = store.window_documents(connection, window_start, end, embedding_ref)
        prior = store.prior_issues(connection, end)
        taken = store.taken_issue_ids(connection, end)
        aliases = store.issue_merges(connection)
    with timer.stage("issues", len(window)) as advance:
        embedding = registry.embedding
        result = mine_issues(
            window,
            prior,
            window_start,
            end,
            run_id,
            taken,
            miner_factory=partial(
                IssueMiner, similarity=embedding.similarity, centre_similarity=embedding.centre_similarity
            ),
            match_threshold=embedding.centre_similarity(0.8),
            embedding_languages=embedding.languages,
            aliases=aliases,
        )
        mined = result.issues
        advance(len(window))
    by_touchpoint = group_by(window, lambda d: d.touchpoint)
    touchpoint_daily = []
    for touchpoint in sorted(by_touchpoint):
        documents = by_touchpoint[touchpoint]
        for row in daily_rows({"touchpoint": touchpoint}, documents):
            that_day = [d for d in documents if d.created_day == row["day"]]
            row["mean_rating"] = mean_review_rating(that_day)
            row.update(survey_kpis(that_day))
            touchpoint_daily.append(row)
    with engine.begin() as connection:
        store.write_issues(
            connection,
            store.IssuesWrite(
                window_start=window_start,
                window_end=end,
                issues=[m.row for m in mined],
                resolved_issue_ids=result.silent,
                merged_issues=[
                    prior_row | {"status": "merged", "window_end": end, "centroid": to_bytes(prior_row["centroid"])}
                    for prior_row in prior
                    if prior_row["issue_id"] in result.merged
                ],
                lineage=result.lineage,
                issue_members=[row for m in mined for row in m.members],
                issue_daily=[row for m in mined for row in m.daily],
                touchpoint_daily=touchpoint_daily,
            ),
        )
    issues = sorted((m.row for m in mined), key=lambda r: (r["touchpoint"], -r["volume"], r["issue_id"]))
    stats = {
        "window_documents": len(window),
        "issues": len(mined),
        "resolved_issues": len(result.silent),
        # Merges recorded tonight; an analyst's merge folds its issue every night but is recorded once.
        "merged_issues": sum(e["event"] == "merged_into" for e in result.lineage),
        "split_issues": sum(e["event"] == "split_from" for e in result.lineage),
        "outlier_share": round(result.outlier_share, 4),
    }
    return issues, stats


def window_start_of(settings: Settings, start: date, end: date) -> date:
    return min(start, end - timedelta(days=settings.issue_window_days))


def begin_run(context: PipelineContext, engine, start: date, end: date) -> str:
    run_id = interval_run_id(start, end)
    registry = context.registry
    with engine.begin() as connection:
        store.start_run(
            connection,
            run_id,
            start,
            end,
            window_start_of(context.settings, start, end),
            (registry.sentiment.ref, registry.embedding.ref),
        )
    return run_id


def finish_interval(
    context: PipelineContext,
    engine,
    start: date,
    end: date,
    ingests: Sequence[IngestResult],
    timer: StageTimer | None = None,
    started: float | None = None,
) -> RunResult:
    """Mine the window, write the report and close the interval's run with the stats of its ingests.

    `started` is the perf_counter() at which the whole run began, for its wall time.
    """
    started = started if started is not None else time.perf_counter()
    run_id = interval_run_id(start, end)
    issues, mine_stats = mine_window(context, engine, start, end, timer)
    stats: dict = {}
    for result in ingests:
        for key, value in result.stats.items():
            if isinstance(value, dict):
                merged = stats.setdefault(key, {})
                for name, count in value.items():
                    merged[name] = merged.get(name, 0) + count
            else:
                stats[key] = stats.get(key, 0) + value
    failures = {name: reason for result in ingests for name, reason in result.source_failures.items()}
    stats.update(mine_stats)
    stats["source_failures"] = failures
    if timer is not None:
        stats["stage_seconds"] = timer.seconds
        stats["documents_per_second"] = timer.rates()
    from cx_nlp.report import write_report
    from cx_nlp.warehouse.report_query import load_report_data

    with engine.connect() as connection:
        report_data = load_report_data(connection, run_id, stats)
    report_path = write_report(report_data, context.settings.path(context.settings.report_dir) / f"cx-report-{run_id}.html")
    stats["seconds"] = round(time.perf_counter() - started, 3)
    with engine.begin() as connection:
        store.finish_run(connection, run_id, "partial" if failures else "succeeded", stats, report_path=str(report_path))
    return RunResult(run_id, start, end, stats, issues, report_path)


def run_interval(context: PipelineContext, engine, start: date, end: date) -> RunResult:
    """The nightly job for [start, end): ingest every source, then mine the window and report."""
    if end <= start:
        raise ValueError(f"interval end {end} must be after start {start}")
    started = time.perf_counter()
    run_id = begin_run(context, engine, start, end)
    try:
        with StageTimer(context.settings.progress) as timer:
            ingested = ingest_interval(context, engine, start, end, timer=timer)
            return finish_interval(context, engine, start, end, [ingested], timer, started)
    except Exception as exc:
        with engine.begin() as connection:
            store.finish_run(connection, run_id, "failed", {}, error=f"{type(exc).__name__}: {exc}")
        raise


def _ingest_write(
    run_id, start, end, loads, normalised, quarantined, scored, new_vectors, embedding_ref
) -> store.IngestWrite:
    quarantined_keys = {(q.source, q.record_key) for q in quarantined}
    duplicate_of = {raw_key: owner for _, raw_key, owner in normalised.duplicates}
    superseded = set(normalised.superseded)
    loaded_by_raw = {(d.feedback.source, d.feedback.raw_record_key): d.feedback.feedback_id for d in scored}
    id_columns = {load.raw[0].source: load.id_column for load in loads if load.raw}
    raw_rows = []
    for load in loads:
        for raw in load.raw:
            key = (raw.source, raw.record_key)
            if key in quarantined_keys:
                status, feedback_id = "quarantined", None
            elif raw.record_key in duplicate_of:
                status, feedback_id = "duplicate", duplicate_of[raw.record_key]
            elif raw.record_key in superseded:
                status, feedback_id = "superseded", None
            else:
                status, feedback_id = "loaded", loaded_by_raw.get(key)
            raw_rows.append(
                {
                    "source": raw.source,
                    "record_key": raw.record_key,
                    "external_id": _external_id(raw.payload, load.id_column),
                    "position": raw.position,
                    "payload": _storable(raw.payload),
                    "status": status,
                    "feedback_id": feedback_id,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                }
            )
    # The same raw row can appear twice in one file (an exact duplicate line): it lands once.
    raw_rows = list({(r["source"], r["record_key"]): r for r in raw_rows}.values())
    quarantine_rows = list(
        {
            (q.source, q.record_key, q.field): {
                "source": q.source,
                "record_key": q.record_key,
                "field": q.field,
                "reason": q.reason,
                "external_id": _external_id(q.payload, id_columns.get(q.source, "")),
                "payload": _storable(q.payload),
                "run_id": run_id,
            }
            for q in quarantined
        }.values()
    )
    feedback_rows, sentiment_rows, touchpoint_rows = [], [], []
    for document in scored:
        f, s = document.feedback, document.sentiment
        feedback_rows.append(
            {
                "feedback_id": f.feedback_id,
                "source": f.source,
                "external_id": f.external_id,
                "source_kind": f.source_kind,
                "text": f.text,
                "content_hash": f.content_hash,
                "language": f.language,
                "language_confidence": f.language_confidence,
                "created_at": f.created_at,
                "created_day": f.created_at.date(),
                "rating": f.rating,
                "metadata": _storable(f.metadata),
                "pii_redactions": f.pii_redactions,
                "raw_record_key": f.raw_record_key,
                "run_id": run_id,
            }
        )
        sentiment_rows.append(
            {
                "feedback_id": f.feedback_id,
                "content_hash": f.content_hash,
                "label": s.label,
                "p_negative": round(s.negative, 6),
                "p_neutral": round(s.neutral, 6),
                "p_positive": round(s.positive, 6),
                "score": round(s.score, 6),
                "chunks": s.chunks,
                "evidence": s.evidence,
                "evidence_negative": s.evidence_negative,
                "model_name": s.model_name,
                "model_version": s.model_version,
            }
        )
        for position, assignment in enumerate(document.touchpoints):
            touchpoint_rows.append(
                {
                    "feedback_id": f.feedback_id,
                    "touchpoint": assignment.touchpoint,
                    "confidence": assignment.confidence,
                    "method": assignment.method,
                    "is_primary": position == 0,
                }
            )
    embedding_rows = [
        {
            "content_hash": content_hash_,
            "model_name": embedding_ref[0],
            "model_version": embedding_ref[1],
            "dimensions": int(vector.shape[0]),
            "vector": to_bytes(vector),
        }
        for content_hash_, vector in sorted(new_vectors.items())
    ]
    return store.IngestWrite(
        run_id=run_id,
        interval_start=start,
        interval_end=end,
        raw_records=raw_rows,
        quarantine=quarantine_rows,
        embeddings=embedding_rows,
        feedback=feedback_rows,
        sentiment=sentiment_rows,
        touchpoints=touchpoint_rows,
        snapshot_sources=sorted(load.source for load in loads if not load.incremental),
        source_states={load.source: load.state for load in loads if load.incremental and load.state is not None},
    )


def _external_id(payload: dict, id_column: str) -> str | None:
    value = payload.get(id_column)
    return str(value) if value not in (None, "") else None


def _storable(value):
    """JSON columns take only JSON: dates and other objects become strings."""
    import json

    return json.loads(json.dumps(value, default=str))
