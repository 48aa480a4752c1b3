"""The whole pipeline on the bundled sample, with the real models, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, text

from cx_nlp.kpis import nps
from cx_nlp.pipeline import PipelineContext, run_interval
from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse import store
from cx_nlp.warehouse.db import make_engine, migrate

SAMPLE_START, SAMPLE_END = date(2026, 10, 19), date(2026, 11, 16)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "sample"))
import planted_themes  # noqa: E402

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
CARD = re.compile(r"\b(?:\d[ -]?){13,19}\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}")

# Words a person would use to name each planted problem (data/sample/README.md).
PLANTED = {
    "checkout": {"code", "coupon", "promo", "discount", "voucher", "welcome"},
    "billing": {"charged", "twice", "double", "charge", "refund"},
    "delivery": {"late", "delivery", "courier", "slot", "delayed", "arrived", "parcel"},
    "support": {"rude", "hold", "wait", "agent", "chat", "waiting", "minutes", "dismissive"},
    "app": {"crash", "crashes", "login", "log", "update", "app", "crashing"},
}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table but the run log, in a stable order, for rerun comparisons."""
    tables = {}
    with engine.connect() as connection:
        for name, table in t.metadata.tables.items():
            if name == "pipeline_run":
                continue
            rows = connection.execute(select(table)).all()
            tables[name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return tables


def test_sample_run_then_rerun(context, warehouse_url):
    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    first = run_interval(context, engine, SAMPLE_START, SAMPLE_END)
    stats = first.stats

    # Nothing is lost: every raw row in the interval is loaded, a duplicate, superseded or quarantined.
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT status, COUNT(*) FROM raw_record GROUP BY status")).all())
        quarantine = connection.execute(select(t.quarantine.c.field, t.quarantine.c.reason)).all()
        feedback_texts = connection.execute(select(t.feedback.c.text)).scalars().all()
        languages = set(connection.execute(select(t.feedback.c.language)).scalars())
        scored = connection.execute(text("SELECT COUNT(*) FROM feedback_sentiment")).scalar_one()
        primaries = connection.execute(
            text("SELECT COUNT(*) FROM feedback_touchpoint WHERE is_primary = TRUE")
        ).scalar_one()
        issues = connection.execute(select(t.issue)).mappings().all()
        run = connection.execute(select(t.pipeline_run)).mappings().one()
    assert sum(statuses.values()) == stats["raw"]
    assert statuses["loaded"] == stats["feedback"] == len(feedback_texts) == scored == primaries
    # Content duplicates keep a raw row each; a row repeated byte for byte lands once but is counted.
    assert 1 <= statuses.get("duplicate", 0) < stats["duplicates"]
    assert stats["quarantined"] >= 6
    reasons = " | ".join(reason for _, reason in quarantine)
    for expected in ("missing id", "empty text", "unparseable date", "outside 1..5", "is not a number"):
        assert expected in reasons
    assert run["status"] == "succeeded" and run["stats"]["feedback"] == stats["feedback"]

    # PII never reaches the feedback table.
    assert stats["pii_redactions"] >= 5
    for body in feedback_texts:
        assert not EMAIL.search(body), body
        assert not CARD.search(body), body
        assert not IBAN.search(body), body
    assert {"fr", "de", "es"} <= languages
    # The English-only sentiment model never scores them: stored as unscored, and never mixed into
    # the issues of English feedback (they are mined in their own language group).
    with engine.connect() as connection:
        foreign = connection.execute(
            text(
                "SELECT s.label, (SELECT COUNT(*) FROM issue_member m JOIN issue i ON i.issue_id = m.issue_id "
                "WHERE m.feedback_id = f.feedback_id AND i.language = 'en') "
                "FROM feedback f JOIN feedback_sentiment s ON s.feedback_id = f.feedback_id "
                "WHERE f.language IN ('fr', 'de', 'es')"
            )
        ).all()
    assert foreign and all(label == "unscored" and memberships == 0 for label, memberships in foreign)
    assert stats["unscored_language"] == len(foreign)

    # The planted problems come out as issues a person would recognise.
    by_touchpoint: dict[str, set[str]] = {}
    for issue in issues:
        words = set(" ".join(issue["keywords"]).split()) | set(issue["label"].replace("/", " ").split())
        by_touchpoint.setdefault(issue["touchpoint"], set()).update(words)
    recognised = [tp for tp, words in PLANTED.items() if words & by_touchpoint.get(tp, set())]
    assert len(recognised) >= 4, by_touchpoint
    assert stats["outlier_share"] <= 0.5
    # ... and against the theme each record was written for: most planted problems have an issue
    # holding half their documents or more, made of them by half or more.
    memberships, documents, _ = planted_themes.read_warehouse(engine)
    recovery = planted_themes.recovery(planted_themes.planted_themes(), memberships, documents)
    assert recovery["documents"] == stats["feedback"]
    found = [row["theme"] for row in recovery["themes"] if row["recall"] >= 0.5 and row["purity"] >= 0.5]
    assert len(found) >= 6 and recovery["nmi"] >= 0.55, recovery
    # Impact: the late-delivery issue costs the delivery touchpoint stars.
    late = max((i for i in issues if i["touchpoint"] == "delivery"), key=lambda i: i["volume"])
    assert late["rating_impact"] is not None and late["rating_impact"] > 0.1
    largest = max(issues, key=lambda i: (i["volume"], i["issue_id"]))
    report = first.report_path.read_text(encoding="utf-8")
    assert largest["label"] in report
    # The report shows what the issue costs, as the warehouse holds it.
    assert f"<span>{late['rating_impact']:+.2f} stars</span>" in report

    # Survey answers become KPIs: an issue's NPS is the NPS of its member surveys.
    with_nps = [i for i in issues if i["nps_responses"] > 0]
    assert with_nps, "no issue carries NPS answers"
    with engine.connect() as connection:
        for issue in with_nps:
            members = connection.execute(
                select(t.feedback.c.rating, t.feedback.c.metadata)
                .join(t.issue_member, t.issue_member.c.feedback_id == t.feedback.c.feedback_id)
                .where(t.issue_member.c.issue_id == issue["issue_id"])
            ).all()
            answers = [rating for rating, meta in members if (meta or {}).get("score_type") == "nps"]
            assert issue["nps_responses"] == len(answers)
            assert issue["nps"] == pytest.approx(round(nps(answers), 2))
        daily_answers = connection.execute(text("SELECT SUM(nps_responses) FROM touchpoint_daily")).scalar_one()
        surveys = connection.execute(
            text("SELECT COUNT(*) FROM feedback WHERE source = 'nps_surveys' AND rating IS NOT NULL")
        ).scalar_one()
    assert daily_answers == surveys > 0  # every answer counted once, on its day and primary touchpoint

    # A rerun: same rows, same issues, nothing scored, embedded or mined again (its window is unchanged).
    before = snapshot(engine)
    second = run_interval(context, engine, SAMPLE_START, SAMPLE_END)
    assert second.stats["scored"] == 0 and second.stats["embedded"] == 0
    assert (first.stats["issues_mined"], second.stats["issues_mined"]) == (True, False) and snapshot(engine) == before
    shown = [[{**vars(i), "centroid": None} for i in r.issues] for r in (first, second)]  # every field but the centre
    assert shown[0] == shown[1] and len(second.issues) == second.stats["issues"] == first.stats["issues"]
    assert all(np.allclose(a.centroid, b.centroid, atol=1e-6) for a, b in zip(second.issues, first.issues))
    engine.dispose()


def test_views_answer_with_unique_keys(context, warehouse_url):
    """dbt-style key tests on every view, with the key its SQL file declares: unique and not null."""
    import re

    from cx_nlp.warehouse.views import view_files

    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    run_interval(context, engine, date(2026, 11, 9), date(2026, 11, 16))
    keys = {}
    for path in view_files(context.settings.path(context.settings.sql_dir)):
        sql = path.read_text(encoding="utf-8")
        name = re.search(r"CREATE VIEW (\w+)", sql).group(1)
        declared = re.search(r"Key: \(?([\w, ]+)\)?\.", sql)
        assert declared, f"{path.name} declares no key"
        keys[name] = [column.strip() for column in declared.group(1).split(",")]
    # Nobody named or merged an issue, and one night holds no merge or split.
    may_be_empty = {"stg_issue_label", "stg_issue_lineage", "mart_issue_lineage"}
    with engine.connect() as connection:
        for view, columns in keys.items():
            key = ", ".join(columns)
            total = connection.execute(text(f"SELECT COUNT(*) FROM {view}")).scalar_one()
            distinct = connection.execute(
                text(f"SELECT COUNT(*) FROM (SELECT DISTINCT {key} FROM {view}) AS k")
            ).scalar_one()
            nulls = connection.execute(
                text(f"SELECT COUNT(*) FROM {view} WHERE " + " OR ".join(f"{c} IS NULL" for c in columns))
            ).scalar_one()
            assert total > 0 or view in may_be_empty, view
            assert distinct == total, f"{view}: {key} not unique"
            assert nulls == 0, f"{view}: null {key}"
        top = connection.execute(
            text((context.settings.home / "sql/examples/top_issues_per_touchpoint.sql").read_text())
        ).all()
        assert top and all(row.volume > 0 for row in top)
        by_impact = (context.settings.home / "sql/examples/issues_by_impact.sql").read_text()
        costly = connection.execute(text(by_impact)).all()
        stars = [row.rating_impact for row in costly if row.rating_impact is not None]
        assert stars and stars == sorted(stars, reverse=True)
    engine.dispose()


def test_next_night_keeps_the_ids_of_continuing_issues(settings_factory, models, tmp_path):
    url = f"sqlite:///{tmp_path / 'nights.db'}"
    context = PipelineContext.from_settings(settings_factory(warehouse_url=url), models=models)
    engine = make_engine(url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    first = run_interval(context, engine, SAMPLE_START, date(2026, 11, 9))
    second = run_interval(context, engine, date(2026, 11, 9), SAMPLE_END)

    def largest(result, touchpoint):
        return max((i for i in result.issues if i.touchpoint == touchpoint), key=lambda i: i.figures.volume)

    # Late deliveries run through both weeks: the same issue, the same id, more volume.
    before, after = largest(first, "delivery"), largest(second, "delivery")
    assert after.issue_id == before.issue_id
    assert after.figures.volume > before.figures.volume
    assert after.first_seen == before.first_seen
    with engine.connect() as connection:
        runs = connection.execute(select(t.pipeline_run.c.run_id, t.pipeline_run.c.status)).all()
        volumes = connection.execute(
            text(
                "SELECT i.volume, COUNT(m.feedback_id) FROM issue AS i JOIN issue_member AS m "
                "ON m.issue_id = i.issue_id GROUP BY i.issue_id, i.volume"
            )
        ).all()
        # A member that a segment put in names a stored segment of its own feedback (short complaints
        # join whole: no segment).
        segmented = connection.execute(
            text("SELECT COUNT(*) FROM issue_member WHERE segment_position IS NOT NULL")
        ).scalar_one()
        # What the second night counted as new: feedback from the first window's end on.
        mined_through = [store.mined_through(connection, day) for day in (date(2026, 11, 9), SAMPLE_END)]
        orphans = connection.execute(
            text(
                "SELECT COUNT(*) FROM issue_member AS m LEFT JOIN feedback_segment AS s "
                "ON s.feedback_id = m.feedback_id AND s.position = m.segment_position "
                "WHERE m.segment_position IS NOT NULL AND s.feedback_id IS NULL"
            )
        ).scalar_one()
    assert sorted(runs) == [("2026-10-19_2026-11-09", "succeeded"), ("2026-11-09_2026-11-16", "succeeded")]
    # A feedback raising two problems is in two issues, but in each issue's volume once.
    assert volumes and all(volume == members for volume, members in volumes)
    assert segmented > 0 and orphans == 0
    assert mined_through == [None, date(2026, 11, 9)]
    assert run_interval(context, engine, SAMPLE_START, date(2026, 11, 9)).stats["issues_mined"] is True
    engine.dispose()


def test_an_analyst_names_an_issue_and_the_name_holds_the_next_night(context, warehouse_url):
    from typer.testing import CliRunner

    from cx_nlp.cli import app
    from cx_nlp.report import load_report_data

    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    first = run_interval(context, engine, date(2026, 11, 9), date(2026, 11, 16))
    largest = max(first.issues, key=lambda i: (i.figures.volume, i.issue_id))
    cli = CliRunner()
    env = {"CX_WAREHOUSE_URL": warehouse_url}

    named = cli.invoke(app, ["issues", "label", largest.issue_id, "  Parcels arriving late  "], env=env)
    assert named.exit_code == 0, named.output
    assert f'keyword label "{largest.label}"' in named.output
    overview = text("SELECT label, keyword_label FROM mart_issue_overview WHERE issue_id = :id")
    with engine.connect() as connection:
        assert tuple(connection.execute(overview, {"id": largest.issue_id}).one()) == (
            "Parcels arriving late",
            largest.label,
        )
        shown = {i.issue_id: i.label for i in load_report_data(connection, first.run_id).issues}
    assert shown[largest.issue_id] == "Parcels arriving late"

    # The next night rewrites every issue row; the name stays with the id, and the report shows it.
    second = run_interval(context, engine, date(2026, 11, 16), date(2026, 11, 17))
    assert largest.issue_id in {i.issue_id for i in second.issues}
    assert "Parcels arriving late" in second.report_path.read_text(encoding="utf-8")
    with engine.connect() as connection:
        assert connection.execute(overview, {"id": largest.issue_id}).one().label == "Parcels arriving late"

    unknown = cli.invoke(app, ["issues", "label", "delivery-9999", "Anything"], env=env)
    assert unknown.exit_code == 2 and "delivery-9999" in unknown.output and "no such issue" in unknown.output
    blank = cli.invoke(app, ["issues", "label", largest.issue_id, "   "], env=env)
    assert blank.exit_code == 2 and "--clear" in blank.output
    cleared = cli.invoke(app, ["issues", "label", largest.issue_id, "--clear"], env=env)
    assert cleared.exit_code == 0 and "back to its keyword label" in cleared.output
    with engine.connect() as connection:
        label, keyword_label = connection.execute(overview, {"id": largest.issue_id}).one()
    assert label == keyword_label != "Parcels arriving late"
    engine.dispose()


def test_rescore_computes_cached_scores_again_and_a_plain_rerun_reuses_them(context, warehouse_url):
    """Weights replaced under the same model version: only `rescore` replaces what the cache holds."""
    import numpy as np

    from cx_nlp.embeddings import from_bytes, to_bytes
    from cx_nlp.pipeline import ingest_interval

    engine = make_engine(warehouse_url)
    migrate(engine, context.settings.path(context.settings.sql_dir))
    night = (date(2026, 11, 3), date(2026, 11, 4))
    first = ingest_interval(context, engine, *night, sources=["support_tickets"])
    assert first.stats["feedback"] > 0 and first.stats["scored"] > 0

    def stored():
        with engine.connect() as connection:
            tones = connection.execute(
                text("SELECT feedback_id, p_negative, p_neutral, p_positive FROM feedback_sentiment")
            ).all()
            segments = connection.execute(
                text("SELECT feedback_id, position, p_negative, p_neutral, p_positive FROM feedback_segment")
            ).all()
            vectors = connection.execute(text("SELECT content_hash, vector FROM embedding")).all()
        return (
            {row[0]: tuple(row[1:]) for row in tones},
            {(row[0], row[1]): tuple(row[2:]) for row in segments},
            {h: from_bytes(v) for h, v in vectors},
        )

    model_tones, model_segments, model_vectors = stored()
    # What the old weights left in the cache, under the version the registry still names.
    stale = to_bytes(np.full(next(iter(model_vectors.values())).shape, 0.05, dtype=np.float32))
    with engine.begin() as connection:
        for table in ("feedback_sentiment", "feedback_segment"):
            connection.execute(text(f"UPDATE {table} SET p_negative = 0.11, p_neutral = 0.22, p_positive = 0.67"))
        connection.execute(text("UPDATE embedding SET vector = :v"), {"v": stale})

    rerun = ingest_interval(context, engine, *night, sources=["support_tickets"])
    assert rerun.stats["scored"] == 0 and rerun.stats["embedded"] == 0
    tones, segments, vectors = stored()
    assert set(tones.values()) == {(0.11, 0.22, 0.67)} and set(segments.values()) == {(0.11, 0.22, 0.67)}
    assert all(np.allclose(v, 0.05) for v in vectors.values())

    rescored = ingest_interval(context, engine, *night, sources=["support_tickets"], rescore=True)
    assert rescored.stats["scored"] == first.stats["scored"]
    # Every text again, the taxonomy phrases included: no stale vector is left.
    assert rescored.stats["embedded"] == first.stats["embedded"] == len(model_vectors)
    tones, segments, vectors = stored()
    assert tones.keys() == model_tones.keys() and segments.keys() == model_segments.keys()
    for key, found in tones.items():
        assert found == pytest.approx(model_tones[key], abs=1e-4), key
    for key, found in segments.items():
        assert found == pytest.approx(model_segments[key], abs=1e-4), key
    assert vectors.keys() == model_vectors.keys()
    assert all(np.allclose(vectors[h], model_vectors[h], atol=1e-4) for h in vectors)
    engine.dispose()
