"""The runs the golden files record, through the entry points users have: `cx-nlp` commands and
`cx_nlp.pipeline.run_interval`, so the scenarios stay the same however the library is arranged.

Models run in float32 whatever the CPU offers: a bfloat16 machine would otherwise score the
borderline texts of the sample differently from one without.

Issue mining runs at the bars each family's copy was recorded at (`golden.recorded_bars`: the
same-night merge bar and the join bar, named in the copy's bars.json), and the sample is scored by the
sentiment model it was recorded with (`golden.recorded_sentiment`: the registry entry's name, version,
folder and tone calibration, also in bars.json). `tests/golden.py --record` records at the shipped
defaults; when the defaults move (as merge 0.75 -> 0.85 and join 0.5 -> 0.4 did: docs/quality.md,
"Merge bar" and "Join bar"; or a new default sentiment model), a family not recorded again keeps its
copy's bars and model until it is recorded on such a machine: a recording holds only for the CPU family
it was made on. Every model a copy names stays in models/ until no copy names it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_START, SAMPLE_END = date(2026, 10, 19), date(2026, 11, 16)
# Nights mined one by one after a first interval, with an analyst's label and merge in between.
FIRST_NIGHT = date(2026, 11, 12)
# The mining settings a copy names in its bars.json: what it was recorded at.
MINING_BARS = ("issue_merge_similarity", "issue_join_similarity")
# The sentiment model's registry fields a copy names in its bars.json (under `golden.SENTIMENT_MODEL`).
SENTIMENT_FIELDS = ("name", "version", "path", "tone_calibration")


def shipped_bars() -> dict[str, float]:
    """The mining bars as shipped (`Settings` defaults): what `tests/golden.py --record` records at."""
    from cx_nlp.settings import Settings

    return {name: Settings.model_fields[name].default for name in MINING_BARS}


def shipped_sentiment() -> dict[str, str]:
    """The default registry's sentiment model: what `tests/golden.py --record` records with."""
    entry = yaml.safe_load((ROOT / "models" / "registry.yaml").read_text(encoding="utf-8"))["sentiment"]
    return {field: entry.get(field) for field in SENTIMENT_FIELDS}


def float32_registry(folder: Path, sentiment: dict[str, str] | None = None) -> Path:
    """The default registry in float32, with `sentiment` (a copy's recorded model) in place of its own."""
    registry = yaml.safe_load((ROOT / "models" / "registry.yaml").read_text(encoding="utf-8"))
    registry["sentiment"].update(sentiment or {})
    for entry in registry.values():
        entry["cpu_precision"] = "float32"
    path = folder / "registry_float32.yaml"
    path.write_text(yaml.safe_dump(registry), encoding="utf-8")
    return path


def float32_models(folder: Path, sentiment: dict[str, str] | None = None):
    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    return Models(load_registry(float32_registry(folder, sentiment)), ROOT)


def _cli(url: str, *args: str) -> str:
    from typer.testing import CliRunner

    from cx_nlp.cli import app

    result = CliRunner().invoke(app, list(args), env={"CX_WAREHOUSE_URL": url})
    assert result.exit_code == 0, f"cx-nlp {' '.join(args)}: {result.output}"
    return result.output


def _pipeline(url: str, models, folder: Path, bars: dict[str, float]):
    from cx_nlp.pipeline import PipelineContext
    from cx_nlp.settings import Settings
    from cx_nlp.warehouse.db import make_engine

    # The registry file names the models' name and version in every score: the models' own entry.
    sentiment = {field: getattr(models.registry.sentiment, field) for field in SENTIMENT_FIELDS}
    settings = Settings(
        home=ROOT,
        warehouse_url=url,
        progress=False,
        report_dir=folder / "reports",
        model_registry=float32_registry(folder, sentiment),
        **bars,
    )
    _cli(url, "init-db")
    return PipelineContext.from_settings(settings, models=models), make_engine(url)


def sample_run(url: str, models, folder: Path, bars: dict[str, float]) -> str:
    """What `make run` does: the whole bundled sample as one data interval, mining at `bars`."""
    from cx_nlp.pipeline import run_interval

    context, engine = _pipeline(url, models, folder, bars)
    result = run_interval(context, engine, SAMPLE_START, SAMPLE_END)
    engine.dispose()
    return Path(result.report_path).read_text(encoding="utf-8")


def sample_nights(url: str, models, folder: Path, bars: dict[str, float]) -> str:
    """A first interval, then an analyst names one issue and merges two, then four nights one by one,
    mining at `bars`."""
    from cx_nlp.pipeline import run_interval
    from cx_nlp.warehouse.schema import issue

    context, engine = _pipeline(url, models, folder, bars)
    run_interval(context, engine, SAMPLE_START, FIRST_NIGHT)
    with engine.connect() as connection:
        ranked = (
            connection.execute(
                select(issue.c.issue_id)
                .where(issue.c.status == "active")
                .order_by(issue.c.volume.desc(), issue.c.issue_id)
            )
            .scalars()
            .all()
        )
    _cli(url, "issues", "label", ranked[0], "Golden label")
    _cli(url, "issues", "merge", ranked[2], "--into", ranked[1])
    night = FIRST_NIGHT
    while night < SAMPLE_END:
        result = run_interval(context, engine, night, night + timedelta(days=1))
        night += timedelta(days=1)
    engine.dispose()
    return Path(result.report_path).read_text(encoding="utf-8")


SCENARIOS = (sample_run, sample_nights)
