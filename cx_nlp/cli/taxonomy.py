"""`cx-nlp taxonomy suggest`: candidate touchpoints for what accumulates in `other`."""

from __future__ import annotations

import typer

from cx_nlp.cli.common import fail, load_settings

app = typer.Typer(help="Work on the touchpoint taxonomy.", no_args_is_help=True)


@app.command("suggest")
def taxonomy_suggest(
    days: int = typer.Option(28, help="Look at the feedback of this many days up to the newest."),
    min_size: int = typer.Option(
        0,
        help="Smallest group worth a touchpoint, in sentences (documents with --whole-documents); "
        "0: one in 200, at least 4.",
    ),
    top: int = typer.Option(12, help="At most this many candidates, those covering the most documents."),
    include_positive: bool = typer.Option(
        False, "--include-positive", help="Also feedback scored positive (by default only what might be a problem)."
    ),
    whole_documents: bool = typer.Option(
        False, "--whole-documents", help="Cluster whole documents (their stored embeddings) instead of their sentences."
    ),
    max_sentences: int = typer.Option(
        20000, help="Read at most this many sentences: whole documents of a seeded sample beyond that."
    ),
) -> None:
    """Propose touchpoints for what accumulates in `other`, as YAML to review and paste into the taxonomy.

    Sentences are clustered rather than whole documents: a review speaks of several things, and
    clustered whole, reviews group by what was bought ("dress", "jeans") rather than by what went wrong
    ("runs small"). Praise is left out unless asked for, for the same reason (docs/quality.md).
    """
    from cx_nlp.operations import suggest_touchpoints_from_warehouse
    from cx_nlp.taxonomy import as_yaml

    try:
        found = suggest_touchpoints_from_warehouse(
            load_settings(), days, min_size, include_positive, whole_documents, max_sentences
        )
    except ValueError as exc:
        fail(str(exc))
    if not found.enough:
        typer.echo(f"# only {found.documents} {found.kind} in `{found.other}` over {days} days: nothing to suggest")
        return
    read = f"{found.documents} {found.kind}"
    if found.sentences is not None:
        read = f"{found.sentences} sentences of {read}"
    typer.echo(f"# {read} in `{found.other}` over the {days} days to {found.last_day}")
    if len(found.suggestions) > top:
        typer.echo(f"# the {top} candidates covering the most documents of {len(found.suggestions)} found (--top)")
    typer.echo(as_yaml(found.suggestions[:top]) if found.suggestions else "# no coherent group found")
