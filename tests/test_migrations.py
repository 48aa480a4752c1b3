"""Migrations: a warehouse with data upgrades in place, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from cx_nlp.warehouse import schema
from cx_nlp.warehouse.db import alembic_config, make_engine, upgrade


def test_upgrade_keeps_rows_and_fills_new_columns(warehouse_url):
    engine = make_engine(warehouse_url)
    upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO touchpoint_daily (touchpoint, day, volume, negative_share, mean_sentiment, mean_rating) "
                "VALUES ('delivery', :day, 4, 0.5, -0.2, 2.5)"
            ),
            {"day": date(2026, 11, 1)},
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT volume, nps, nps_responses, ces_responses FROM touchpoint_daily")).one()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert tuple(row) == (4, None, 0, 0)
    assert version == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    # Every table of the schema module exists with its columns: migrations and schema agree.
    inspector = inspect(engine)
    for name, table in schema.metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys()), name
    engine.dispose()


def test_migrations_build_exactly_the_schema_module(warehouse_url):
    """Autogenerate finds nothing to add: the schema module and the migrations have not drifted apart."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(warehouse_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    assert differences == []
    engine.dispose()
