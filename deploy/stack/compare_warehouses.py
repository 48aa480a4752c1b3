"""Whether two warehouses hold the same rows: every table of the schema, row for row by primary key.

`python compare_warehouses.py URL_A URL_B` prints each table's row count in both and at most 20
differences, and exits 1 when they differ. Columns that say when or where a run happened (timestamps,
host, pid, report path, the run's timing stats) are left out; numbers, and float32 vectors, compare within
a tolerance (2e-4 by default: scores computed in other batches differ in the last bits, more so in
bfloat16), and the largest deviation of each column is reported; everything else, ids, texts, labels,
keywords, memberships, lineage, compares exactly.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
from sqlalchemy import create_engine, select

from cx_nlp.warehouse.schema import metadata

FLOAT_TOLERANCE = 2e-4
VOLATILE_COLUMNS = {
    "pipeline_run": {"started_at", "finished_at", "report_path", "host", "pid", "stats"},
    "source_state": {"updated_at"},
    "issue_label": {"set_at"},
    "issue_merge": {"set_at"},
}


def deviation(a: object, b: object) -> float:
    """The largest difference between two values: of numbers and float32 vectors, at any depth of JSON;
    infinite when anything else (an id, a text, a length, a key) differs, 0 when they are equal."""
    if isinstance(a, (bytes, memoryview)) and isinstance(b, (bytes, memoryview)):
        x, y = np.frombuffer(bytes(a), dtype="<f4"), np.frombuffer(bytes(b), dtype="<f4")
        return float(np.abs(x - y).max(initial=0.0)) if x.shape == y.shape else math.inf
    if isinstance(a, float) or isinstance(b, float):
        numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
        return abs(float(a) - float(b)) if numbers else (0.0 if a == b else math.inf)
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return math.inf
        return max((deviation(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return math.inf
        return max((deviation(x, y) for x, y in zip(a, b)), default=0.0)
    return 0.0 if a == b else math.inf


def _rows(url: str) -> dict[str, dict[tuple, dict]]:
    """Table -> primary key -> the row's comparable columns."""
    engine = create_engine(url)
    found: dict[str, dict[tuple, dict]] = {}
    try:
        with engine.connect() as connection:
            for name, table in sorted(metadata.tables.items()):
                key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
                skip = VOLATILE_COLUMNS.get(name, set())
                found[name] = {
                    tuple(str(row[k]) for k in key): {c: v for c, v in row.items() if c not in skip}
                    for row in connection.execute(select(table)).mappings()
                }
    finally:
        engine.dispose()
    return found


def compare(url_a: str, url_b: str, tolerance: float = FLOAT_TOLERANCE, limit: int = 20):
    """(table -> (rows in A, rows in B), column -> largest numeric deviation, differences): a difference is
    a row in one warehouse only, or a value that differs by more than `tolerance` (at most `limit` listed)."""
    a, b = _rows(url_a), _rows(url_b)
    counts = {table: (len(a[table]), len(b[table])) for table in a}
    deviations: dict[str, float] = {}
    differences: list[str] = []
    for table in a:
        for key in sorted(a[table].keys() ^ b[table].keys()):
            differences.append(f"{table} {key}: only in {'A' if key in a[table] else 'B'}")
        for key in sorted(a[table].keys() & b[table].keys()):
            row_a, row_b = a[table][key], b[table][key]
            for column in row_a:
                found = deviation(row_a[column], row_b.get(column))
                if found > 0:
                    deviations[f"{table}.{column}"] = max(found, deviations.get(f"{table}.{column}", 0.0))
                if found > tolerance:
                    differences.append(f"{table} {key}: {column} differs by {found:.3g}")
    return counts, deviations, differences[:limit]


def issue_ids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(select(metadata.tables["issue"].c.issue_id)).scalars())
    finally:
        engine.dispose()


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: compare_warehouses.py URL_A URL_B", file=sys.stderr)
        return 2
    counts, deviations, differences = compare(sys.argv[1], sys.argv[2])
    print(json.dumps({"rows": counts, "deviations": deviations, "differences": differences}, indent=1))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
