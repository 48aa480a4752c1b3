"""Checks a warehouse after a run of the bundled sample: feedback and issue rows, a finished run, its report.

Run inside the image (or anywhere cx-nlp is installed): `python check_warehouse.py [--min-feedback N]
[--min-issues N]`.
The warehouse and the report folder come from the settings (CX_WAREHOUSE_URL, CX_HOME, CX_REPORT_DIR),
exactly as `cx-nlp run` found them. Exits 1, naming what is missing, when a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import create_engine, text

from cx_nlp.settings import Settings


def counts(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = {
                table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                for table in ("raw_record", "feedback", "feedback_sentiment", "issue", "issue_member")
            }
            runs = connection.execute(text("SELECT run_id, status FROM pipeline_run")).all()
    finally:
        engine.dispose()
    found["runs"] = {run_id: status for run_id, status in runs}
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-feedback", type=int, default=1)
    # One night of a few feedback may hold no recurring issue: issues are mined from problem segments.
    parser.add_argument("--min-issues", type=int, default=1)
    args = parser.parse_args()
    settings = Settings(progress=False)
    found = counts(settings.resolved_warehouse_url())
    reports = sorted(p.name for p in settings.path(settings.report_dir).glob("cx-report-*.html"))
    found["reports"] = reports
    print(json.dumps(found, indent=1, sort_keys=True))
    problems = []
    if found["feedback"] < args.min_feedback:
        problems.append(f"{found['feedback']} feedback rows, expected at least {args.min_feedback}")
    if found["issue"] < args.min_issues:
        problems.append(f"{found['issue']} issue rows, expected at least {args.min_issues}")
    if "succeeded" not in found["runs"].values():
        problems.append(f"no succeeded run in pipeline_run: {found['runs']}")
    if not reports:
        problems.append(f"no report in {settings.path(settings.report_dir)}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
