"""NPS, CSAT and CES from (score_type, score) pairs."""

from __future__ import annotations

import pytest

from cx_nlp.kpis import SCORE_RANGES, Kpi, ces, compute_kpis, csat, nps


def test_nps_is_percent_promoters_minus_percent_detractors():
    # 3 promoters (9, 10, 10), 2 passives (7, 8), 5 detractors (0..6): 30% - 50%.
    assert nps([9, 10, 10, 7, 8, 0, 3, 6, 6, 5]) == pytest.approx(-20.0)
    assert nps([10, 9]) == 100.0 and nps([6, 0]) == -100.0 and nps([7, 8]) == 0.0


def test_csat_is_percent_of_fours_and_fives():
    assert csat([5, 4, 3, 1]) == 50.0
    assert csat([4]) == 100.0 and csat([3, 2]) == 0.0


def test_ces_is_the_mean_effort():
    assert ces([1, 2, 7]) == pytest.approx(10 / 3)


def test_no_responses_give_no_kpi_rather_than_zero():
    assert nps([]) is None and csat([]) is None and ces([]) is None


def test_scores_off_the_scale_are_refused():
    with pytest.raises(ValueError, match=r"nps scores must lie in 0\.\.10; got \[11.0\]"):
        nps([10, 11])
    with pytest.raises(ValueError, match=r"csat scores must lie in 1\.\.5"):
        csat([0])
    assert SCORE_RANGES == {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def test_compute_kpis_groups_by_score_type():
    kpis = compute_kpis([("nps", 10), ("NPS", 2), ("csat", 5), ("ces", 3), ("ces", 5)])
    assert kpis == {
        "ces": Kpi("ces", 4.0, 2),
        "csat": Kpi("csat", 100.0, 1),
        "nps": Kpi("nps", 0.0, 2),
    }
    with pytest.raises(ValueError, match="unknown score_type 'stars'"):
        compute_kpis([("stars", 4)])


def test_an_issues_impact_reads_only_the_scored_feedback_of_its_touchpoint_with_the_same_result():
    """`ScoredTouchpoint` gathers a touchpoint's scored feedback once a night; each issue's impact
    against it equals the impact against the whole touchpoint with the issue's members laid over it
    (their copies carry the member segment's tone), members from other touchpoints included."""
    import random
    from dataclasses import replace
    from datetime import date

    from cx_nlp.issues.figures import ScoredTouchpoint, impact
    from cx_nlp.records import WindowDocument

    draw = random.Random(7)
    kinds = [
        ("review", None, (1, 5)),
        ("survey", "nps", (0, 10)),
        ("survey", "csat", (1, 5)),
        ("survey", "ces", (1, 7)),
    ]

    def feedback(number: int, touchpoint: str) -> WindowDocument:
        kind, score_type, (low, high) = draw.choice(kinds)
        rating = None if draw.random() < 0.4 else float(draw.randint(low, high))
        return WindowDocument(
            f"{touchpoint}-{number}", "t", "h", date(2026, 11, 1), rating, kind, "negative", -0.5, touchpoint, None,
            score_type=score_type,
        )  # fmt: skip

    delivery = [feedback(n, "delivery") for n in range(400)]
    elsewhere = [feedback(n, "billing") for n in range(50)]
    scored = ScoredTouchpoint.of(delivery)
    assert len(scored.scored) < len(delivery) and all(d.rating is not None for d in scored.scored)
    results = set()
    for size in (5, 40, 200):
        members = [replace(d, label="neutral", score=0.1) for d in draw.sample(delivery, size) + elsewhere[: size // 5]]
        whole = {d.feedback_id: d for d in delivery} | {d.feedback_id: d for d in members}
        expected = impact(members, list(whole.values()))
        assert impact(members, scored.around(members)) == expected
        results.add(expected)
    assert len(results) == 3 and any(value is not None for value in vars(results.pop()).values())
