"""Streams: what a connector declares, the bookmark it resumes from, and the one sync loop all of them share.

A connector is a `Stream` subclass that names itself, its primary keys and its replication key and
implements one generator, `get_records(context)`. Keying, validation, quarantine, de-duplication and
bookmarks live here once, so every connector behaves the same and is held to the same contract test.

Delivery is at-least-once. `sync` never writes state: it returns the records *and* the bookmark they
justify. The caller commits the records to the warehouse first and only then calls
`state_store.set(stream.name, result.state)`. A crash between the two replays the same rows on the next
run, which is harmless because raw rows are keyed by `payload_key` (the same row lands once); the
reverse order could skip rows forever.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from cx_nlp.records import SOURCE_KINDS, QuarantinedRecord, RawRecord, SourceRecord
from cx_nlp.sources.file import check_fields, parse_timestamp, payload_key
from cx_nlp.sources.http import Auth, HttpClient, HttpClientConfig

log = logging.getLogger(__name__)


class SourceError(Exception):
    """A stream could not finish; its state was not advanced, so the next run retries the same range."""

    def __init__(self, stream: str, reason: str):
        super().__init__(f"source {stream}: {reason}")
        self.stream = stream
        self.reason = reason


@dataclass
class StreamState:
    """A stream's bookmark, stored as JSON by a StateStore.

    `keys_at_bookmark` holds the record keys already delivered *at* the bookmark value: sources often
    date to the second or the day, so the next run must re-read that instant (to catch rows that share
    it) without handing the same rows over again.
    """

    replication_key_value: str | None = None
    cursor: str | None = None
    keys_at_bookmark: list[str] = field(default_factory=list)

    @property
    def bookmark(self) -> datetime | None:
        return parse_timestamp(self.replication_key_value) if self.replication_key_value else None

    def to_dict(self) -> dict:
        return {
            "replication_key_value": self.replication_key_value,
            "cursor": self.cursor,
            "keys_at_bookmark": list(self.keys_at_bookmark),
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> StreamState:
        data = data or {}
        return cls(
            replication_key_value=data.get("replication_key_value"),
            cursor=data.get("cursor"),
            keys_at_bookmark=list(data.get("keys_at_bookmark") or []),
        )


class StateStore(Protocol):
    """Where bookmarks live between runs (a warehouse table in production, memory in tests)."""

    def get(self, stream_name: str) -> dict | None: ...

    def set(self, stream_name: str, state: dict) -> None: ...


class MemoryStateStore:
    def __init__(self, initial: dict[str, dict] | None = None):
        self._states: dict[str, str] = {}
        for name, state in (initial or {}).items():
            self.set(name, state)

    def get(self, stream_name: str) -> dict | None:
        stored = self._states.get(stream_name)
        return json.loads(stored) if stored is not None else None

    def set(self, stream_name: str, state: dict) -> None:
        # Stored as JSON text, like the warehouse will, so a state that cannot round-trip fails here.
        self._states[stream_name] = json.dumps(state, sort_keys=True)


@dataclass
class SyncContext:
    """What a stream may read while producing records, and the one thing it may write: `state.cursor`."""

    stream: str
    state: StreamState
    # Lower bound for this run: the bookmark when there is one, else the `since` the caller gave.
    start: datetime | None


def dig(payload: dict, path: str) -> Any:
    """Value at a dotted path (`via.channel`), None where any step is missing."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class Stream:
    """One declarative source stream. Subclasses set the class attributes and implement get_records."""

    # A class default; a configured instance may rename itself so two accounts keep separate bookmarks.
    name: str
    primary_keys: ClassVar[tuple[str, ...]] = ("id",)
    replication_key: ClassVar[str | None] = None
    source_kind: ClassVar[str] = "review"
    # JSON Schema of the payloads get_records yields: documents the raw shape the warehouse keeps.
    schema: ClassVar[dict] = {}

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        raise NotImplementedError

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        raise NotImplementedError

    def replication_value(self, payload: dict) -> datetime | None:
        if not self.replication_key:
            return None
        return parse_timestamp(dig(payload, self.replication_key))

    def close(self) -> None:
        """Release connections; a stream holds an HTTP client for its whole run."""

    # -- shared validation, so every connector quarantines with the same wording ------------------

    def build_record(
        self,
        payload: dict,
        *,
        id_field: str,
        text_field: str,
        created_at_field: str,
        text: str,
        title: str = "",
        created_at: object = None,
        rating_field: str | None = None,
        rating: object = None,
        rating_range: tuple[float, float] | None = None,
        date_format: str | None = None,
        metadata: dict | None = None,
    ) -> SourceRecord | QuarantinedRecord:
        key = payload_key(payload)

        def reject(column: str, reason: str) -> QuarantinedRecord:
            return QuarantinedRecord(self.name, key, column, reason, payload)

        checked = check_fields(
            reject,
            unnamed=f"record with key {key}",
            id_field=id_field,
            id_value=dig(payload, id_field),
            text_field=text_field,
            text=text,
            title=title,
            created_at_field=created_at_field,
            created_at=created_at,
            date_format=date_format,
            rating_field=rating_field,
            rating=rating,
            rating_range=rating_range,
        )
        if isinstance(checked, QuarantinedRecord):
            return checked
        external_id, combined, created, value = checked

        kind = self.source_kind if self.source_kind in SOURCE_KINDS else "review"
        return SourceRecord(
            source=self.name,
            external_id=external_id,
            source_kind=kind,
            text=combined,
            created_at=created,
            rating=value,
            metadata=metadata or {},
            raw_record_key=key,
        )


@dataclass
class SyncResult:
    stream: str
    raw: list[RawRecord] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    # Save this with state_store.set(stream, state) only after raw/records/quarantined are committed.
    state: dict = field(default_factory=dict)
    previous_state: dict | None = None
    # Rows older than the bookmark (delivered by an earlier run) or, on a first load, than `since`.
    already_synced: int = 0
    duplicates: int = 0


def sync(stream: Stream, state_store: StateStore, since: datetime | None = None) -> SyncResult:
    """Run one stream from its bookmark (or from `since` on a first load) and return rows plus the new bookmark.

    Does not write to `state_store` (see the module docstring). Any failure while reading becomes a
    SourceError naming the stream; since state is only ever saved by the caller after a successful
    commit, a failed run leaves the bookmark where it was.
    """
    previous = state_store.get(stream.name)
    start_state = StreamState.from_dict(previous)
    bookmark = start_state.bookmark
    delivered_at_bookmark = set(start_state.keys_at_bookmark)
    context = SyncContext(
        stream=stream.name,
        state=StreamState.from_dict(start_state.to_dict()),
        start=bookmark or since,
    )
    result = SyncResult(stream=stream.name, previous_state=previous)

    high = bookmark
    keys_at_high = set(delivered_at_bookmark)
    seen: set[str] = set()
    try:
        for payload in stream.get_records(context):
            key = payload_key(payload)
            if key in seen:
                # Sources page over moving data; a row shown on two pages is one row.
                result.duplicates += 1
                continue
            seen.add(key)
            value = stream.replication_value(payload)
            if value is not None:
                if bookmark is not None and (value < bookmark or (value == bookmark and key in delivered_at_bookmark)):
                    result.already_synced += 1
                    continue
                if bookmark is None and since is not None and value < since:
                    result.already_synced += 1
                    continue
            result.raw.append(RawRecord(stream.name, key, payload, len(result.raw) + 1))
            outcome = stream.to_source_record(payload)
            if isinstance(outcome, QuarantinedRecord):
                result.quarantined.append(outcome)
            else:
                result.records.append(outcome)
            if value is not None:
                if high is None or value > high:
                    high, keys_at_high = value, {key}
                elif value == high:
                    keys_at_high.add(key)
    except SourceError:
        raise
    except Exception as exc:  # any failure must surface as "this stream failed, state kept"
        raise SourceError(stream.name, f"{type(exc).__name__}: {exc}") from exc

    result.state = StreamState(
        replication_key_value=high.isoformat() if high else None,
        cursor=context.state.cursor,
        keys_at_bookmark=sorted(keys_at_high),
    ).to_dict()
    log.info(
        "source %s: %d raw rows (%d valid, %d quarantined), %d already synced",
        stream.name,
        len(result.raw),
        len(result.records),
        len(result.quarantined),
        result.already_synced,
    )
    return result


class HttpStream(Stream):
    """A stream that reads over HTTP through one HttpClient built from its config.

    `client_options` (clock, sleep, now) go to HttpClient unchanged; tests pass fakes to run the retry
    and pacing policy without waiting.
    """

    # The pydantic model one config entry of this connector validates against.
    config_model: ClassVar[type[BaseModel]]

    def __init__(self, config: Any, **client_options: Any):
        self.config = config
        self.name = getattr(config, "name", None) or type(self).name
        self.client = HttpClient(self.http_config(), auth=self.auth(), **client_options)

    def http_config(self) -> HttpClientConfig:
        return self.config.http

    def auth(self) -> Auth | None:
        return None

    def close(self) -> None:
        self.client.close()
