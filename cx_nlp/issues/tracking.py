"""Issues across nights: each night's clusters continue, merge or split the issues the night before left.

`IssueTracker.track` mines one window per touchpoint and language group with an `IssueMiner`, gives
every cluster a stable id, records merges and splits as lineage, and folds analysts' merges in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from cx_nlp.issues.figures import ScoredTouchpoint, daily_figures, group_by, issue_figures
from cx_nlp.issues.ids import KnownIssue, match_issue_ids
from cx_nlp.issues.keywords import stop_words_for
from cx_nlp.issues.members import ClosestUnits, IssueMembers, MemberFeedback, closest_per_feedback
from cx_nlp.issues.miner import IssueMiner
from cx_nlp.issues.records import (
    Cluster,
    Issue,
    IssueMember,
    IssueWindow,
    LineageEvent,
    MinedIssue,
    MinedWindow,
    PriorIssue,
    Verbatim,
)
from cx_nlp.issues.units import MiningUnit, UnitTexts, might_be_a_problem, window_units
from cx_nlp.records import WindowDocument

__all__ = ["IssueTracker", "fold_aliases", "language_group", "might_be_a_problem"]

MULTILINGUAL = "multi"
# The scores of a touchpoint the window has no feedback of.
NOTHING_SCORED = ScoredTouchpoint([], frozenset())
# The group key of `grouping="across"`: every touchpoint's units clustered together.
ACROSS = "*"
GROUPINGS = ("touchpoint", "across", "auto")
# `grouping="auto"` clusters across touchpoints when one touchpoint (the catch-all included) holds at
# least this share of a language group's problems: the taxonomy does not separate them (BANKING77 under
# the retail taxonomy, 59% billing). The default is "across" everywhere: per touchpoint, one problem
# told under several touchpoints is cut into pieces (airline tweets, 42% in the catch-all: issue NMI
# 0.206 per touchpoint against 0.263 across; the telecom set 0.759 against 0.887).
ACROSS_FROM_SHARE = 0.5
# ... and only in a language group of at least this many units: in a handful (a few French reviews),
# one touchpoint holding half says nothing about the taxonomy.
ACROSS_MIN_UNITS = 60


def language_group(language: str, embedding_languages: Sequence[str]) -> str:
    """Which feedback is clustered together: what the embedding model reads, each other language apart."""
    if not embedding_languages:
        return MULTILINGUAL
    if language in embedding_languages or language == "und":
        return "+".join(sorted(embedding_languages))
    return language


@dataclass
class _Night:
    """What the groups of one window add up to while they are mined one after another."""

    existing_ids: set[str]
    mined: list[MinedIssue] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)
    merged: dict[str, str] = field(default_factory=dict)
    lineage: list[LineageEvent] = field(default_factory=list)
    problem_documents: set[str] = field(default_factory=set)  # feedback with a unit that was clustered
    member_documents: set[str] = field(default_factory=set)  # feedback in at least one issue


class IssueTracker:
    """Clusters each touchpoint's non-positive feedback of a window into issues with stable ids.

    Every issue as the previous window left it (`IssueWindow.prior`) is a candidate: documents close to
    one join it first, the rest are clustered, and a new cluster that matches a prior issue's centre
    continues it. Two known issues that turn out to be one problem merge (the absorbed id is marked
    `merged`), and a known issue whose documents now form clearly different problems splits; both are
    recorded as lineage, so an analyst following an old id finds where its feedback went.

    `embedding_languages` are the languages the embedding model was trained on (empty: a multilingual
    model). Feedback in another language is clustered in its own language group, never mixed into
    issues whose centres an English-only model drew.
    """

    def __init__(
        self,
        miner_factory: Callable[..., IssueMiner] = IssueMiner,
        match_threshold: float = 0.8,
        embedding_languages: Sequence[str] = (),
        neutral_segments: bool = True,
        grouping: str = "touchpoint",
        across_reducer: object | None = None,
    ):
        """`grouping` "touchpoint" clusters each touchpoint's problems apart; "across" clusters all of
        them together and gives each issue the touchpoint most of its feedback speaks of, for feedback
        that a taxonomy does not fit; "auto" chooses per language group (ACROSS_FROM_SHARE).
        `across_reducer`, where given, reduces the groups clustered across touchpoints: they are large
        and hold many close problems, where UMAP keeps neighbours together better than PCA."""
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping {grouping!r}: expected one of {', '.join(GROUPINGS)}")
        self.miner_factory = miner_factory
        self.match_threshold = match_threshold
        self.embedding_languages = tuple(embedding_languages)
        self.neutral_segments = neutral_segments
        self.grouping = grouping
        self.across_reducer = across_reducer

    def track(self, window: IssueWindow) -> MinedWindow:
        units = window_units(window.documents, self.neutral_segments)
        groupings = self.groupings(units)

        def key(unit: MiningUnit) -> tuple[str, str]:
            language = language_group(unit.document.language, self.embedding_languages)
            return (ACROSS if groupings[language] == "across" else unit.touchpoint, language)

        by_group = group_by(units, key)
        by_touchpoint = group_by(window.documents, lambda d: d.touchpoint)
        scored = {name: ScoredTouchpoint.of(documents) for name, documents in by_touchpoint.items()}
        night = _Night(existing_ids=set(window.taken_ids) | {p.issue_id for p in window.prior})
        for touchpoint, language in sorted(by_group):
            self._mine_group(night, window, touchpoint, language, by_group[touchpoint, language], scored)
        mined, merged, lineage = night.mined, night.merged, night.lineage
        if window.aliases:
            mined, merged, folded = fold_aliases(mined, window, merged, scored)
            lineage = lineage + folded
            night.matched.update(m.issue.issue_id for m in mined)
        silent = sorted(
            p.issue_id
            for p in window.prior
            if p.issue_id not in night.matched and p.issue_id not in merged and p.status not in ("resolved", "merged")
        )
        # Outliers are feedback with a problem that no issue took, whatever its units did.
        share = 1 - len(night.member_documents) / len(night.problem_documents) if night.problem_documents else 0.0
        return MinedWindow(mined, silent, merged, lineage, share, groupings)

    def groupings(self, units: Sequence[MiningUnit]) -> dict[str, str]:
        """How each language group's problems are clustered: per touchpoint or across touchpoints."""
        by_language = group_by(units, lambda u: language_group(u.document.language, self.embedding_languages))
        chosen = {}
        for language, members in by_language.items():
            grouping = self.grouping
            if grouping == "auto":
                largest = max(Counter(u.touchpoint for u in members).values())
                fits = largest < ACROSS_FROM_SHARE * len(members) or len(members) < ACROSS_MIN_UNITS
                grouping = "touchpoint" if fits else "across"
            chosen[language] = grouping
        return chosen

    def _candidates(self, window: IssueWindow, touchpoint: str, language: str) -> list[KnownIssue]:
        """The prior issues a group may continue: same touchpoint and language group, not merged away
        (unless analysts merged it, so that its centre keeps drawing the feedback that reads like it)."""
        main_group = language_group("und", self.embedding_languages)
        return [
            KnownIssue(p.issue_id, p.touchpoint, p.centroid)
            for p in window.prior
            if touchpoint in (ACROSS, p.touchpoint)
            and (p.language or main_group) == language
            and (p.status != "merged" or p.issue_id in window.aliases)
        ]

    def _mine_group(
        self,
        night: _Night,
        window: IssueWindow,
        touchpoint: str,
        language: str,
        group: list[MiningUnit],
        scored: dict[str, ScoredTouchpoint],
    ) -> None:
        candidates = self._candidates(window, touchpoint, language)
        # Keywords skip the function words of every language that is a tenth of the group or more.
        spoken = Counter(u.document.language for u in group)
        position = {c.issue_id: i for i, c in enumerate(candidates)}
        previous = [position.get(window.memberships.get((u.document.feedback_id, u.position)), -1) for u in group]
        options = {"reducer": self.across_reducer} if touchpoint == ACROSS and self.across_reducer else {}
        # The group's vectors are a matrix of this fit's own (read or copied): the miner divides it in place.
        miner = self.miner_factory(
            stop_words=stop_words_for(code for code, count in spoken.items() if count >= 0.1 * len(group)),
            copy_embeddings=False,
            **options,
        )
        texts = UnitTexts(group, window.unit_texts)
        miner.fit(
            texts,
            _group_vectors(window, group, miner),
            known_centroids=np.array([c.centroid for c in candidates]) if candidates else None,
            previous=np.array(previous),
            new=None
            if window.mined_through is None
            else np.array([u.document.created_day >= window.mined_through for u in group]),
        )
        night.problem_documents.update(u.document.feedback_id for u in group)
        places = [_place(touchpoint, cluster, group, candidates) for cluster in miner.clusters_]
        ids, fresh_ids = self._issue_ids(places, miner.clusters_, candidates, night.existing_ids)
        night.existing_ids.update(fresh_ids)
        known_place = {c.issue_id: c.touchpoint for c in candidates}
        first_seen = {p.issue_id: p.first_seen for p in window.prior}
        shown = _verbatims(texts, [cluster.representatives for cluster in miner.clusters_])
        for issue_id, cluster, place, verbatims in zip(ids, miner.clusters_, places, shown):
            # A merged problem was first seen when the earliest of its issues was.
            inherited = [first_seen[candidates[index].issue_id] for index in cluster.absorbed]
            for index in cluster.absorbed:
                night.merged[candidates[index].issue_id] = issue_id
                night.lineage.append(
                    LineageEvent(candidates[index].issue_id, issue_id, "merged_into", window.end, window.run_id)
                )
            # A split part that matched another known issue's centre continues that one: no split.
            if cluster.split_from is not None and issue_id in fresh_ids:
                parent = candidates[cluster.split_from].issue_id
                night.lineage.append(LineageEvent(issue_id, parent, "split_from", window.end, window.run_id))
            night.matched.add(issue_id)
            # A cluster that continues a known issue keeps that issue's touchpoint.
            place = known_place.get(issue_id, place)
            mined = _mined_issue(
                issue_id, place, language, cluster, group, verbatims, scored.get(place, NOTHING_SCORED), window
            )
            first = min([mined.issue.first_seen, first_seen.get(issue_id, mined.issue.first_seen), *inherited])
            night.mined.append(replace(mined, issue=replace(mined.issue, first_seen=first)))
            night.member_documents.update(group[i].document.feedback_id for i in cluster.members)

    def _issue_ids(
        self,
        places: Sequence[str],
        clusters: Sequence[Cluster],
        candidates: Sequence[KnownIssue],
        existing_ids: set[str],
    ) -> tuple[list[str], list[str]]:
        """Each cluster's id (a known issue it continues, a free known issue whose centre it matches,
        or a fresh one numbered under its touchpoint `places[i]`) and the ids made fresh tonight."""
        ids = [candidates[c.known].issue_id if c.known is not None else None for c in clusters]
        # A known issue merged into another tonight is written as merged: a new cluster near its old
        # centre must not revive its id as well (one id, two snapshots of one night).
        absorbed = {candidates[index].issue_id for c in clusters for index in c.absorbed}
        all_fresh: list[str] = []
        for place in sorted({places[i] for i, c in enumerate(clusters) if c.known is None}):
            fresh = [i for i, c in enumerate(clusters) if c.known is None and places[i] == place]
            free = [c for c in candidates if c.issue_id not in ids and c.issue_id not in absorbed]
            fresh_ids = match_issue_ids(
                place, [clusters[i].centroid for i in fresh], free, existing_ids | set(all_fresh), self.match_threshold
            )
            for index, issue_id in zip(fresh, fresh_ids):
                ids[index] = issue_id
            all_fresh.extend(fresh_ids)
        return [str(i) for i in ids], all_fresh


def _group_vectors(window: IssueWindow, group: list[MiningUnit], miner: IssueMiner) -> np.ndarray:
    """The group's vectors as one matrix, a row per unit: read from `window.vectors` where the window
    carries none itself, else copied out of its units. Read, they are written a part at a time where
    the miner holds a group of this size (`IssueMiner.empty_rows`: float32, float16, or float16 in a
    file), so a large group's float32 matrix is never whole in memory."""
    dtype = np.float16 if miner.half_rows(len(group)) else np.float32
    if window.vectors is not None:
        return window.vectors([u.content_hash for u in group], dtype=dtype, empty=miner.empty_rows)
    return np.array([u.embedding for u in group], dtype=dtype)


def _place(touchpoint: str, cluster: Cluster, group: list[MiningUnit], candidates: Sequence[KnownIssue]) -> str:
    """The touchpoint an issue is reported under: its group's, or across touchpoints the known issue's
    it continues, else the one most of its units speak of (the first by name on a tie)."""
    if touchpoint != ACROSS:
        return touchpoint
    if cluster.known is not None:
        return candidates[cluster.known].touchpoint
    counts = Counter(group[i].touchpoint for i in cluster.members)
    return min(counts, key=lambda name: (-counts[name], name))


def _mined_issue(
    issue_id: str,
    touchpoint: str,
    language: str,
    cluster: Cluster,
    group: list[MiningUnit],
    representatives: list[Verbatim],
    scored: ScoredTouchpoint,
    window: IssueWindow,
) -> MinedIssue:
    """A cluster of units as an issue over distinct feedback: each feedback counted once, through its
    segment closest to the issue's centre. Its members and their feedback are held as the units they
    are made from (`cx_nlp.issues.members`); the figures read the feedback once, here."""
    closest = ClosestUnits([group[i] for i in cluster.members], cluster.similarities, cluster.methods)
    feedback = MemberFeedback(closest)
    documents = list(feedback)
    issue = Issue(
        issue_id=issue_id,
        touchpoint=touchpoint,
        language=language,
        label=cluster.label,
        keywords=cluster.keywords,
        representatives=representatives,
        centroid=cluster.centroid,
        # Impact compares the touchpoint with and without the issue's feedback, wherever that feedback sits.
        figures=issue_figures(documents, scored.around(documents), window.end, window.days),
        first_seen=min(d.created_day for d in documents),
        window_end=window.end,
        run_id=window.run_id,
    )
    return MinedIssue(issue, IssueMembers(issue_id, closest), daily_figures(documents), feedback)


def _verbatims(texts: UnitTexts, representatives: Sequence[Sequence[int]]) -> list[list[Verbatim]]:
    """For each issue's representatives (indices into `texts`), its segments, one per feedback, each
    with its whole feedback where it is longer. Every issue's texts, and the whole texts the window left
    unread, are read in one batch."""
    chosen: list[list[int]] = []
    for indices in representatives:
        first: dict[str, int] = {}  # per feedback, its first representative segment
        for index in indices:
            first.setdefault(texts.units[index].document.feedback_id, index)
        chosen.append(list(first.values()))
    said = iter(texts.take_with_feedback(index for indices in chosen for index in indices))
    found = []
    for indices in chosen:
        verbatims = []
        for index in indices:
            text, whole = next(said)
            verbatims.append(Verbatim(texts.units[index].document.feedback_id, text, whole if text != whole else None))
        found.append(verbatims)
    return found


def fold_aliases(
    mined: Sequence[MinedIssue],
    window: IssueWindow,
    merged: dict[str, str],
    scored: dict[str, ScoredTouchpoint],
) -> tuple[list[MinedIssue], dict[str, str], list[LineageEvent]]:
    """Count each absorbed issue's feedback of tonight under the issue analysts merged it into.

    The kept issue keeps its id, touchpoint, centre, label and verbatims (those of the absorbed issue
    where the kept one found nothing of its own tonight); its figures are recomputed over both issues'
    feedback, and its impact over its touchpoint's feedback plus the absorbed feedback. Returns the
    issues, the merges (the miner's and these, so the absorbed id is written with status merged) and
    the `merged_into` events, recorded on the first night only. A merge applies to issues known before
    tonight: an issue a backfill of an earlier window finds afresh is mined as it is.
    """
    by_id = {m.issue.issue_id: m for m in mined}
    merged = dict(merged)
    events: list[LineageEvent] = []
    earlier = {p.issue_id: p for p in window.prior}
    for source, target in sorted(window.aliases.items()):
        # The kept issue may itself have been merged into another tonight, by the miner.
        target = merged.get(target, target)
        absorbed = by_id.get(source)
        kept = by_id.get(target)
        if absorbed is None or source not in earlier:
            continue
        if kept is None and (target not in earlier or earlier[target].status == "merged"):
            continue  # nothing to carry the feedback: the kept issue is unknown or gone into another
        del by_id[source]
        if kept is None:
            # The kept issue found nothing of its own tonight: it carries the absorbed feedback.
            base, kept_members = _continued(absorbed.issue, earlier[target]), []
        else:
            base, kept_members = kept.issue, kept.members
        members, feedback = _union(
            kept_members,
            [] if kept is None else kept.documents,
            [replace(m, issue_id=target) for m in absorbed.members],
            absorbed.documents,
        )
        around = scored.get(base.touchpoint, NOTHING_SCORED).around(feedback)
        figures = issue_figures(feedback, around, window.end, window.days)
        issue = replace(
            base, figures=figures, first_seen=min(base.first_seen, absorbed.issue.first_seen), run_id=window.run_id
        )
        by_id[target] = MinedIssue(issue, members, daily_figures(feedback), feedback)
        merged[source] = target
        if earlier[source].status != "merged":
            events.append(LineageEvent(source, target, "merged_into", window.end, window.run_id))
    return list(by_id.values()), merged, events


def _union(
    kept: list[IssueMember], kept_documents: list[WindowDocument], more: list[IssueMember], more_documents
) -> tuple[list[IssueMember], list[WindowDocument]]:
    """Two issues' members as one: a feedback in both counts once, through its closer segment, and
    holds the segments of both."""
    chosen = closest_per_feedback(
        [*zip(kept, kept_documents), *zip(more, more_documents)],
        feedback_id=lambda pair: pair[0].feedback_id,
        similarity=lambda pair: pair[0].similarity,
    )
    segments: dict[str, set[int]] = {}
    for member in [*kept, *more]:
        segments.setdefault(member.feedback_id, set()).update(member.segment_positions or ())
    members = [
        replace(m, segment_positions=tuple(sorted(segments[m.feedback_id])) if m.segment_positions else None)
        for m, _ in chosen
    ]
    return members, [d for _, d in chosen]


def _continued(absorbed: Issue, kept: PriorIssue) -> Issue:
    """The absorbed issue's findings under the kept issue's id, place, name, centre and first day."""
    return replace(
        absorbed,
        issue_id=kept.issue_id,
        touchpoint=kept.touchpoint,
        language=kept.language,
        label=kept.label,
        first_seen=kept.first_seen,
        centroid=kept.centroid,
    )
