"""Stage functions without models: ingest isolation, dedupe, PII before hashing, emerging flag."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cx_nlp.config import SourcesConfig
from cx_nlp.pipeline import ingest, interval_run_id, issue_status, normalise
from cx_nlp.records import SourceRecord

ROOT = Path(__file__).resolve().parent.parent


def record(external_id: str, text: str, day: int = 20, source: str = "reviews", key: str | None = None) -> SourceRecord:
    return SourceRecord(
        source=source,
        external_id=external_id,
        source_kind="review",
        text=text,
        created_at=datetime(2026, 10, day, 12, tzinfo=timezone.utc),
        raw_record_key=key or f"k-{external_id}-{day}",
    )


def test_a_failing_source_does_not_stop_the_others(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,body,when\na1,Parcel late,2026-10-20\n")
    config = SourcesConfig.model_validate(
        {
            "sources": [
                {"name": "missing", "path": str(tmp_path / "nope.csv"), "source_kind": "review",
                 "fields": {"id": "id", "text": "body", "created_at": "when"}},
                {"name": "good", "path": str(good), "source_kind": "ticket",
                 "fields": {"id": "id", "text": "body", "created_at": "when"}},
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
    from cx_nlp.pipeline import impact
    from cx_nlp.warehouse.store import WindowDocument

    def doc(i, rating, kind="review", score_type=None):
        return WindowDocument(f"f{i}", "t", "h", date(2026, 11, 1), rating, kind, "negative", -0.5, "delivery", None, score_type)

    issue = [doc(1, 1), doc(2, 1), doc(3, 0, "survey", "nps"), doc(8, 2, "survey", "csat"), doc(9, 2, "survey", "ces")]
    touchpoint = issue + [
        doc(4, 5), doc(5, 4), doc(6, 10, "survey", "nps"), doc(7, 9, "survey", "nps"),
        doc(10, 5, "survey", "csat"), doc(11, 4, "survey", "csat"), doc(12, 3, "survey", "csat"),
        doc(13, 6, "survey", "ces"), doc(14, 7, "survey", "ces"),
    ]
    result = impact(issue, touchpoint)
    # Stars: mean 2.75 with the issue, 4.5 without it. NPS: 33.33 with (2 promoters, 1 detractor), 100 without.
    assert result["rating_impact"] == 1.75
    assert result["nps_impact"] == 66.67
    # CSAT: 2 of 4 answers are 4-5 with the issue (50%), 2 of 3 without it (66.67%).
    assert result["csat_impact"] == 16.67
    # CES: mean 5.0 with the issue, 6.5 without it.
    assert result["ces_impact"] == 1.5
    assert list(result) == ["rating_impact", "nps_impact", "csat_impact", "ces_impact"]
    assert impact(touchpoint, touchpoint) == dict.fromkeys(result)
    # A touchpoint without CSAT or CES answers has no such impact, whatever its stars say.
    stars_only = impact(issue[:2], [d for d in touchpoint if d.source_kind == "review"])
    assert stars_only["rating_impact"] == 1.75
    assert stars_only["csat_impact"] is None and stars_only["ces_impact"] is None
