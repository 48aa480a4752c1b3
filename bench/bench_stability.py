"""Issue-id stability over a night-by-night backfill of the bundled sample.

    .venv/bin/python bench/bench_stability.py [--nights 28]

Each night mines the trailing window. For every document, the issue id it got on the first night
that mined it is compared with its id on the last night: the share unchanged is the stability
analysts feel when they come back to an issue a week later. A feedback in several issues is counted
under its closest one; the last line counts it as kept while that first issue still holds it at all.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta

import bench_env  # sets what numpy and the models read when they load: first
from sqlalchemy import select

from cx_nlp.evaluate import issue_memberships
from cx_nlp.pipeline import run_interval
from cx_nlp.warehouse import schema as t

FIRST_NIGHT = date(2026, 10, 19)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nights", type=int, default=28)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        context, engine = bench_env.sample_pipeline(folder)
        first_id: dict[str, str] = {}
        started = time.perf_counter()
        for night in range(args.nights):
            start = FIRST_NIGHT + timedelta(days=night)
            run_interval(context, engine, start, start + timedelta(days=1))
            with engine.connect() as connection:
                for feedback_id, issue_id in issue_memberships(connection)[0].items():
                    first_id.setdefault(feedback_id, issue_id)
        with engine.connect() as connection:
            final, final_pairs = issue_memberships(connection)
            issues = connection.execute(select(t.issue.c.status)).scalars().all()
            labels = dict(connection.execute(select(t.issue.c.issue_id, t.issue.c.label)).all())
            events = (
                connection.execute(
                    select(t.issue_lineage).order_by(t.issue_lineage.c.window_end, t.issue_lineage.c.issue_id)
                )
                .mappings()
                .all()
            )
        merged_into = {e["issue_id"]: e["related_issue_id"] for e in events if e["event"] == "merged_into"}

        def followed(issue_id: str) -> str:
            # Where an analyst holding an old id ends up by following merged_into lineage.
            seen = set()
            while issue_id in merged_into and issue_id not in seen:
                seen.add(issue_id)
                issue_id = merged_into[issue_id]
            return issue_id

        both = [f for f in final if f in first_id]
        unchanged = sum(first_id[f] == final[f] for f in both)
        traced = sum(followed(first_id[f]) == final[f] for f in both)
        still_in = sum((f, followed(first_id[f])) in final_pairs for f in both)
        print(f"{args.nights} nights in {time.perf_counter() - started:.1f} s")
        print(f"documents in an issue on the last night: {len(final)}; first mined earlier: {len(both)}")
        print(f"stability (same issue id as when first mined): {unchanged / max(len(both), 1):.1%}")
        print(f"same id or reached through merge lineage: {traced / max(len(both), 1):.1%}")
        print(f"still in that issue (or where its lineage leads), closest or not: {still_in / max(len(both), 1):.1%}")
        print(
            f"issues ever created: {len(issues)}; by status: "
            + ", ".join(f"{s} {issues.count(s)}" for s in sorted(set(issues)))
        )
        for event in events:
            print(
                f"  {event['window_end']}: {event['issue_id']} ({labels[event['issue_id']]}) {event['event']} "
                f"{event['related_issue_id']} ({labels[event['related_issue_id']]})"
            )


if __name__ == "__main__":
    main()
