"""The rows of an interval's scored feedback, set aside on disk as the models finish each chunk.

An interval goes through the models a chunk at a time (`cx_nlp.enrichment.enrich_interval`), but its
rows must land in one transaction after the last chunk: a rerun or a failed run never leaves half an
interval. Held in memory until then, the scored records and the rows built from them grow with the
interval (about 7 KiB a document, docs/benchmarks.md). `ScoredRowSpool` builds each chunk's rows as
the chunk is done and writes them to an anonymous temporary file, which the write reads back one chunk
at a time; what stays in memory is a few keys a document (`feedback_keys`, `loaded_by_raw`). The file
holds the texts as the warehouse stores them (PII redacted), has no name in the file system, and goes
away when the spool is closed or the process ends.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from cx_nlp.records import UNSCORED, ScoredDocument

# A chunk's scored feedback and the run id -> its rows by table name (`cx_nlp.warehouse.rows.scored_table_rows`).
RowBuilder = Callable[[Sequence[ScoredDocument], str], dict[str, list[dict]]]


class FeedbackKey(NamedTuple):
    """What the write needs of each feedback before its rows: which rows it replaces, and which
    issue memberships it keeps (same text)."""

    feedback_id: str
    source: str
    content_hash: str


class ScoredRowSpool:
    """Rows of `feedback`, `feedback_sentiment`, `feedback_touchpoint` and `feedback_segment`, chunk by chunk."""

    def __init__(self, run_id: str, row_builder: RowBuilder) -> None:
        self.run_id = run_id
        self._row_builder = row_builder
        self._file = tempfile.TemporaryFile(prefix="cx-nlp-rows-")
        self._parts = 0
        self.feedback_keys: list[FeedbackKey] = []
        self.loaded_by_raw: dict[tuple[str, str], str] = {}
        self.segments = 0
        self.unscored_language = 0

    def add(self, scored: Sequence[ScoredDocument]) -> None:
        """Set aside one chunk's rows; the chunk's records can go."""
        if not scored:
            return
        part = self._row_builder(scored, self.run_id)
        pickle.dump(part, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._parts += 1
        for document in scored:
            f = document.feedback
            self.feedback_keys.append(FeedbackKey(f.feedback_id, f.source, f.content_hash))
            self.loaded_by_raw[(f.source, f.raw_record_key)] = f.feedback_id
            self.segments += len(document.segments)
            self.unscored_language += document.sentiment.label == UNSCORED

    def parts(self) -> Iterator[dict[str, list[dict]]]:
        """The chunks' rows in the order they were added, one chunk in memory at a time."""
        self._file.seek(0)
        for _ in range(self._parts):
            # Unpickling is safe here: the file is this process's own, written by `add`.
            yield pickle.load(self._file)

    def __len__(self) -> int:
        return len(self.feedback_keys)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ScoredRowSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
