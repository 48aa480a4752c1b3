"""Streams: what every source declares, the bookmark it resumes from, and the one sync all of them share.

A source is a `Stream` subclass that names itself, its primary keys and its replication key and
implements `get_records(context)` and `to_source_record(payload)`. Keying, validation, quarantine,
de-duplication and bookmarks live here once, so every source behaves the same and every connector is
held to the same contract test.

Two replication methods: an incremental stream (every connector) delivers what is new since its
bookmark; a snapshot stream (a file export, `incremental = False`) is read whole each run and keeps the
rows created in the run's interval plus every invalid row, with no bookmark at all.

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

from cx_nlp import secrets
from cx_nlp.records import SOURCE_KINDS, QuarantinedRecord, RawRecord, SourceRecord
from cx_nlp.sources.fields import check_fields, dig, parse_timestamp, payload_key
from cx_nlp.sources.http import Auth, HttpClient, HttpClientConfig, without_lone_surrogates
from cx_nlp.spooled import SpooledList

log = logging.getLogger(__name__)

# The most characters of text one record carries (title and body together); past it the text is cut and
# the record says so in `metadata["text_truncated"]`. The raw payload keeps the whole text.
MAX_TEXT_CHARS = 100_000


class SourceError(Exception):
    """A stream could not finish; its state was not advanced, so the next run retries the same range."""

    def __init__(self, stream: str, reason: str):
        reason = secrets.mask(reason)  # reasons quote URLs, and they reach logs and the warehouse
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


class Stream:
    """One declarative source stream. Subclasses set the class attributes and implement get_records."""

    # Class defaults. A configured instance may rename itself so two accounts keep separate bookmarks,
    # and a stream whose columns come from config (a file export) sets its keys per instance.
    name: str
    primary_keys: tuple[str, ...] = ("id",)
    replication_key: str | None = None
    source_kind: ClassVar[str] = "review"
    # False: a snapshot, read whole each run and cut to the run's interval (see the module docstring).
    incremental: ClassVar[bool] = True
    # JSON Schema of the payloads get_records yields: documents the raw shape the warehouse keeps.
    schema: ClassVar[dict] = {}
    # True where get_records hands over only what changed since `state.cursor` (an export cursor, a read
    # position in a file): once a cursor is saved, a row dated before the bookmark is a change that kept
    # its date (a ticket deleted later, a message appended late), not a row an earlier run delivered.
    changes_since_cursor: ClassVar[bool] = False

    def __init__(self, config: Any):
        self.config = config
        self.name = getattr(config, "name", None) or type(self).name

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        raise NotImplementedError

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        raise NotImplementedError

    def validate(self, raw: RawRecord) -> SourceRecord | QuarantinedRecord:
        """The record of one raw row; a stream whose reasons name the row's place in a file overrides this."""
        return self.to_source_record(raw.payload)

    def check(self) -> None:
        """Raise a SourceError when the stream cannot be read at all, without reading anything."""

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
        author: object = None,
    ) -> SourceRecord | QuarantinedRecord:
        """The record of one payload, or its quarantine with the field and the reason.

        Text (title and body joined) carries at most MAX_TEXT_CHARS characters: longer text is cut there
        and flagged `text_truncated`, never quarantined. `author`, the writer's display name where the
        source gives one, goes into metadata. (Web connectors decode payloads without lone surrogates,
        `http.without_lone_surrogates`; text that still has one is quarantined by `check_fields`.)
        """
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
        combined, metadata = _capped(combined, metadata, author)
        kind = self.source_kind if self.source_kind in SOURCE_KINDS else "review"
        return SourceRecord(
            source=self.name,
            external_id=external_id,
            source_kind=kind,
            text=combined,
            created_at=created,
            rating=value,
            metadata=metadata,
            raw_record_key=key,
        )


def _capped(text: str, metadata: dict | None, author: object) -> tuple[str, dict]:
    """The record's text cut at MAX_TEXT_CHARS (flagged), and its metadata with the author's name."""
    metadata = dict(metadata or {})
    name = " ".join(without_lone_surrogates(str(author)).split()) if author is not None else ""
    if name:
        metadata["author"] = name
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        metadata["text_truncated"] = True
    return text, metadata


@dataclass
class SyncResult:
    stream: str
    # Rows past the first few thousand wait on disk until the interval's write (`cx_nlp.spooled`).
    raw: SpooledList[RawRecord] = field(default_factory=SpooledList)
    records: SpooledList[SourceRecord] = field(default_factory=SpooledList)
    quarantined: SpooledList[QuarantinedRecord] = field(default_factory=SpooledList)
    # Save this with state_store.set(stream, state) only after raw/records/quarantined are committed.
    # None for a snapshot stream, which keeps no bookmark.
    state: dict | None = field(default_factory=dict)
    previous_state: dict | None = None
    # Rows older than the bookmark (delivered by an earlier run) or, on a first load, than `since`.
    already_synced: int = 0
    duplicates: int = 0
    # Snapshot streams: valid rows created outside [since, until).
    outside_interval: int = 0


def sync(
    stream: Stream, state_store: StateStore, since: datetime | None = None, until: datetime | None = None
) -> SyncResult:
    """Run one stream and return its rows, plus the new bookmark where the stream is incremental.

    An incremental stream resumes from its bookmark in `state_store` (or from `since` on a first load)
    and `until` does not apply: what is new is delivered whatever its date. A snapshot stream is read
    whole and keeps the rows created in [since, until) and every invalid row, whatever its date.

    Does not write to `state_store` (see the module docstring). Any failure while reading becomes a
    SourceError naming the stream; since state is only ever saved by the caller after a successful
    commit, a failed run leaves the bookmark where it was.
    """
    try:
        if stream.incremental:
            result = _sync_from_bookmark(stream, state_store, since)
        else:
            result = _sync_snapshot(stream, since, until)
    except SourceError:
        raise
    except Exception as exc:  # any failure must surface as "this stream failed, state kept"
        raise SourceError(stream.name, f"{type(exc).__name__}: {exc}") from exc
    log.info(
        "source %s: %d raw rows (%d valid, %d quarantined), %d already synced, %d outside the interval",
        stream.name,
        len(result.raw),
        len(result.records),
        len(result.quarantined),
        result.already_synced,
        result.outside_interval,
    )
    return result


def _keep(result: SyncResult, raw: RawRecord, outcome: SourceRecord | QuarantinedRecord) -> None:
    result.raw.append(raw)
    if isinstance(outcome, QuarantinedRecord):
        result.quarantined.append(outcome)
    else:
        result.records.append(outcome)


def _sync_from_bookmark(stream: Stream, state_store: StateStore, since: datetime | None) -> SyncResult:
    previous = state_store.get(stream.name)
    start_state = StreamState.from_dict(previous)
    bookmark = start_state.bookmark
    delivered_at_bookmark = set(start_state.keys_at_bookmark)
    context = SyncContext(stream=stream.name, state=StreamState.from_dict(previous), start=bookmark or since)
    result = SyncResult(stream=stream.name, previous_state=previous)

    high = bookmark
    keys_at_high = set(delivered_at_bookmark)
    seen: set[str] = set()
    # Resuming from its own cursor, the source has left out what earlier runs read: only a row delivered at
    # the bookmark with this very payload is known; any other, however old its date, is news.
    by_cursor = stream.changes_since_cursor and start_state.cursor is not None
    for payload in stream.get_records(context):
        key = payload_key(payload)
        if key in seen:
            # Sources page over moving data; a row shown on two pages is one row.
            result.duplicates += 1
            continue
        seen.add(key)
        value = stream.replication_value(payload)
        if value is not None:
            repeat = value == bookmark and key in delivered_at_bookmark
            if bookmark is not None and (repeat or (value < bookmark and not by_cursor)):
                result.already_synced += 1
                continue
            if bookmark is None and since is not None and value < since:
                result.already_synced += 1
                continue
        raw = RawRecord(stream.name, key, payload, len(result.raw) + 1)
        _keep(result, raw, stream.validate(raw))
        if value is not None:
            if high is None or value > high:
                high, keys_at_high = value, {key}
            elif value == high:
                keys_at_high.add(key)

    result.state = StreamState(
        replication_key_value=high.isoformat() if high else None,
        cursor=context.state.cursor,
        keys_at_bookmark=sorted(keys_at_high),
    ).to_dict()
    return result


def _sync_snapshot(stream: Stream, since: datetime | None, until: datetime | None) -> SyncResult:
    # Every row is kept as delivered, an exact repeat included: the warehouse keys raw rows by payload,
    # so a repeat lands once there and the run counts it as a duplicate row read.
    result = SyncResult(stream=stream.name, state=None)
    context = SyncContext(stream=stream.name, state=StreamState(), start=since)
    for position, payload in enumerate(stream.get_records(context), start=1):
        raw = RawRecord(stream.name, payload_key(payload), payload, position)
        outcome = stream.validate(raw)
        # An invalid row has no date to place it by, so it is kept whatever interval is read.
        in_interval = isinstance(outcome, QuarantinedRecord) or (
            (since is None or since <= outcome.created_at) and (until is None or outcome.created_at < until)
        )
        if in_interval:
            _keep(result, raw, outcome)
        else:
            result.outside_interval += 1
    return result


class HttpStream(Stream):
    """A stream that reads over HTTP through one HttpClient built from its config.

    `client_options` (clock, sleep, now) go to HttpClient unchanged; tests pass fakes to run the retry
    and pacing policy without waiting.
    """

    # The pydantic model one config entry of this connector validates against.
    config_model: ClassVar[type[BaseModel]]

    def __init__(self, config: Any, **client_options: Any):
        super().__init__(config)
        self.client = HttpClient(self.http_config(), auth=self.auth(), **client_options)

    def http_config(self) -> HttpClientConfig:
        return self.config.http

    def auth(self) -> Auth | None:
        return None

    def get_page(self, url: str, params: dict | None = None) -> tuple[Any, str]:
        """One page of a JSON API, and the request as a message names it (URL and parameters, unescaped)."""
        where = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}" if params else url
        return self.client.get_json(url, params=params), where

    def close(self) -> None:
        self.client.close()
