"""Export files (CSV, JSON Lines, Parquet) read row by row: the one reader of file sources and survey exports."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path


def _json_safe(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return value


def read_rows(path: Path, fmt: str, encoding: str = "utf-8") -> Iterator[dict]:
    """Each row of an export as a JSON-safe payload, in file order.

    Nothing is dropped: undecodable bytes stay as lone surrogates for validation to quarantine, and a
    JSON line that does not parse, or is not an object, becomes a row naming its error.
    """
    for row in _rows(path, fmt, encoding):
        yield {str(k): _json_safe(v) for k, v in row.items()}


def _rows(path: Path, fmt: str, encoding: str) -> Iterator[dict]:
    if fmt == "csv":
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as handle:
            yield from csv.DictReader(handle)
    elif fmt == "jsonl":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                text = line.decode(encoding, errors="surrogateescape")
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    # Kept as a row of its own so validation quarantines it with the reason.
                    row = {"__unparsed__": text.rstrip("\n"), "__error__": f"line {number}: invalid JSON: {exc.msg}"}
                if not isinstance(row, dict):
                    row = {"__unparsed__": text.rstrip("\n"), "__error__": f"line {number}: not a JSON object"}
                yield row
    else:
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()
