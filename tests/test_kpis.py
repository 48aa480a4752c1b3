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
