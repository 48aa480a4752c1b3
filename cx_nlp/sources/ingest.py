"""Read every configured source for a data interval: what the pipeline's load stage calls.

Every source takes the same path: `open_stream` builds its Stream from its config entry, `sync` reads
it, and the rows come back as a LoadResult. How a source is read (a snapshot cut to the interval, or
what is new since a bookmark) is the stream's own declaration, not a branch here.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import singledispatch
from pathlib import Path

import numpy as np

from cx_nlp import secrets
from cx_nlp.records import QuarantinedRecord, RawRecord, SourceRecord
from cx_nlp.sources.connectors import build_stream
from cx_nlp.sources.file import FileStream
from cx_nlp.sources.source_config import ConnectorSourceConfig, FileSourceConfig, SourceConfig, SourcesConfig
from cx_nlp.sources.streams import MemoryStateStore, StateStore, Stream, sync

log = logging.getLogger(__name__)

__all__ = ["LoadResult", "RawPayloads", "ingest", "load_source", "open_stream"]


@dataclass
class LoadResult:
    # As the stream's sync left them: past a few thousand rows, on disk (`cx_nlp.spooled`).
    raw: Sequence[RawRecord] = field(default_factory=list)
    records: Sequence[SourceRecord] = field(default_factory=list)
    quarantined: Sequence[QuarantinedRecord] = field(default_factory=list)
    # Snapshot sources: valid rows created outside the interval read.
    outside_interval: int = 0
    id_column: str = ""
    source: str = ""
    # Incremental sources deliver only what is new since their bookmark: their feedback is upserted,
    # not rewritten per interval, and `state` is the bookmark to commit with the records.
    incremental: bool = False
    state: dict | None = None


class RawPayloads(Mapping[tuple[str, str], dict]):
    """Each delivered row's payload by (source, record key), looked up in the loads when asked for:
    normalising reads only those of the records it quarantines, and the loads' rows may be on disk
    (`cx_nlp.spooled`), so no payload is held for the others. The first lookup indexes the rows by a
    64-bit hash of their key, sorted: 16 bytes a row (a dict of the keys held 368 bytes a row, 0.37 GB
    at a million), each hit checked against the row itself. A row delivered twice has one key and one
    payload (the key is the payload's hash): either copy answers."""

    def __init__(self, loads: Sequence[LoadResult]) -> None:
        self._loads = loads
        # The rows' key hashes in order, and where each row lies: load number << 40 | position.
        self._index: tuple[np.ndarray, np.ndarray] | None = None

    def _indexed(self) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None:
            hashes, places = array("q"), array("q")
            for number, load in enumerate(self._loads):
                for position, raw in enumerate(load.raw):
                    hashes.append(_key_hash((raw.source, raw.record_key)))
                    places.append(number << _POSITION_BITS | position)
            keys, where = np.frombuffer(hashes, dtype=np.int64), np.frombuffer(places, dtype=np.int64)
            order = np.argsort(keys, kind="stable")
            self._index = (keys[order], where[order])
        return self._index

    def __getitem__(self, key: tuple[str, str]) -> dict:
        hashes, places = self._indexed()
        wanted = _key_hash(key)
        first, last = np.searchsorted(hashes, wanted, "left"), np.searchsorted(hashes, wanted, "right")
        for place in places[first:last].tolist():
            raw = self._loads[place >> _POSITION_BITS].raw[place & _POSITION_MASK]
            if (raw.source, raw.record_key) == key:
                return raw.payload
        raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(dict.fromkeys((raw.source, raw.record_key) for load in self._loads for raw in load.raw))

    def __len__(self) -> int:
        return sum(1 for _ in self)


# A row's place in the index: its load's number above its position in the load (up to 2**40 rows).
_POSITION_BITS = 40
_POSITION_MASK = (1 << _POSITION_BITS) - 1
# Python's hash of the (source, record key) pair: 64 bits, the same for the same pair within a process.
_key_hash = hash


@singledispatch
def open_stream(source: SourceConfig, home: Path) -> Stream:
    """The Stream that reads one configured source; relative paths resolve against `home`."""
    raise TypeError(f"no stream reads a source configured as {type(source).__name__}")


@open_stream.register
def _open_file(source: FileSourceConfig, home: Path) -> Stream:
    return FileStream(source, home)


@open_stream.register
def _open_connector(source: ConnectorSourceConfig, home: Path) -> Stream:
    options = source.resolved_options() | {"name": source.name}
    # File-reading connectors (exports, mbox) take paths relative to the project, as file sources do.
    if isinstance(options.get("path"), str) and not Path(options["path"]).is_absolute():
        options["path"] = str(home / options["path"])
    return build_stream(source.kind, options)


def load_source(
    source: SourceConfig, home: Path, start: date, end: date, state_store: StateStore | None = None
) -> LoadResult:
    """One source's rows for [start, end): a snapshot cut to the interval, or what is new since its bookmark.

    An incremental source's new bookmark rides along in the LoadResult so the caller commits it with
    the records, never before; on a first load (no bookmark in `state_store`) it starts at `start`.
    """
    stream = open_stream(source, home)
    try:
        synced = sync(stream, state_store or MemoryStateStore(), since=_midnight(start), until=_midnight(end))
    finally:
        stream.close()
    return LoadResult(
        raw=synced.raw,
        records=synced.records,
        quarantined=synced.quarantined,
        outside_interval=synced.outside_interval,
        id_column=stream.primary_keys[0],
        source=source.name,
        incremental=stream.incremental,
        state=synced.state,
    )


def ingest(
    sources: SourcesConfig, home: Path, start: date, end: date, state_store: StateStore | None = None
) -> tuple[list[LoadResult], dict[str, str]]:
    """Load every source; one that fails is reported and skipped, the others still load."""
    results, failures = [], {}
    for source in sources.sources:
        try:
            results.append(load_source(source, home, start, end, state_store))
        except Exception as exc:
            failures[source.name] = secrets.mask(f"{type(exc).__name__}: {exc}")
            log.error("source %s failed: %s", source.name, failures[source.name])
    return results, failures


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
