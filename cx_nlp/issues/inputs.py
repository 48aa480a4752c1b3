"""A digest of everything a night's issue mining reads, so that a rerun of an unchanged window can keep
what the first run found instead of mining it again.

Mining is deterministic given its inputs: the window's feedback (text, day, scores, touchpoints,
segments and every vector it reads: a vector the window left unread is not an input), the issues the nights before left, the ids other windows own, the analysts'
merges, where the last mined window ended, the mining settings and the mining code itself. A text the
window left in the warehouse counts through its content hash (`normalise.content_hash`: equal for
texts that differ only in case, spacing or end punctuation, which keywords read alike). Where the
latest earlier window put each unit (`IssueWindow.memberships`) is left out on purpose: on a rerun it is
the first run's own output, and the first run read the night before's, which the rerun stands for.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from cx_nlp.digests import code_digest
from cx_nlp.issues.records import IssueWindow
from cx_nlp.issues.units import unit_hashes

# Vectors read at a time for the digest of a window that carries none itself.
DIGEST_VECTORS = 8_192

# The modules whose code decides what a window's issues are: a change to any of them mines afresh.
_MINING_CODE = sorted(Path(__file__).resolve().parent.glob("*.py"))


def mining_code_digest(paths: Iterable[Path] = _MINING_CODE) -> str:
    return code_digest(paths)


def _vector(digest, vector: np.ndarray | None) -> None:
    if vector is None:
        digest.update(b"\x00none")
    else:
        digest.update(np.ascontiguousarray(vector, dtype=np.float32).tobytes())


def _fields(digest, *values: object) -> None:
    digest.update(repr(values).encode("utf-8", "surrogatepass"))


def _record(digest, record, vector: str, nested: str | None = None) -> None:
    """Every field of a record (a new field counts without a change here), its `vector` field as bytes,
    and each record of its `nested` field the same way."""
    _fields(digest, *(getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in (vector, nested)))
    _vector(digest, getattr(record, vector))
    for part in getattr(record, nested) if nested else ():
        _record(digest, part, vector)


def window_digest(window: IssueWindow, settings: Mapping[str, object]) -> str:
    """A hex digest of what mining `window` with `settings` (reducer, grouping, embedding model…) reads."""
    digest = hashlib.blake2b(digest_size=32)
    _fields(digest, window.start, window.end, window.mined_through, sorted(settings.items()), mining_code_digest())
    _fields(digest, sorted(window.taken_ids), sorted(window.aliases.items()), len(window.documents))
    for document in window.documents:
        _record(digest, document, "embedding", nested="segments")
    if window.vectors is not None:
        # The vectors the window carries as NOT_READ, read a part at a time: never all of them at once.
        units = unit_hashes(window.documents)
        # Hex strings, or their bytes where the window was read as mined (`packed_hash`): each sorted.
        hashes = sorted(h for h in units if isinstance(h, bytes)) + sorted(h for h in units if isinstance(h, str))
        for start in range(0, len(hashes), DIGEST_VECTORS):
            part = hashes[start : start + DIGEST_VECTORS]
            _fields(digest, part)
            _vector(digest, window.vectors(part))
    for prior in window.prior:
        _record(digest, prior, "centroid")
    return digest.hexdigest()
