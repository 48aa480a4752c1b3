"""Create the SQL views of `sql/` (staging, then marts) over the migrated tables."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, text

_VIEW_NAME = re.compile(r"CREATE\s+VIEW\s+(\w+)", re.IGNORECASE)


def view_files(sql_dir: Path) -> list[Path]:
    return sorted([*sql_dir.glob("staging/*.sql"), *sql_dir.glob("marts/*.sql")], key=lambda p: p.name)


def apply_views(engine: Engine, sql_dir: Path) -> list[str]:
    """Drop and recreate every view, dependants first, in one transaction."""
    files = view_files(sql_dir)
    definitions = []
    for path in files:
        sql = path.read_text(encoding="utf-8")
        match = _VIEW_NAME.search(sql)
        if not match:
            raise ValueError(f"{path}: expected one CREATE VIEW statement")
        definitions.append((match.group(1), sql))
    with engine.begin() as connection:
        for name, _ in reversed(definitions):
            connection.execute(text(f"DROP VIEW IF EXISTS {name}"))
        for _, sql in definitions:
            connection.execute(text(sql))
    return [name for name, _ in definitions]
