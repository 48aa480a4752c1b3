"""Analysts' edits of the issues: names they give issues and merges they make. Kept apart from the
tables every night rewrites, so that they hold night after night."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from cx_nlp.warehouse import schema as t

ANALYST_LABEL_MAX = 200


def set_analyst_label(connection: Connection, issue_id: str, label: str | None) -> str:
    """Name an issue as analysts call it (None or blank: back to its keyword label); returns the
    keyword label. Refuses an issue the warehouse never held, so a typo does not name nothing."""
    keyword_label = connection.execute(select(t.issue.c.label).where(t.issue.c.issue_id == issue_id)).scalar()
    if keyword_label is None:
        raise ValueError(f"issue {issue_id!r}: no such issue in the warehouse")
    label = (label or "").strip()
    if len(label) > ANALYST_LABEL_MAX:
        raise ValueError(f"issue {issue_id!r}: label of {len(label)} characters; at most {ANALYST_LABEL_MAX}")
    connection.execute(delete(t.issue_label).where(t.issue_label.c.issue_id == issue_id))
    if label:
        connection.execute(t.issue_label.insert().values(issue_id=issue_id, label=label, set_at=datetime.now(UTC)))
    return keyword_label


def analyst_labels(connection: Connection) -> dict[str, str]:
    """issue id -> the name analysts gave it."""
    return dict(connection.execute(select(t.issue_label.c.issue_id, t.issue_label.c.label)).all())


def merge_issues(connection: Connection, issue_id: str, into: str) -> tuple[str, str]:
    """An analyst's merge: from the next night on, `issue_id`'s feedback counts under `into`, and so
    does that of issues merged into `issue_id` before. Returns both keyword labels. Refuses unknown ids,
    an issue into itself, and an issue that is itself merged (every merge stays one step, so a night
    folds each absorbed issue straight into a live one)."""
    found = {
        row.issue_id: row
        for row in connection.execute(
            select(t.issue.c.issue_id, t.issue.c.label, t.issue.c.status).where(
                t.issue.c.issue_id.in_([issue_id, into])
            )
        )
    }
    for wanted in (issue_id, into):
        if wanted not in found:
            raise ValueError(f"issue {wanted!r}: no such issue in the warehouse")
    if issue_id == into:
        raise ValueError(f"issue {issue_id!r}: cannot be merged into itself")
    merges = issue_merges(connection)
    if into in merges:
        raise ValueError(f"issue {into!r} is itself merged into {merges[into]!r}; merge into that one")
    if found[into].status == "merged":
        raise ValueError(f"issue {into!r} was merged into another (mart_issue_lineage says which); merge into that one")
    connection.execute(t.issue_merge.update().where(t.issue_merge.c.merged_into == issue_id).values(merged_into=into))
    connection.execute(delete(t.issue_merge).where(t.issue_merge.c.issue_id == issue_id))
    connection.execute(t.issue_merge.insert().values(issue_id=issue_id, merged_into=into, set_at=datetime.now(UTC)))
    return found[issue_id].label, found[into].label


def issue_merges(connection: Connection) -> dict[str, str]:
    """Analysts' merges: absorbed issue id -> the issue its feedback counts under."""
    return dict(connection.execute(select(t.issue_merge.c.issue_id, t.issue_merge.c.merged_into)).all())


def unmerge_issue(connection: Connection, issue_id: str) -> str | None:
    """Take back an analyst's merge; returns the issue it was merged into, or None if it was not."""
    into = issue_merges(connection).get(issue_id)
    connection.execute(delete(t.issue_merge).where(t.issue_merge.c.issue_id == issue_id))
    return into
