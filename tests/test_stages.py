"""Stage functions without models: ingest isolation, dedupe, PII before hashing, emerging flag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cx_nlp.config import SourcesConfig
from cx_nlp.feedback import normalise
from cx_nlp.issues.figures import issue_status
from cx_nlp.pipeline import interval_run_id
from cx_nlp.records import SourceRecord
from cx_nlp.sources.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent


def record(external_id: str, text: str, day: int = 20, source: str = "reviews", key: str | None = None) -> SourceRecord:
    return SourceRecord(
        source=source,
        external_id=external_id,
        source_kind="review",
        text=text,
        created_at=datetime(2026, 10, day, 12, tzinfo=UTC),
        raw_record_key=key or f"k-{external_id}-{day}",
    )


def test_a_failing_source_does_not_stop_the_others(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,body,when\na1,Parcel late,2026-10-20\n")
    config = SourcesConfig.model_validate(
        {
            "sources": [
                {
                    "name": "missing",
                    "path": str(tmp_path / "nope.csv"),
                    "source_kind": "review",
                    "fields": {"id": "id", "text": "body", "created_at": "when"},
                },
                {
                    "name": "good",
                    "path": str(good),
                    "source_kind": "ticket",
                    "fields": {"id": "id", "text": "body", "created_at": "when"},
                },
            ]
        }
    )
    results, failures = ingest(config, tmp_path, date(2026, 10, 1), date(2026, 11, 1))
    assert list(failures) == ["missing"] and "not found" in failures["missing"]
    assert [r.external_id for result in results for r in result.records] == ["a1"]


def test_normalise_dedupes_redacts_and_quarantines():
    records = [
        record("r1", "Charged twice! Call me on +44 20 7946 0018 or mail jo@example.com", day=20),
        record("r2", "<p>The   parcel was LATE.</p>", day=21),
        record("r3", "the parcel was late.", day=22),  # same content as r2 once normalised
        record("r4", "<p>&nbsp;</p><br>", day=22),  # nothing left after markup
        record("r5", "First version", day=20, key="old"),
        record("r5", "Edited version of the review", day=20, key="new"),
        record("r6", "Already loaded last night", day=23),
    ]
    earlier = {}

    def owners(hashes):
        from cx_nlp.normalise import content_hash

        known = content_hash("Already loaded last night")
        return {h: "reviews:old-1" for h in hashes if h == known} | earlier

    result = normalise(records, {}, owners)
    by_id = {f.external_id: f for f in result.feedback}
    assert sorted(by_id) == ["r1", "r2", "r5"]
    assert by_id["r1"].text == "Charged twice! Call me on [PHONE] or mail [EMAIL]"
    assert by_id["r1"].pii_redactions == {"phone": 1, "email": 1}
    assert by_id["r2"].text == "The parcel was LATE."
    assert by_id["r5"].text == "Edited version of the review" and by_id["r5"].raw_record_key == "new"
    assert result.superseded == ["old"]
    assert sorted((d[0], d[2]) for d in result.duplicates) == [
        ("reviews:r3", "reviews:r2"),
        ("reviews:r6", "reviews:old-1"),
    ]
    [empty] = result.quarantined
    assert empty.field == "text" and "r4" in empty.reason


def test_emerging_needs_a_jump_against_the_own_baseline():
    end = date(2026, 11, 16)
    steady = [date(2026, 10, 19) + timedelta(days=i) for i in range(0, 28, 2)]  # one every other day
    assert issue_status(steady, end, 28) == "active"
    jump = [date(2026, 10, 20), date(2026, 10, 27)] + [date(2026, 11, 10 + i % 6) for i in range(8)]
    assert issue_status(jump, end, 28) == "emerging"
    assert issue_status([date(2026, 11, 14)] * 3, end, 28) == "active"  # too few to call


def test_run_id_is_the_interval():
    assert interval_run_id(date(2026, 10, 19), date(2026, 11, 16)) == "2026-10-19_2026-11-16"


def test_impact_is_the_touchpoint_score_without_the_issue_minus_with_it():
    from dataclasses import asdict

    from cx_nlp.issues.figures import MIN_SCORES_LEFT
    from cx_nlp.issues.figures import impact as impact_of
    from cx_nlp.records import WindowDocument

    def impact(members, touchpoint_documents):
        return asdict(impact_of(members, touchpoint_documents))

    def doc(i, rating, kind="review", score_type=None):
        return WindowDocument(
            f"f{i}", "t", "h", date(2026, 11, 1), rating, kind, "negative", -0.5, "delivery", None, score_type
        )

    def answers(kind, scores, first):
        return [doc(first + n, score, "survey", kind) for n, score in enumerate(scores)]

    issue = [doc(1, 1), doc(2, 1), *answers("nps", [0], 3), *answers("csat", [2], 4), *answers("ces", [2], 5)]
    rest = [
        *[doc(10 + n, stars) for n, stars in enumerate([5, 4, 5, 4, 5])],
        *answers("nps", [10, 9, 10, 9, 6], 20),
        *answers("csat", [5, 4, 3, 5, 4], 30),
        *answers("ces", [6, 7, 6, 7, 6], 40),
    ]
    result = impact(issue, issue + rest)
    assert list(result) == ["rating_impact", "nps_impact", "csat_impact", "ces_impact"]
    # Stars: mean 25/7 = 3.571 with the issue, 4.6 without it.
    assert result["rating_impact"] == 1.029
    # NPS: 4 promoters and 2 detractors of 6 (33.33) with it; 4 and 1 of 5 (60) without.
    assert result["nps_impact"] == 26.67
    # CSAT: 4 of 6 answers are 4-5 with the issue (66.67%), 4 of 5 without it (80%).
    assert result["csat_impact"] == 13.33
    # CES: mean 5.67 with the issue, 6.4 without it.
    assert result["ces_impact"] == 0.73
    # Nothing left to compare with: no impact at all.
    everything = issue + rest
    assert impact(everything, everything) == dict.fromkeys(result)
    # Fewer than MIN_SCORES_LEFT answers left: too few for a baseline, whatever the figure would say.
    assert MIN_SCORES_LEFT == 5
    thin = impact(issue, issue + [d for d in rest if d.feedback_id not in {"f14", "f24"}])
    assert thin["rating_impact"] is None and thin["nps_impact"] is None and thin["csat_impact"] == 13.33
    # A touchpoint without CSAT or CES answers has no such impact, whatever its stars say.
    stars_only = impact(issue[:2], [d for d in issue + rest if d.source_kind == "review"])
    assert stars_only["rating_impact"] == 1.029
    assert stars_only["csat_impact"] is None and stars_only["ces_impact"] is None
