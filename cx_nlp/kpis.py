"""Survey KPIs from (score_type, score) pairs: NPS, CSAT and CES, with the scales each is asked on.

Pure functions, so a report, a mart check and a test all compute the same number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean

# The answer scale of each question type, both ends included.
SCORE_RANGES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


@dataclass(frozen=True)
class Kpi:
    score_type: str
    value: float
    responses: int


def _checked(score_type: str, scores: Iterable[float]) -> list[float]:
    low, high = SCORE_RANGES[score_type]
    values = [float(s) for s in scores]
    bad = [s for s in values if not low <= s <= high]
    if bad:
        raise ValueError(f"{score_type} scores must lie in {low}..{high}; got {bad[:5]}")
    return values


def nps(scores: Iterable[float]) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100."""
    values = _checked("nps", scores)
    if not values:
        return None
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    return 100.0 * (promoters - detractors) / len(values)


def csat(scores: Iterable[float]) -> float | None:
    """Customer satisfaction: % of answers that are 4 or 5 on the 1-5 scale."""
    values = _checked("csat", scores)
    if not values:
        return None
    return 100.0 * sum(1 for s in values if s >= 4) / len(values)


def ces(scores: Iterable[float]) -> float | None:
    """Customer effort score: the mean answer on the 1-7 scale of CES 2.0 ("the company made it easy
    for me to handle my issue", 7: strongly agree), so higher is better, as for NPS and CSAT."""
    values = _checked("ces", scores)
    return fmean(values) if values else None


_FORMULAS = {"nps": nps, "csat": csat, "ces": ces}


def compute_kpis(responses: Iterable[tuple[str, float]]) -> dict[str, Kpi]:
    """One Kpi per score type present; an unknown type or an out-of-scale score raises ValueError."""
    grouped: dict[str, list[float]] = {}
    for score_type, score in responses:
        kind = score_type.lower()
        if kind not in _FORMULAS:
            raise ValueError(f"unknown score_type {score_type!r}; expected one of {sorted(_FORMULAS)}")
        grouped.setdefault(kind, []).append(score)
    return {
        kind: Kpi(kind, _FORMULAS[kind](scores), len(scores))  # type: ignore[arg-type]
        for kind, scores in sorted(grouped.items())
    }
