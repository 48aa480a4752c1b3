"""Complaint e-mails from an mbox export, read from where the last run stopped.

The cursor is `<byte offset>:<hash of the 4 KiB before it>`: each run reads the messages past the offset
and nothing else, so the sender's Date header (a wrong clock months ahead, a message appended late with
an old date) never decides what is new. A file rewritten below the offset (a mail client compacting it)
no longer matches the hash and is read again from the start, with a warning: at least once, never lost.
Messages are split at lines that begin `From `, as `mailbox.mbox` splits them, and parsed like IMAP's
(`email.message_payload`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from cx_nlp.sources.connectors.email import MESSAGE_SCHEMA_PROPERTIES, EmailStream, message_payload
from cx_nlp.sources.fields import SOURCE_NAME
from cx_nlp.sources.streams import SourceError, SyncContext

log = logging.getLogger(__name__)

# The bytes before a cursor's offset that its hash covers: enough to notice a rewrite below it.
_MBOX_WINDOW = 4096


class MboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="email_mbox", pattern=SOURCE_NAME)
    kind: Literal["email_mbox"] = "email_mbox"
    path: Path


class MboxStream(EmailStream):
    """An mbox file, read from the byte offset the last run stopped at (see the module docstring).

    The Date header stays the replication key (what `since` cuts a first load at, and the bookmark a
    report shows), but once a cursor is saved it decides nothing: every message past the offset is new.
    """

    name = "email_mbox"
    replication_key = "date"
    config_model = MboxConfig
    changes_since_cursor = True
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "body"],
        "properties": MESSAGE_SCHEMA_PROPERTIES,
        "additionalProperties": False,
    }

    config: MboxConfig

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        path = self.config.path
        if not path.is_file():
            raise SourceError(self.name, f"{path}: mbox file not found")
        with path.open("rb") as handle:
            offset = self._resume_at(handle, context.state.cursor)
            handle.seek(offset)
            for message, after in mbox_messages(handle):
                yield message_payload(message)
                offset = after
            # Moved only at the end; sync discards it if reading fails half-way.
            context.state.cursor = f"{offset}:{_window_hash(handle, offset)}"

    def _resume_at(self, handle: BinaryIO, cursor: str | None) -> int:
        """The saved offset where the bytes below it are still those read; else 0, with a warning."""
        offset_text, _, digest = (cursor or "").partition(":")
        if not offset_text.isdigit():
            return 0
        offset = int(offset_text)
        handle.seek(offset)
        # `mailbox` writes the blank line that separates a message from the one before it with the new one.
        head = handle.read(16).lstrip(b"\r\n")
        at_boundary = head == b"" or head.startswith(b"From ")
        if at_boundary and _window_hash(handle, offset) == digest:
            return offset
        log.warning(
            "source %s: %s changed before the saved position %d (compacted or rewritten?); reading it "
            "again from the start: messages already delivered at the bookmark are kept once",
            self.name,
            self.config.path,
            offset,
        )
        return 0


def _window_hash(handle: BinaryIO, offset: int) -> str:
    start = max(0, offset - _MBOX_WINDOW)
    handle.seek(start)
    return hashlib.sha256(handle.read(offset - start)).hexdigest()[:16]


def mbox_messages(handle: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """(message without its `From ` line, the offset after it) for each message from the handle's position.

    A message starts at a line beginning `From `, as `mailbox.mbox` reads it; the blank line that
    separates it from the next is not part of it.
    """
    lines: list[bytes] | None = None
    position = handle.tell()
    end = position
    for line in iter(handle.readline, b""):
        if line.startswith(b"From "):
            if lines is not None:
                yield _message_bytes(lines), position
            lines = []
        elif lines is not None:
            lines.append(line)
        position += len(line)
        end = position
    if lines is not None:
        yield _message_bytes(lines), end


def _message_bytes(lines: list[bytes]) -> bytes:
    if lines and lines[-1].strip() == b"":
        lines = lines[:-1]
    return b"".join(lines)
