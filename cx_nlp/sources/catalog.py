"""The configured sources as people review them: what each one reads, where it stands, and what stops it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cx_nlp.sources.ingest import open_stream
from cx_nlp.sources.source_config import FileSourceConfig, SourceConfig
from cx_nlp.sources.streams import SourceError


@dataclass(frozen=True)
class SourceRow:
    name: str
    kind: str
    # What the source reads: a file and the feedback kind it holds, or "connector".
    reads: str
    # Where the next run starts: the bookmark of an incremental source, or how a snapshot is read.
    bookmark: str


def describe_sources(sources: Iterable[SourceConfig], bookmarks: dict[str, dict]) -> list[SourceRow]:
    """One row per source; `bookmarks` maps source names to their saved state (see StateStore)."""
    rows = []
    for source in sources:
        if isinstance(source, FileSourceConfig):
            rows.append(SourceRow(source.name, "file", f"{source.path} ({source.source_kind})", "whole file each run"))
        else:
            state = bookmarks.get(source.name) or {}
            mark = state.get("replication_key_value") or state.get("cursor") or "not loaded yet"
            rows.append(SourceRow(source.name, source.kind, "connector", str(mark)))
    return rows


def check_sources(sources: Iterable[SourceConfig], home: Path) -> list[tuple[str, str | None]]:
    """Each source's name and why it cannot be read (None when it can), without fetching anything.

    A connector's config is validated and its secrets looked up in the environment; a file source's
    file must exist. Paths resolve against `home` as they do when the sources are read.
    """
    results: list[tuple[str, str | None]] = []
    for source in sources:
        try:
            stream = open_stream(source, home)
            try:
                stream.check()
            finally:
                stream.close()
        except SourceError as exc:
            results.append((source.name, exc.reason))
        except Exception as exc:
            results.append((source.name, str(exc)))
        else:
            results.append((source.name, None))
    return results
