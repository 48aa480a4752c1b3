"""Complaint e-mails from an mbox export or an IMAP folder, parsed with the standard library.

Both streams turn a message into the same payload: the Message-ID (or, lacking one, a hash of the
message) as key, the Date header as an ISO timestamp, From/To/Subject, and the body the customer
wrote: text/plain when the message has it, else its HTML part, never an attachment. Quoted replies
and signatures are cut by `clean_text`, the same rules every other source's text goes through.

Message-ID, In-Reply-To and From are read from the header as sent, not as the strict RFC 5322 parser
rebuilds it: real mail has msg-ids with two `@` (kept whole), In-Reply-To with a trailing comment
(dropped), and the old `address (Display Name)` form, encoded words included (the name kept, as
`from_name` and the record's `author`). Header bytes that are not UTF-8 become U+FFFD.

An mbox is read from where the last run stopped (`connectors/mbox.py`), IMAP by UID, so the sender's
Date header never decides what is new.

IMAP reads are incremental by UID: the cursor is `<UIDVALIDITY>:<highest UID delivered>`, each run
asks `UID SEARCH SINCE <bookmark day>` and fetches only UIDs above the cursor. The folder is opened
read-only and bodies fetched with BODY.PEEK, so reading never marks a customer's mail as seen. A
message copied into the folder keeps its original INTERNALDATE and is missed when that date is
before the bookmark day.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cx_nlp.normalise import clean_text
from cx_nlp.records import QuarantinedRecord, SourceRecord
from cx_nlp.sources.fields import SOURCE_NAME, iso_timestamp
from cx_nlp.sources.http import without_lone_surrogates
from cx_nlp.sources.streams import SourceError, Stream, SyncContext

log = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_MSG_ID = re.compile(r"<([^<>]+)>")
_COMMENT = re.compile(r"\([^()]*\)")

MESSAGE_SCHEMA_PROPERTIES: dict = {
    "id": {"type": "string", "description": "Message-ID without brackets, else sha256:<hash of the message>"},
    "message_id": {"type": ["string", "null"]},
    "date": {"type": ["string", "null"], "format": "date-time"},
    "date_header": {"type": ["string", "null"]},
    "from": {"type": ["string", "null"]},
    "from_name": {"type": ["string", "null"], "description": "the sender's display name, decoded"},
    "to": {"type": ["string", "null"]},
    "subject": {"type": ["string", "null"]},
    "in_reply_to": {"type": ["string", "null"]},
    "content_type": {"type": ["string", "null"]},
    "body": {"type": "string"},
    "attachments": {"type": "array", "items": {"type": "string"}},
}


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (TypeError, ValueError, IndexError):  # a header the parser cannot make sense of
        value = None
    return str(value).strip() or None if value is not None else None


def _raw_header(message: EmailMessage, name: str) -> str | None:
    """A header's value as sent, unfolded; bytes that are not UTF-8 become U+FFFD."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            text = " ".join(str(value).split())
            # The parser keeps raw 8-bit bytes as surrogate escapes; RFC 6532 headers are UTF-8.
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") or None
    return None


def _msg_id(raw: str | None) -> str | None:
    """The first `<msg-id>` of a header, whole (`@` and all); comments and text around it dropped."""
    if not raw:
        return None
    found = _MSG_ID.search(raw)
    value = found.group(1) if found else _COMMENT.sub(" ", raw)
    return value.strip() or None


def _decoded_words(text: str) -> str:
    if "=?" not in text:
        return text.strip()
    try:
        return str(make_header(decode_header(text))).strip()
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        return text.strip()


def _sender(raw: str | None) -> tuple[str | None, str | None]:
    """(From as `Name <address>`, the display name) of a raw From header, an `address (Name)` comment too."""
    if not raw:
        return None, None
    name, address = parseaddr(raw)
    name = _decoded_words(name)
    if not address:
        return _decoded_words(raw), name or None
    try:
        shown = str(Address(display_name=name, addr_spec=address)) if name else address
    except (ValueError, IndexError, HeaderParseError):  # an address the strict parser refuses
        shown = f"{name} <{address}>" if name else address
    return shown, name or None


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: the bytes as UTF-8 with replacements beat losing the complaint.
        raw = part.get_payload(decode=True) or b""
        content = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    return content if isinstance(content, str) else ""


def _iso_date(header: str | None) -> str | None:
    if not header:
        return None
    try:
        return iso_timestamp(parsedate_to_datetime(header))
    except (TypeError, ValueError, IndexError):
        return None


def message_payload(data: bytes) -> dict:
    """The payload both e-mail streams deliver for one RFC 5322 message."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = _part_text(body_part) if body_part is not None else ""
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    message_id = _msg_id(_raw_header(message, "Message-ID"))
    date_header = _header(message, "Date")
    sender, sender_name = _sender(_raw_header(message, "From"))
    payload = {
        "message_id": message_id,
        "date": _iso_date(date_header),
        "date_header": date_header,
        "from": sender,
        "from_name": sender_name,
        "to": _header(message, "To"),
        "subject": _header(message, "Subject"),
        "in_reply_to": _msg_id(_raw_header(message, "In-Reply-To")),
        "content_type": body_part.get_content_type() if body_part is not None else None,
        "body": body,
        "attachments": attachments,
    }
    if message_id:
        payload["id"] = message_id
    else:
        identity = "\n".join(str(payload[k] or "") for k in ("from", "date_header", "subject", "body"))
        payload["id"] = "sha256:" + hashlib.sha256(identity.encode("utf-8", errors="replace")).hexdigest()[:32]
    return without_lone_surrogates(payload)


class EmailStream(Stream):
    """What the mbox and IMAP streams share: one payload shape, one record."""

    primary_keys = ("id",)
    source_kind = "complaint"

    def to_source_record(self, payload: dict) -> SourceRecord | QuarantinedRecord:
        return self.build_record(
            payload,
            id_field="id",
            text_field="body",
            created_at_field="date",
            text=clean_text(str(payload.get("body") or "")),
            # The raw header, when it did not parse, so the quarantine reason shows what was there.
            created_at=payload.get("date") or payload.get("date_header"),
            metadata={
                "from": payload.get("from"),
                "subject": payload.get("subject"),
                "message_id": payload.get("message_id"),
                "attachments": len(payload.get("attachments") or []),
            },
            author=payload.get("from_name"),
        )


# -- IMAP --------------------------------------------------------------------------------------------


class ImapConfig(BaseModel):
    """One IMAP folder. Credentials come from the environment into SecretStr fields, never from YAML.

    The host is plain text on purpose: an error has to say which server failed.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="email_imap", pattern=SOURCE_NAME)
    kind: Literal["email_imap"] = "email_imap"
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    user: SecretStr
    password: SecretStr
    folder: str = "INBOX"
    ssl: bool = True
    timeout_s: float = Field(default=30.0, gt=0)
    # UIDs per UID FETCH: fewer round trips without one huge response.
    batch_size: int = Field(default=50, ge=1, le=1000)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.ssl else 143)


def imap_date(value: datetime) -> str:
    """RFC 3501 date (`01-Oct-2026`), spelled out so the process locale cannot change it."""
    return f"{value.day:02d}-{_MONTHS[value.month - 1]}-{value.year}"


def _quote(mailbox_name: str) -> str:
    return '"' + mailbox_name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _internal_date(value: bytes | None) -> str | None:
    if not value:
        return None
    try:
        return iso_timestamp(datetime.strptime(value.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z"))
    except (UnicodeDecodeError, ValueError):
        return None


class ImapStream(EmailStream):
    name = "email_imap"
    # The server's arrival time rises with the UID; a sender's Date header need not.
    replication_key = "internal_date"
    config_model = ImapConfig
    schema: ClassVar[dict] = {
        "type": "object",
        "required": ["id", "uid", "body"],
        "properties": {
            **MESSAGE_SCHEMA_PROPERTIES,
            "uid": {"type": "integer"},
            "uidvalidity": {"type": "string"},
            "internal_date": {"type": ["string", "null"], "format": "date-time"},
            "folder": {"type": "string"},
        },
        "additionalProperties": False,
    }

    config: ImapConfig

    def __init__(self, config: ImapConfig):
        super().__init__(config)
        self.where = f"imap://{config.host}:{config.effective_port}/{config.folder}"

    def _connect(self) -> imaplib.IMAP4:
        config = self.config
        if config.ssl:
            return imaplib.IMAP4_SSL(
                config.host,
                config.effective_port,
                ssl_context=ssl.create_default_context(),
                timeout=config.timeout_s,
            )
        return imaplib.IMAP4(config.host, config.effective_port, timeout=config.timeout_s)

    def _fail(self, step: str, detail: object) -> SourceError:
        if isinstance(detail, list):
            detail = b" ".join(d for d in detail if isinstance(d, bytes))
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", errors="replace")
        return SourceError(self.name, f"{self.where}: {step} failed: {detail}")

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        try:
            connection = self._connect()
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail("connect", f"{type(exc).__name__}: {exc}") from exc
        try:
            yield from self._read(connection, context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise self._fail("read", f"{type(exc).__name__}: {exc}") from exc
        finally:
            try:
                connection.logout()
            except (OSError, imaplib.IMAP4.error):
                pass  # The records are already handed over; a failed goodbye changes nothing.

    def _read(self, connection: imaplib.IMAP4, context: SyncContext) -> Iterator[dict]:
        config = self.config
        try:
            connection.login(config.user.get_secret_value(), config.password.get_secret_value())
        except imaplib.IMAP4.error as exc:
            # imaplib raises on NO with the server's text, which never echoes the credentials.
            raise self._fail("LOGIN", exc.args[0] if exc.args else "") from exc
        typ, data = connection.select(_quote(config.folder), readonly=True)
        if typ != "OK":
            raise self._fail(f"EXAMINE {config.folder}", data)
        _, validity = connection.response("UIDVALIDITY")
        uidvalidity = (validity[0] or b"").decode("ascii") if validity and validity[0] else ""

        last_uid = 0
        if context.state.cursor:
            saved_validity, _, saved_uid = context.state.cursor.partition(":")
            if saved_validity == uidvalidity and saved_uid.isdigit():
                last_uid = int(saved_uid)
            else:
                # A new UIDVALIDITY renumbers the folder: old UIDs mean nothing, the bookmark day still does.
                log.warning("source %s: UIDVALIDITY changed (%s -> %s)", self.name, saved_validity, uidvalidity)

        criteria = ("SINCE", imap_date(context.start)) if context.start else ("ALL",)
        typ, data = connection.uid("SEARCH", *criteria)
        if typ != "OK":
            raise self._fail("UID SEARCH", data)
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        uids = sorted(uid for uid in (int(u) for u in found if u.isdigit()) if uid > last_uid)

        for start in range(0, len(uids), config.batch_size):
            batch = uids[start : start + config.batch_size]
            typ, data = connection.uid("FETCH", ",".join(map(str, batch)), "(UID INTERNALDATE BODY.PEEK[])")
            if typ != "OK":
                raise self._fail(f"UID FETCH {batch[0]}:{batch[-1]}", data)
            for uid, internal_date, message in sorted(self._fetched(data)):
                payload = message_payload(message)
                payload.update(uid=uid, uidvalidity=uidvalidity, internal_date=internal_date, folder=config.folder)
                yield payload
            # Advanced only once the batch is handed over; sync discards it if a later batch fails.
            context.state.cursor = f"{uidvalidity}:{batch[-1]}"

    @staticmethod
    def _fetched(data: list) -> Iterator[tuple[int, str | None, bytes]]:
        """(uid, internal date, message) from a UID FETCH answer, wherever the server put the attributes."""
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            attributes, message = item[0], item[1]
            # Attributes after the literal come back as the next, plain bytes item (`' UID 7)'`).
            following = data[index + 1] if index + 1 < len(data) and isinstance(data[index + 1], bytes) else b""
            attributes = attributes + b" " + following
            uid = _FETCH_UID.search(attributes)
            if uid is None:
                continue
            when = _FETCH_INTERNALDATE.search(attributes)
            yield int(uid.group(1)), _internal_date(when.group(1) if when else None), message
