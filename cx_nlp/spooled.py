"""An append-only sequence of records that keeps few of them in memory: what an interval loads.

A snapshot source is read whole and an interval's records must land in one transaction, so everything
a large interval loads (raw rows with their payloads, validated records, normalised feedback) used to
stay in memory until the write: 4.5 GiB for a million generated documents, against 669 MiB with these
lists (docs/benchmarks.md, "What an interval loads, on disk"). `SpooledList`
holds its first `SPILL_FROM` items as a list; past that it pickles every item to an anonymous temporary
file and keeps only each item's offset (8 bytes), reading an item back when it is asked for. Small
intervals never touch the disk. The file has no name in the file system and goes away when the list
is closed or collected, or the process ends; it holds what the records hold, raw payloads before
their redaction included, as the process's memory did.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from typing import IO, Generic, TypeVar

from cx_nlp.records import MadeWhenRead

T = TypeVar("T")
V = TypeVar("V")

# Items held as a plain list before the rest go to disk: an interval of this many records is as small
# in memory as it was before, and tests that need the disk lower it (`spill_from`).
SPILL_FROM = 4_000


class SpooledList(MadeWhenRead[T]):
    """A list that can only grow; past `spill_from` items they live in a temporary file."""

    __slots__ = ("_file", "_items_held", "_offsets", "_spill_from")

    def __init__(self, items: Iterable[T] = (), spill_from: int | None = None) -> None:
        self._spill_from = SPILL_FROM if spill_from is None else spill_from
        self._items_held: list[T] | None = []
        self._file: IO[bytes] | None = None
        self._offsets = array("q")
        self.extend(items)

    def append(self, item: T) -> None:
        if self._items_held is not None:
            self._items_held.append(item)
            if len(self._items_held) > self._spill_from:
                self._spill()
            return
        file = self._file
        file.seek(0, 2)
        self._offsets.append(file.tell())
        pickle.dump(item, file, protocol=pickle.HIGHEST_PROTOCOL)

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def _spill(self) -> None:
        held, self._items_held = self._items_held, None
        self._file = tempfile.TemporaryFile(prefix="cx-nlp-loaded-")
        for item in held:
            self.append(item)

    def __len__(self) -> int:
        return len(self._items_held) if self._items_held is not None else len(self._offsets)

    def _item(self, index: int) -> T:
        if self._items_held is not None:
            return self._items_held[index]
        self._file.seek(self._offsets[index])
        # Unpickling is safe here: the file is this process's own, written by `append`.
        return pickle.load(self._file)

    def __iter__(self) -> Iterator[T]:
        if self._items_held is not None:
            yield from self._items_held
            return
        for index in range(len(self._offsets)):
            yield self._item(index)

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __reduce__(self):
        # Another process gets the items themselves (the file is this process's).
        return (SpooledList, (list(self), self._spill_from))

    def __repr__(self) -> str:
        where = "on disk" if self.on_disk else "in memory"
        return f"SpooledList({len(self)} items {where})"

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Concatenated(MadeWhenRead[T]):
    """Several sequences read as one, in order, without copying their items into a list (what the
    sources loaded, whose rows may be on disk, read as one interval)."""

    __slots__ = ("_parts", "_starts")

    def __init__(self, parts: Sequence[Sequence[T]]) -> None:
        self._parts = list(parts)
        self._starts = list(accumulate((len(part) for part in self._parts), initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def _item(self, index: int) -> T:
        part = bisect_right(self._starts, index) - 1
        return self._parts[part][index - self._starts[part]]

    def __iter__(self) -> Iterator[T]:
        for part in self._parts:
            yield from part


# Entries a `SpooledMapping` holds as a dict before the rest go to disk: a night's distinct texts stay in
# memory; an interval of a million documents (several million texts) does not hold their tones.
MAPPING_SPILL_FROM = 200_000
# Keys asked for in one statement (under SQLite's limit on bound parameters).
_KEYS_PER_QUERY = 500


class SpooledMapping(Generic[V]):
    """A string-keyed map that grows during a run and is read by batches of keys: its first
    `spill_from` entries are a dict, then every entry is pickled into a private temporary SQLite
    database (SQLite deletes it when the map is closed or collected). What the models computed for each
    distinct text of an interval, so a text told again in a later chunk is not computed again."""

    def __init__(self, spill_from: int | None = None) -> None:
        self._spill_from = MAPPING_SPILL_FROM if spill_from is None else spill_from
        self._held: dict[str, V] | None = {}
        self._database: sqlite3.Connection | None = None

    def update(self, entries: Mapping[str, V]) -> None:
        """Add or replace entries, as `dict.update`."""
        if self._held is not None:
            self._held.update(entries)
            if len(self._held) > self._spill_from:
                self._spill()
            return
        rows = [(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) for key, value in entries.items()]
        self._database.executemany("INSERT OR REPLACE INTO entry (key, value) VALUES (?, ?)", rows)

    def _spill(self) -> None:
        held, self._held = self._held, None
        # An empty name: a private database on disk, deleted when its connection closes.
        self._database = sqlite3.connect("")
        self._database.execute("CREATE TABLE entry (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        self.update(held)

    def take(self, keys: Iterable[str]) -> dict[str, V]:
        """The entries of those keys it holds, in the order asked."""
        wanted = list(dict.fromkeys(keys))
        if self._held is not None:
            return {key: self._held[key] for key in wanted if key in self._held}
        found: dict[str, V] = {}
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            part = wanted[start : start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(part))
            rows = self._database.execute(f"SELECT key, value FROM entry WHERE key IN ({marks})", part)
            # Unpickling is safe here: the database is this process's own, written by `update`.
            found.update((key, pickle.loads(value)) for key, value in rows)
        return {key: found[key] for key in wanted if key in found}

    def __len__(self) -> int:
        if self._held is not None:
            return len(self._held)
        return self._database.execute("SELECT count(*) FROM entry").fetchone()[0]

    @property
    def on_disk(self) -> bool:
        return self._database is not None

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
