"""`cx-nlp sources`: list the configured sources with their bookmarks, check their config."""

from __future__ import annotations

import typer

from cx_nlp.cli.common import configured_sources, load_settings

app = typer.Typer(help="List and check the configured feedback sources.", no_args_is_help=True)


@app.command("list")
def sources_list() -> None:
    """Each configured source with its kind and, for incremental connectors, its bookmark."""
    from rich.console import Console
    from rich.table import Table

    from cx_nlp.operations import source_overview

    settings = load_settings()
    rows = source_overview(settings, configured_sources(settings))
    table = Table(title=f"Sources in {settings.path(settings.sources_config)}")
    for column in ("name", "kind", "reads", "bookmark"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.kind, row.reads, row.bookmark)
    Console().print(table)


@app.command("check")
def sources_check() -> None:
    """Validate every source's config and credentials (present in the environment) without fetching."""
    from cx_nlp.sources.catalog import check_sources

    settings = load_settings()
    problems = 0
    for name, problem in check_sources(configured_sources(settings), settings.home):
        if problem is None:
            typer.echo(f"ok   {name}")
        else:
            problems += 1
            typer.secho(f"FAIL {name}: {problem}", fg=typer.colors.RED)
    if problems:
        raise typer.Exit(code=2)
