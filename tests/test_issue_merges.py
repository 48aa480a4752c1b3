"""Issues that turn out to be one problem, through the pipeline with the real models: the miner merges
two known issues it finds close, an analyst merges one into another; both leave lineage, statuses the
marts and the report show, and nights and reruns that keep them merged."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select, text
from test_pipeline import SAMPLE_END, SAMPLE_START, snapshot
from typer.testing import CliRunner

from cx_nlp.cli import app
from cx_nlp.embeddings import from_bytes, to_bytes
from cx_nlp.issues import IssueMiner
from cx_nlp.pipeline import run_interval
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse import store
from cx_nlp.warehouse.db import make_engine, migrate


def _tightest_issue(connection) -> tuple[dict, list[str], list[np.ndarray], float]:
    """The first night's issue whose members split into the two closest halves (`_balanced_sides`): its
    row, the feedback ids of the half that moves to the twin, the halves' centres and their cosine, over
    the units the miner reads (each member's segments in the issue, or the whole feedback).

    Two known issues merge only when tonight's centres are at least the known-issue bar (0.9) apart, so
    the twin must be cut from a tight issue: halves of a loose or small one sit below the bar whatever
    the pipeline does. Which issue is tight depends on the CPU family's UMAP layout (the largest
    delivery issue, split alternately, was on one family too loose to merge with its own half; balanced
    halves of the tightest issue sat 0.96-0.97 apart the next night under three layouts, from AVX-512
    and AVX2 kernels)."""
    vectors = dict(connection.execute(select(t.embedding.c.content_hash, t.embedding.c.vector)).all())
    whole = dict(connection.execute(select(t.feedback.c.feedback_id, t.feedback.c.content_hash)).all())
    seg = t.feedback_segment
    parts = {
        (row.feedback_id, row.position): row.content_hash
        for row in connection.execute(select(seg.c.feedback_id, seg.c.position, seg.c.content_hash))
    }
    # Per issue, per member feedback: the sum of the vectors of the units the issue holds of it.
    by_issue: dict[str, dict[str, np.ndarray]] = {}
    units = sorted(store.prior_memberships(connection).items(), key=lambda unit: (unit[1], unit[0][0], unit[0][1] or 0))
    for (feedback_id, position), issue_id in units:
        content_hash = whole[feedback_id] if position is None else parts[feedback_id, position]
        members = by_issue.setdefault(issue_id, {})
        members[feedback_id] = members.get(feedback_id, 0) + from_bytes(vectors[content_hash])
    smallest = 2 * IssueMiner().min_documents  # halves of at least the miner's smallest issue
    best = None
    for issue_id, members in by_issue.items():
        if len(members) < smallest:
            continue
        ids, rows = list(members), np.array(list(members.values()))
        sides = _balanced_sides(rows)
        halves = [rows[sides == half].sum(axis=0) for half in (0, 1)]
        halves = [h / np.linalg.norm(h) for h in halves]
        closeness = float(halves[0] @ halves[1])
        if best is None or closeness > best[3]:
            best = (issue_id, [i for i, side in zip(ids, sides) if side == 1], halves, closeness)
    assert best is not None, f"the first night found no issue of {smallest} members"
    issue_id, moved, halves, closeness = best
    original = connection.execute(select(t.issue).where(t.issue.c.issue_id == issue_id)).mappings().one()
    return dict(original), moved, halves, closeness


def _balanced_sides(vectors: np.ndarray) -> np.ndarray:
    """0 or 1 per row: two halves of one size whose sums are as close as a greedy pass makes them (rows
    taken in pairs, furthest from the mean first, each pair placed so that it narrows the gap), so
    that each half stands for the whole problem rather than for one side of it."""
    residuals = vectors - vectors.mean(axis=0)
    order = np.argsort(-np.linalg.norm(residuals, axis=1), kind="stable")
    sides, gap = np.zeros(len(vectors), dtype=int), np.zeros(vectors.shape[1])
    for a, b in zip(order[0::2], order[1::2]):
        swap = np.linalg.norm(gap - residuals[a] + residuals[b]) < np.linalg.norm(gap + residuals[a] - residuals[b])
        sides[a], sides[b] = (1, 0) if swap else (0, 1)
        gap += (residuals[b] - residuals[a]) if swap else (residuals[a] - residuals[b])
    return sides


# PostgreSQL only: the merge is the tracker's; how merges, lineage and labels are stored is held on
# both warehouses by the golden sample nights (tests/test_golden.py).
@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_known_issues_that_turn_out_one_problem_merge_with_lineage(context, warehouse_url):
    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    night_one_end = date(2026, 11, 9)
    run_interval(context, engine, SAMPLE_START, night_one_end)
    # An earlier night had told one problem apart twice: split an issue's documents in two; the original
    # and a planted twin each stand for one half and hold its members (who stay).
    with engine.begin() as connection:
        original, moved, (centre, twin_centre), closeness = _tightest_issue(connection)
        twin_id = f"{original['touchpoint']}-0900"
        # The twin had been seen ten days before the original: the merged problem keeps that date.
        twin = dict(original) | {
            "issue_id": twin_id,
            "centroid": to_bytes(twin_centre),
            "first_seen": original["first_seen"] - timedelta(days=10),
        }
        connection.execute(t.issue.insert(), [twin])
        member = t.issue_member.c
        held = (member.issue_id == original["issue_id"]) & member.feedback_id.in_(moved)
        connection.execute(t.issue_member.update().where(held).values(issue_id=twin_id))
        snap = t.issue_snapshot
        connection.execute(
            snap.update()
            .where(snap.c.issue_id == original["issue_id"], snap.c.window_end == night_one_end)
            .values(centroid=to_bytes(centre))
        )
        connection.execute(
            snap.insert(),
            [
                {k: twin[k] for k in ("issue_id", "touchpoint", "label", "centroid", "volume", "status", "first_seen")}
                | {"window_end": night_one_end}
            ],
        )
    second = run_interval(context, engine, night_one_end, SAMPLE_END)
    assert second.stats["merged_issues"] >= 1, (original["issue_id"], closeness)
    with engine.connect() as connection:
        lineage = connection.execute(select(t.issue_lineage)).mappings().all()
        statuses = dict(connection.execute(select(t.issue.c.issue_id, t.issue.c.status)).all())
        twin_member_count = connection.execute(
            select(text("COUNT(*)")).select_from(t.issue_member).where(t.issue_member.c.issue_id == twin_id)
        ).scalar_one()
    events = {(row["issue_id"], row["related_issue_id"], row["event"]) for row in lineage}
    pair = {original["issue_id"], twin_id}
    merged = [e for e in events if {e[0], e[1]} == pair and e[2] == "merged_into"]
    assert len(merged) == 1, (events, original["issue_id"])
    absorbed, survivor = merged[0][:2]
    assert statuses[absorbed] == "merged" and statuses[survivor] != "merged"
    with engine.connect() as connection:
        survivor_first_seen = connection.execute(
            select(t.issue.c.first_seen).where(t.issue.c.issue_id == survivor)
        ).scalar_one()
    assert survivor_first_seen == twin["first_seen"]
    assert all(row["window_end"] == SAMPLE_END for row in lineage)
    with engine.connect() as connection:
        view = connection.execute(
            text(
                "SELECT issue_id, related_issue_id, related_issue_status FROM mart_issue_lineage WHERE event = 'merged_into'"
            )
        ).all()
        open_ids = set(connection.execute(text("SELECT issue_id FROM mart_issue_overview")).scalars())
    assert (absorbed, survivor, statuses[survivor]) in {tuple(row) for row in view}
    assert absorbed not in open_ids and survivor in open_ids
    # The morning report says where the absorbed issue went.
    report = second.report_path.read_text(encoding="utf-8")
    assert f"absorbed {absorbed}" in report
    if absorbed == twin_id:
        assert twin_member_count == 0
    # The next night never hands documents to a merged issue, and a rerun of the night changes nothing.
    before = snapshot(engine)
    run_interval(context, engine, night_one_end, SAMPLE_END)
    assert snapshot(engine) == before
    engine.dispose()


# PostgreSQL only: the merge is the tracker's; how merges, lineage and labels are stored is held on
# both warehouses by the golden sample nights (tests/test_golden.py).
@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_an_analyst_merge_folds_an_issue_of_one_touchpoint_into_another(context, warehouse_url):
    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    first = run_interval(context, engine, date(2026, 11, 2), date(2026, 11, 16))
    largest = {}
    for issue in first.issues:
        if issue.touchpoint not in largest or issue.figures.volume > largest[issue.touchpoint].figures.volume:
            largest[issue.touchpoint] = issue
    kept = largest["delivery"]
    absorbed = max((i for tp, i in largest.items() if tp != "delivery"), key=lambda i: (i.figures.volume, i.issue_id))
    members = text(
        "SELECT m.feedback_id FROM issue_member m JOIN feedback f ON f.feedback_id = m.feedback_id "
        "WHERE m.issue_id = :id AND f.created_day >= :since"
    )
    since = {"since": date(2026, 10, 20)}  # the next window's first day
    with engine.connect() as connection:
        absorbed_feedback = set(connection.execute(members, {"id": absorbed.issue_id} | since).scalars())
    assert len(absorbed_feedback) >= 5

    cli, env = CliRunner(), {"CX_WAREHOUSE_URL": warehouse_url}
    done = cli.invoke(app, ["issues", "merge", absorbed.issue_id, "--into", kept.issue_id], env=env)
    assert done.exit_code == 0, done.output
    assert f"counts under {kept.issue_id}" in done.output
    for refused, reason in (
        (["issues", "merge", kept.issue_id, "--into", kept.issue_id], "into itself"),
        (["issues", "merge", kept.issue_id, "--into", "app-9999"], "no such issue"),
        (["issues", "merge", kept.issue_id, "--into", absorbed.issue_id], "is itself merged"),
        (["issues", "merge", kept.issue_id], "--into ISSUE or --undo"),
    ):
        result = cli.invoke(app, refused, env=env)
        assert result.exit_code == 2 and reason in result.output, (refused, result.output)

    # The next night: the absorbed issue's feedback counts under the kept one, which keeps its touchpoint.
    second = run_interval(context, engine, date(2026, 11, 16), date(2026, 11, 17))
    ids = {i.issue_id: i for i in second.issues}
    assert absorbed.issue_id not in ids and ids[kept.issue_id].touchpoint == "delivery"
    with engine.connect() as connection:
        now_kept = set(connection.execute(members, {"id": kept.issue_id} | since).scalars())
        status = connection.execute(
            text("SELECT status FROM issue WHERE issue_id = :id"), {"id": absorbed.issue_id}
        ).scalar_one()
        lineage = connection.execute(text("SELECT issue_id, event, related_issue_id FROM mart_issue_lineage")).all()
    assert len(absorbed_feedback & now_kept) >= 0.9 * len(absorbed_feedback)
    assert ids[kept.issue_id].figures.volume == len(now_kept) > len(absorbed_feedback)
    assert status == "merged"
    assert (absorbed.issue_id, "merged_into", kept.issue_id) in [tuple(row) for row in lineage]
    refused = cli.invoke(app, ["issues", "merge", kept.issue_id, "--into", absorbed.issue_id], env=env)
    assert refused.exit_code == 2 and "merge into that one" in refused.output

    # Night after night it stays folded, with one lineage event; a rerun of a night changes nothing.
    run_interval(context, engine, date(2026, 11, 17), date(2026, 11, 18))
    before = snapshot(engine)
    third = run_interval(context, engine, date(2026, 11, 17), date(2026, 11, 18))
    assert snapshot(engine) == before
    assert absorbed.issue_id not in {i.issue_id for i in third.issues}
    with engine.connect() as connection:
        events = connection.execute(
            text("SELECT COUNT(*) FROM issue_lineage WHERE issue_id = :id AND event = 'merged_into'"),
            {"id": absorbed.issue_id},
        ).scalar_one()
    assert events == 1

    undone = cli.invoke(app, ["issues", "merge", absorbed.issue_id, "--undo"], env=env)
    assert undone.exit_code == 0 and f"no longer merged into {kept.issue_id}" in undone.output
    again = cli.invoke(app, ["issues", "merge", absorbed.issue_id, "--undo"], env=env)
    assert again.exit_code == 2 and "not merged" in again.output
    engine.dispose()
