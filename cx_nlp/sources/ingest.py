"""Read every configured source for a data interval: what the pipeline's load stage calls."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from pathlib import Path

from cx_nlp.config import ConnectorSourceConfig, FileSourceConfig, SourcesConfig
from cx_nlp.sources.file import FileStream, LoadResult
from cx_nlp.sources.streams import MemoryStateStore, StateStore, sync

log = logging.getLogger(__name__)

__all__ = ["LoadResult", "ingest"]


def ingest(
    sources: SourcesConfig, home: Path, start: date, end: date, state_store: StateStore | None = None
) -> tuple[list[LoadResult], dict[str, str]]:
    """Load every source; one that fails is reported and skipped, the others still load.

    File sources are re-read whole and filtered to [start, end). Connector sources return what is new
    since their bookmark in `state_store` (or since `start` on a first load); their new bookmark rides
    along in the LoadResult so the caller commits it with the records, never before.
    """
    results, failures = [], {}
    for source in sources.sources:
        try:
            if isinstance(source, FileSourceConfig):
                results.append(FileStream(source, home).load_interval(start, end))
            else:
                results.append(_sync_connector(source, home, state_store or MemoryStateStore(), start))
        except Exception as exc:  # noqa: BLE001 - a broken source must not stop the others
            log.error("source %s failed: %s", source.name, exc)
            failures[source.name] = f"{type(exc).__name__}: {exc}"
    return results, failures


def _sync_connector(source: ConnectorSourceConfig, home: Path, state_store: StateStore, start: date) -> LoadResult:
    from cx_nlp.sources.connectors import build_stream

    options = source.resolved_options() | {"name": source.name}
    # File-reading connectors (exports, mbox) take paths relative to the project, as file sources do.
    if isinstance(options.get("path"), str) and not Path(options["path"]).is_absolute():
        options["path"] = str(home / options["path"])
    stream = build_stream(source.kind, options)
    try:
        synced = sync(stream, state_store, since=datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc))
    finally:
        stream.close()
    return LoadResult(
        raw=synced.raw,
        records=synced.records,
        quarantined=synced.quarantined,
        id_column=stream.primary_keys[0],
        source=source.name,
        incremental=True,
        state=synced.state,
    )
