"""Issues across nights: each night's clusters continue, merge or split the issues the night before left.

`IssueTracker.track` mines one window per touchpoint and language group with an `IssueMiner`, gives
every cluster a stable id, records merges and splits as lineage, and folds analysts' merges in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from cx_nlp.issues.figures import daily_figures, group_by, issue_figures
from cx_nlp.issues.ids import KnownIssue, match_issue_ids
from cx_nlp.issues.keywords import stop_words_for
from cx_nlp.issues.miner import Cluster, IssueMiner
from cx_nlp.issues.records import (
    Issue,
    IssueMember,
    IssueWindow,
    LineageEvent,
    MinedIssue,
    MinedWindow,
    PriorIssue,
    Verbatim,
)
from cx_nlp.records import UNSCORED, WindowDocument

MULTILINGUAL = "multi"
# What the customer's own score says is praise: 4-5 stars, NPS promoters, CSAT 4-5.
_PRAISE_FROM = {None: 4, "nps": 9, "csat": 4}


def language_group(language: str, embedding_languages: Sequence[str]) -> str:
    """Which feedback is clustered together: what the embedding model reads, each other language apart."""
    if not embedding_languages:
        return MULTILINGUAL
    if language in embedding_languages or language == "und":
        return "+".join(sorted(embedding_languages))
    return language


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


@dataclass
class _Night:
    """What the groups of one window add up to while they are mined one after another."""

    existing_ids: set[str]
    mined: list[MinedIssue] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)
    merged: dict[str, str] = field(default_factory=dict)
    lineage: list[LineageEvent] = field(default_factory=list)
    clustered: int = 0
    outliers: int = 0


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
    ):
        self.miner_factory = miner_factory
        self.match_threshold = match_threshold
        self.embedding_languages = tuple(embedding_languages)

    def track(self, window: IssueWindow) -> MinedWindow:
        by_group = group_by(
            (d for d in window.documents if might_be_a_problem(d) and d.embedding is not None),
            lambda d: (d.touchpoint, language_group(d.language, self.embedding_languages)),
        )
        everything_by_touchpoint = group_by(window.documents, lambda d: d.touchpoint)
        night = _Night(existing_ids=set(window.taken_ids) | {p.issue_id for p in window.prior})
        for touchpoint, language in sorted(by_group):
            self._mine_group(
                night, window, touchpoint, language, by_group[touchpoint, language], everything_by_touchpoint
            )
        mined, merged, lineage = night.mined, night.merged, night.lineage
        if window.aliases:
            mined, merged, folded = fold_aliases(mined, window, merged, everything_by_touchpoint)
            lineage = lineage + folded
            night.matched.update(m.issue.issue_id for m in mined)
        silent = sorted(
            p.issue_id
            for p in window.prior
            if p.issue_id not in night.matched and p.issue_id not in merged and p.status not in ("resolved", "merged")
        )
        share = night.outliers / night.clustered if night.clustered else 0.0
        return MinedWindow(mined, silent, merged, lineage, share)

    def _candidates(self, window: IssueWindow, touchpoint: str, language: str) -> list[KnownIssue]:
        """The prior issues a group may continue: same touchpoint and language group, not merged away
        (unless analysts merged it, so that its centre keeps drawing the feedback that reads like it)."""
        main_group = language_group("und", self.embedding_languages)
        return [
            KnownIssue(p.issue_id, touchpoint, p.centroid)
            for p in window.prior
            if p.touchpoint == touchpoint
            and (p.language or main_group) == language
            and (p.status != "merged" or p.issue_id in window.aliases)
        ]

    def _mine_group(
        self,
        night: _Night,
        window: IssueWindow,
        touchpoint: str,
        language: str,
        group: list[WindowDocument],
        everything_by_touchpoint: dict[str, list[WindowDocument]],
    ) -> None:
        candidates = self._candidates(window, touchpoint, language)
        # Keywords skip the function words of every language that is a tenth of the group or more.
        spoken = Counter(d.language for d in group)
        miner = self.miner_factory(
            stop_words=stop_words_for(code for code, count in spoken.items() if count >= 0.1 * len(group))
        ).fit(
            [d.text for d in group],
            np.array([d.embedding for d in group]),
            known_centroids=np.array([c.centroid for c in candidates]) if candidates else None,
        )
        night.clustered += len(group)
        night.outliers += int((miner.labels_ == -1).sum())
        ids, fresh_ids = self._issue_ids(touchpoint, miner.clusters_, candidates, night.existing_ids)
        night.existing_ids.update(fresh_ids)
        first_seen = {p.issue_id: p.first_seen for p in window.prior}
        for issue_id, cluster in zip(ids, miner.clusters_):
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
            members = [group[i] for i in cluster.members]
            days = [d.created_day for d in members]
            issue = Issue(
                issue_id=issue_id,
                touchpoint=touchpoint,
                language=language,
                label=cluster.label,
                keywords=cluster.keywords,
                representatives=[Verbatim(group[i].feedback_id, group[i].text) for i in cluster.representatives],
                centroid=cluster.centroid,
                figures=issue_figures(members, everything_by_touchpoint[touchpoint], window.end, window.days),
                first_seen=min([*days, first_seen.get(issue_id, max(days)), *inherited]),
                window_end=window.end,
                run_id=window.run_id,
            )
            membership = [
                IssueMember(issue_id, member.feedback_id, round(float(similarity), 4), method)
                for member, similarity, method in zip(members, cluster.similarities, cluster.methods)
            ]
            night.mined.append(MinedIssue(issue, membership, daily_figures(members)))

    def _issue_ids(
        self, touchpoint: str, clusters: Sequence[Cluster], candidates: Sequence[KnownIssue], existing_ids: set[str]
    ) -> tuple[list[str], list[str]]:
        """Each cluster's id (a known issue it continues, a free known issue whose centre it matches,
        or a fresh one) and the ids made fresh tonight."""
        ids = [candidates[c.known].issue_id if c.known is not None else None for c in clusters]
        fresh = [i for i, c in enumerate(clusters) if c.known is None]
        free = [c for c in candidates if c.issue_id not in ids]
        fresh_ids = match_issue_ids(
            touchpoint, [clusters[i].centroid for i in fresh], free, existing_ids, self.match_threshold
        )
        for index, issue_id in zip(fresh, fresh_ids):
            ids[index] = issue_id
        return [str(i) for i in ids], fresh_ids


def fold_aliases(
    mined: Sequence[MinedIssue],
    window: IssueWindow,
    merged: dict[str, str],
    everything_by_touchpoint: dict[str, list[WindowDocument]],
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
    document_of = {d.feedback_id: d for d in window.documents}
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
        members = kept_members + [replace(m, issue_id=target) for m in absorbed.members]
        feedback = [document_of[m.feedback_id] for m in members]
        touchpoint_documents = {d.feedback_id: d for d in everything_by_touchpoint.get(base.touchpoint, [])}
        touchpoint_documents.update((d.feedback_id, d) for d in feedback)
        figures = issue_figures(feedback, list(touchpoint_documents.values()), window.end, window.days)
        issue = replace(
            base, figures=figures, first_seen=min(base.first_seen, absorbed.issue.first_seen), run_id=window.run_id
        )
        by_id[target] = MinedIssue(issue, members, daily_figures(feedback))
        merged[source] = target
        if earlier[source].status != "merged":
            events.append(LineageEvent(source, target, "merged_into", window.end, window.run_id))
    return list(by_id.values()), merged, events


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
