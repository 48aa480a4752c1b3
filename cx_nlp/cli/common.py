"""What every command shares: settings, the warehouse engine, dates and the error exit."""

from __future__ import annotations

import os
from datetime import date, timedelta

import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")


def load_settings():
    from cx_nlp.settings import Settings

    return Settings()


def warehouse_engine(settings):
    from cx_nlp.warehouse.db import make_engine

    return make_engine(settings.resolved_warehouse_url())


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def configured_sources(settings):
    from cx_nlp.config import ConfigError, load_sources

    try:
        return load_sources(settings.path(settings.sources_config)).sources
    except ConfigError as exc:
        fail(str(exc))


def interval(
    first: str | None, last: str | None, default_first: date, first_flag: str, default_last: date | None = None
) -> tuple[date, date]:
    """Parse an interval [first, last) given as YYYY-MM-DD; `last` defaults to `default_last`, else first + 1."""
    try:
        start = date.fromisoformat(first) if first else default_first
        end = date.fromisoformat(last) if last else default_last or start + timedelta(days=1)
    except ValueError as exc:
        fail(f"dates must be YYYY-MM-DD: {exc}")
    if end <= start:
        fail(f"--end {end} must be after {first_flag} {start}")
    return start, end


def open_pipeline_or_exit(settings):
    """Validated configuration and a migrated warehouse, or a clear error and exit code 2."""
    from cx_nlp.config import ConfigError
    from cx_nlp.pipeline import open_pipeline

    try:
        return open_pipeline(settings)
    except (ConfigError, FileNotFoundError) as exc:
        fail(str(exc))
