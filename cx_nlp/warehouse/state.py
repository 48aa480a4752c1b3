"""Stream bookmarks kept in the warehouse, written in the transaction that commits the records."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from cx_nlp.warehouse import schema as t
from cx_nlp.warehouse.statements import upsert


class WarehouseStateStore:
    """The StateStore of `cx_nlp.sources.streams` over the `source_state` table."""

    def __init__(self, connection: Connection, run_id: str | None = None):
        self.connection = connection
        self.run_id = run_id

    def get(self, stream_name: str) -> dict | None:
        return self.connection.execute(
            select(t.source_state.c.state).where(t.source_state.c.stream == stream_name)
        ).scalar_one_or_none()

    def set(self, stream_name: str, state: dict) -> None:
        upsert(
            self.connection,
            t.source_state,
            [{"stream": stream_name, "state": state, "updated_at": datetime.now(UTC), "run_id": self.run_id}],
            ["stream"],
        )

    def all(self) -> dict[str, dict]:
        return dict(self.connection.execute(select(t.source_state.c.stream, t.source_state.c.state)).all())
