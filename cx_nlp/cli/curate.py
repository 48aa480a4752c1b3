"""`cx-nlp issues`: analysts name issues and merge those that are one problem."""

from __future__ import annotations

import typer

from cx_nlp.cli.common import fail, load_settings

app = typer.Typer(help="Curate the issues the pipeline found.", no_args_is_help=True)


@app.command("label")
def issues_label(
    issue_id: str = typer.Argument(..., help="The issue's id, as the report and mart_issue_overview show it."),
    label: str = typer.Argument(None, help='The name analysts give it, e.g. "Late deliveries".'),
    clear: bool = typer.Option(False, "--clear", help="Back to the keyword label the pipeline builds."),
) -> None:
    """Name an issue: the report, the marts and `cx-nlp run` show this name instead of its keyword label,
    night after night, for as long as the issue keeps its id."""
    from cx_nlp.operations import label_issue

    if clear == (label is not None):
        fail("give either a label or --clear")
    if label is not None and not label.strip():
        fail("the label is blank; --clear goes back to the keyword label")
    try:
        keyword_label = label_issue(load_settings(), issue_id, None if clear else label)
    except ValueError as exc:
        fail(str(exc))
    if clear:
        typer.echo(f'{issue_id}: back to its keyword label "{keyword_label}"')
    else:
        typer.echo(f'{issue_id}: "{label.strip()}" (keyword label "{keyword_label}")')


@app.command("merge")
def issues_merge(
    issue_id: str = typer.Argument(..., help="The issue to absorb."),
    into: str = typer.Option(None, "--into", help="The issue its feedback counts under from the next night on."),
    undo: bool = typer.Option(False, "--undo", help="Take the merge back."),
) -> None:
    """Merge two issues that are one problem, across touchpoints too (a late courier read as a food
    complaint). From the next night on the absorbed issue's feedback, and new feedback that reads like
    it, counts under the other; the absorbed id is `merged` and mart_issue_lineage says where it went."""
    from cx_nlp.operations import merge_issue, unmerge_issue

    if undo == (into is not None):
        fail("give either --into ISSUE or --undo")
    try:
        if undo:
            was = unmerge_issue(load_settings(), issue_id)
        else:
            absorbed_label, kept_label = merge_issue(load_settings(), issue_id, into)
    except ValueError as exc:
        fail(str(exc))
    if undo:
        typer.echo(f"{issue_id}: no longer merged into {was}; from the next night its feedback is mined afresh")
    else:
        typer.echo(f"{issue_id} ({absorbed_label}) counts under {into} ({kept_label}) from the next night on")
