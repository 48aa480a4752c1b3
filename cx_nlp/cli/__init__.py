"""`cx-nlp` command line: runs the same library stages as the Airflow DAG, without Airflow.

Each command parses its options, calls one library function and prints what it returned.
"""

from __future__ import annotations

import typer

from cx_nlp.cli import curate, evaluation, models, nightly, sources, taxonomy

app = typer.Typer(help="Mine recurring customer-experience issues from feedback.", no_args_is_help=True)
app.command("init-db")(nightly.init_db)
app.command("run")(nightly.run)
app.command("ingest")(nightly.ingest_command)
app.command("evaluate")(evaluation.evaluate_command)
app.command("report")(nightly.report)
app.add_typer(models.app, name="models")
app.add_typer(sources.app, name="sources")
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(curate.app, name="issues")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
