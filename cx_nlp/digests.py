"""Digests of what a stored result was computed from, so that a rerun reuses the result only while
those are unchanged: the code that made it and the versions of the libraries it called (the issue
window's mining inputs, cx_nlp.issues.inputs; normalised feedback and redacted payloads,
cx_nlp.feedback)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path


def code_digest(paths: Iterable[Path]) -> str:
    """A hex digest of these files' names and bytes, in the order given."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def library_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None where it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
