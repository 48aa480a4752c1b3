"""The rows of an interval's scored feedback, set aside on disk as the models finish each chunk.

An interval goes through the models a chunk at a time (`cx_nlp.enrichment.enrich_interval`), but its
rows must land in one transaction after the last chunk: a rerun or a failed run never leaves half an
interval. Held in memory until then, the scored records and the rows built from them grow with the
interval (about 7 KiB a document, docs/benchmarks.md). `ScoredRowSpool` builds each chunk's rows as
the chunk is done and writes them to an anonymous temporary file, which the write reads back one chunk
at a time. The keys the write needs of each feedback go to the same file, a chunk's apart from its
rows (`key_parts`), and the feedback id each raw record became goes to a `SpooledMapping` (on disk
past `spooled.MAPPING_SPILL_FROM` feedback): what stays in memory is two file offsets a chunk. The
file holds the texts as the warehouse stores them (PII redacted), has no name in the file system, and
goes away when the spool is closed or the process ends.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from cx_nlp.records import UNSCORED, ScoredDocument
from cx_nlp.spooled import SpooledMapping

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
        # Where each chunk's keys and its rows begin in the file.
        self._key_offsets: list[int] = []
        self._row_offsets: list[int] = []
        # (source, raw record key) as one string -> the feedback id that record became.
        self._loaded_by_raw: SpooledMapping[str] = SpooledMapping()
        self.feedback = 0
        self.segments = 0
        self.unscored_language = 0

    def add(self, scored: Sequence[ScoredDocument]) -> None:
        """Set aside one chunk's keys and rows; the chunk's records can go."""
        if not scored:
            return
        keys = [FeedbackKey(d.feedback.feedback_id, d.feedback.source, d.feedback.content_hash) for d in scored]
        self._file.seek(0, 2)
        self._key_offsets.append(self._file.tell())
        pickle.dump(keys, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._row_offsets.append(self._file.tell())
        pickle.dump(self._row_builder(scored, self.run_id), self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._loaded_by_raw.update(
            {_raw_key(d.feedback.source, d.feedback.raw_record_key): k.feedback_id for d, k in zip(scored, keys)}
        )
        self.feedback += len(scored)
        for document in scored:
            self.segments += len(document.segments)
            self.unscored_language += document.sentiment.label == UNSCORED

    def key_parts(self) -> Iterator[list[FeedbackKey]]:
        """Each chunk's feedback keys, in the order the chunks were added."""
        return self._read(self._key_offsets)

    def parts(self) -> Iterator[dict[str, list[dict]]]:
        """The chunks' rows in the order they were added, one chunk in memory at a time."""
        return self._read(self._row_offsets)

    def _read(self, offsets: list[int]) -> Iterator:
        for offset in offsets:
            self._file.seek(offset)
            # Unpickling is safe here: the file is this process's own, written by `add`.
            yield pickle.load(self._file)

    def loaded_feedback_ids(self, raw_keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The feedback id each of these (source, raw record key) became, for those that became one."""
        wanted = {_raw_key(*key): key for key in raw_keys}
        return {wanted[key]: feedback_id for key, feedback_id in self._loaded_by_raw.take(wanted).items()}

    def __len__(self) -> int:
        return self.feedback

    def close(self) -> None:
        self._file.close()
        self._loaded_by_raw.close()

    def __enter__(self) -> ScoredRowSpool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _raw_key(source: str, record_key: str) -> str:
    # A source name is lowercase letters, digits and underscores (`sources.fields.SOURCE_NAME`): the
    # newline cannot be part of it, so no two pairs make the same string.
    return f"{source}\n{record_key}"
