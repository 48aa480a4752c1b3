"""Export files (CSV, JSON Lines, Parquet) read row by row: the one reader of file sources and survey exports.

Nothing in a file fails its source: a CSV record or a JSON line that cannot be read becomes a row of its
own that names its error under `ERROR_KEY` (validation quarantines it with that reason and the row's
position), and reading goes on with the next line.
"""

from __future__ import annotations

import csv
import json
import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

# Keys a row that could not be read is kept under: the line as it was, and why.
ERROR_KEY = "__error__"
UNPARSED_KEY = "__unparsed__"
# The fields of a CSV row beyond the header's, kept with the quarantined row.
EXTRA_KEY = "__extra__"

# A CSV field may be this long (the csv module's default, 131,072 characters, is short for an email).
FIELD_LIMIT = 16 * 1024 * 1024
# A quoted CSV field spanning more lines than this is taken for a quote never closed.
MAX_RECORD_LINES = 1_000
# A quoted field whose lines include this many that are rows of the header's width on their own is a
# quote never closed, which swallowed them (see `_CsvRecords`).
RUNAWAY_ROWS = 3
# JSON nested deeper than this is no feedback; every later step (payload keys, the warehouse's JSON
# columns) walks payloads recursively, so such a line is quarantined before anything walks it.
MAX_DEPTH = 64
# Python's own limit on the digits of an integer it converts (sys.int_info.default_max_str_digits).
MAX_DIGITS = 4300


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
    CSV record or JSON line that cannot be read becomes a row naming its error (`ERROR_KEY`).
    """
    if fmt == "csv":
        rows = _csv_rows(path, encoding)
    elif fmt == "jsonl":
        rows = _jsonl_rows(path, encoding)
    else:
        rows = _parquet_rows(path)
    for row in rows:
        yield {str(k): _json_safe(v) for k, v in row.items()}


# Rows made into Python dicts at once from a Parquet export. The whole table as dicts took 294 MiB of
# peak RSS for 153,773 short survey answers (8 MB on disk), in batches 177 (docs/benchmarks.md).
PARQUET_BATCH_ROWS = 2_000


def _parquet_rows(path: Path) -> Iterator[dict]:
    """A Parquet export's rows, a batch at a time: what is held is one row group's columns, decoded."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            yield from batch.to_pylist()


def raise_csv_field_limit() -> None:
    """Let the csv module read fields up to FIELD_LIMIT (its limit is one for the whole process)."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)


def error_row(line: int, text: str, reason: str) -> dict:
    return {UNPARSED_KEY: text.rstrip("\r\n"), ERROR_KEY: f"line {line}: {reason}"}


# ---------------------------------------------------------------- CSV


@dataclass
class _Record:
    line: int  # the physical line it starts on
    lines: list[str]  # its physical lines, as read
    fields: list[str] | None = None  # None: not valid CSV
    error: str = ""


class _TooManyLines(Exception):
    pass


class _Lines:
    """A file's physical lines, numbered; lines can be put back to be read again."""

    def __init__(self, handle: TextIO):
        self._handle = handle
        self._pending: deque[tuple[int, str]] = deque()
        self._read = 0
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise _TooManyLines
        if self._pending:
            number, line = self._pending.popleft()
        else:
            line = next(self._handle)
            self._read += 1
            number = self._read
        self.taken.append((number, line))
        return line

    def put_back_after_first(self) -> None:
        self._pending.extendleft(reversed(self.taken[1:]))


class _CsvRecords:
    """CSV records read strictly, each with the lines it spans; a quote never closed is found and undone.

    The rule for a runaway quote (a field opened with `"` and never closed, which reads the rest of
    the file, or up to the next quote, as one field): a record spanning several lines is a runaway when

    - the csv module, reading strictly, fails inside it (the end of the file inside the quotes, or a
      quote that closes where no field ends, as `"Fine` after the runaway's closing quote),
    - its fields do not add up to the header's, or it spans more than MAX_RECORD_LINES lines,
    - or RUNAWAY_ROWS of the lines inside its quotes, and all of them, are rows of the header's width
      on their own (two lines of a comment that split into the header's fields are not enough).

    A runaway's first line (the one that opened the quote) becomes one bad record, and reading starts
    again on the line after it, so the rows it swallowed are read as rows. A one-line record with a
    stray quote is read leniently, as before; one with a field over FIELD_LIMIT is one bad record.
    Multi-line quoted fields that meet none of these load as they always did.
    """

    def __init__(self, handle: TextIO):
        self._lines = _Lines(handle)
        self._reader = csv.reader(self._lines, strict=True)

    def next(self, width: int | None) -> _Record | None:
        """The next record; `width` is the header's number of fields (None while reading the header)."""
        lines = self._lines
        lines.taken = []
        try:
            fields = next(self._reader)
        except StopIteration:
            return None
        except _TooManyLines:
            return self._broken(f"it runs over {MAX_RECORD_LINES} lines")
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return self._broken("it runs to the end of the file")
            if len(lines.taken) > 1:
                return self._broken(f"it ends on line {lines.taken[-1][0]}: {exc}")
            if "larger than field limit" in str(exc):
                return self._broken(f"a field longer than {FIELD_LIMIT:,} characters", runaway=False)
            # One line with a stray quote (`"Great" service`): read leniently, as csv.DictReader did.
            self._reader = csv.reader(lines, strict=True)
            fields = _lenient(lines.taken[0][1])
            if fields is None:
                return self._broken(f"malformed CSV: {exc}", runaway=False)
        record = _Record(lines.taken[0][0], [line for _, line in lines.taken], fields)
        if width is not None and len(record.lines) > 1:
            if len(fields) != width:
                end = lines.taken[-1][0]
                return self._broken(f"it runs to line {end}, a row of {len(fields)} fields, the header's {width}")
            inner = record.lines[1:-1]
            if len(inner) >= RUNAWAY_ROWS and all(_width(line) == width for line in inner):
                return self._broken(f"{len(inner)} rows of their own follow in it")
        return record

    def _broken(self, problem: str, runaway: bool = True) -> _Record:
        """The current record's first line as a bad record; a runaway's other lines are read again."""
        number, first = self._lines.taken[0]
        if runaway:
            self._lines.put_back_after_first()
        # A fresh reader: nothing of the failed record's state carries over.
        self._reader = csv.reader(self._lines, strict=True)
        return _Record(number, [first], None, f"a quoted field never closed ({problem})" if runaway else problem)


def _width(line: str) -> int | None:
    try:
        return len(next(csv.reader([line], strict=True), []))
    except csv.Error:
        return None


def _lenient(line: str) -> list[str] | None:
    """One line's fields as the csv module reads them when not strict (None if even that fails)."""
    try:
        return next(csv.reader([line.rstrip("\r\n")]), [])
    except csv.Error:
        return None


def _csv_rows(path: Path, encoding: str) -> Iterator[dict]:
    raise_csv_field_limit()
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as handle:
        records = _CsvRecords(handle)
        header: list[str] | None = None
        while (record := records.next(None if header is None else len(header))) is not None:
            if record.fields == []:
                continue  # a blank line, skipped as csv.DictReader skips it
            if header is None:
                # A header that is not valid CSV is read as best it can be, on its own line.
                header = record.fields or _lenient(record.lines[0]) or []
            elif record.fields is None:
                yield error_row(record.line, "".join(record.lines), record.error)
            else:
                yield _csv_row(header, record)


def _csv_row(header: list[str], record: _Record) -> dict:
    fields = record.fields or []
    row: dict = dict(zip(header, fields))
    if len(fields) > len(header):
        # More fields than names: a delimiter in an unquoted text, so the fields are not where their
        # names say. Kept, beyond the header's under EXTRA_KEY, for validation to quarantine.
        row[EXTRA_KEY] = fields[len(header) :]
        row[ERROR_KEY] = f"line {record.line}: {len(fields)} fields where the header has {len(header)}"
    else:
        # Fewer: the missing trailing fields are empty (None), as csv.DictReader has them.
        row.update(dict.fromkeys(header[len(fields) :]))
    return row


# ---------------------------------------------------------------- JSON Lines


class _Unreadable(ValueError):
    pass


def _constant(name: str) -> object:
    raise _Unreadable(f"{name} is not a JSON value")


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Unreadable(f"an integer of {digits} digits (at most {MAX_DIGITS})")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Unreadable(f"the number {text[:40]} is out of range")
    return value


def _deeper_than(value: object, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_json_object(text: str) -> tuple[dict | None, str]:
    """A JSON object read strictly, or None and why not (invalid, not an object, too deep, a number
    Python or a warehouse cannot hold: NaN, infinities, integers over MAX_DIGITS digits)."""
    too_deep = f"invalid JSON: nested more than {MAX_DEPTH} levels deep"
    try:
        value = json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_number)
    except RecursionError:
        return None, too_deep
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    except ValueError as exc:
        return None, f"invalid JSON: {exc}"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    if _deeper_than(value, MAX_DEPTH):
        return None, too_deep
    return value, ""


def _jsonl_rows(path: Path, encoding: str) -> Iterator[dict]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            text = line.decode(encoding, errors="surrogateescape")
            row, error = parse_json_object(text)
            # A line that cannot be read is kept as a row of its own so validation quarantines it.
            yield row if row is not None else error_row(number, text, error)
