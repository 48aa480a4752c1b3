"""Statements every warehouse write shares: chunked inserts and upserts on natural keys."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

# Parameters per statement stay well under SQLite's and psycopg's limits.
_CHUNK = 500


def chunks(items: Iterable, size: int = _CHUNK) -> Iterator[list]:
    """`items`, a list or any iterable read once, in lists of `size`: rows made as they are written
    are never all in memory at once (a million documents' issue memberships: 2.4 million rows)."""
    iterator = iter(items)
    while part := list(islice(iterator, size)):
        yield part


def upsert(
    connection: Connection, table: Table, rows: list[dict], keys: Sequence[str], keep: Sequence[str] = ()
) -> None:
    """Insert rows, updating the non-key columns (but those in `keep`) of rows whose natural key exists."""
    if not rows:
        return
    dialect = connection.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    for part in chunks(rows):
        statement = insert(table).values(list(part))
        updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in (*keys, *keep)}
        connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))


def insert_missing(connection: Connection, table: Table, rows: list[dict], keys: Sequence[str]) -> None:
    if not rows:
        return
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
    for part in chunks(rows):
        connection.execute(insert(table).values(list(part)).on_conflict_do_nothing(index_elements=list(keys)))


def as_utc(value: datetime) -> datetime:
    # SQLite hands timestamps back naive; everything the pipeline writes is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
