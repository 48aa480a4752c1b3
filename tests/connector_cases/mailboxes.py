"""The e-mail cases, an mbox file and an IMAP folder, and the messages they are built from."""

from __future__ import annotations

import email
import mailbox
import weakref
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from connector_helpers import FIXTURES, FakeTime
from fixture_imap import FakeImapServer
from fixture_server import FixtureServer
from pydantic import SecretStr

from connector_cases.exports import ExportCase
from cx_nlp.sources.connectors import ImapConfig, ImapStream, MboxConfig, MboxStream


def mail(message_id: str | None, date: str, body: str, *, subject: str = "Complaint", attachment_only=False) -> bytes:
    """A small RFC 5322 message; `attachment_only` sends nothing but a PDF."""
    headers = [f"Message-ID: <{message_id}>"] if message_id else []
    headers += [f"Date: {date}", "From: A Customer <customer@mail.example>", "To: complaints@acme.example"]
    headers += [f"Subject: {subject}", "MIME-Version: 1.0"]
    if attachment_only:
        headers.append('Content-Type: multipart/mixed; boundary="b"')
        content = (
            '--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="scan.pdf"\n'
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
        )
    else:
        headers.append("Content-Type: text/plain; charset=utf-8")
        content = body + "\n"
    return ("\n".join(headers) + "\n\n" + content).encode()


def bad_mails() -> tuple[set[str], list[tuple[str, str]], list[bytes]]:
    messages = [
        mail("b11@mail.example", "Fri, 02 Oct 2026 09:00:00 +0000", "A normal complaint."),
        mail("b12@mail.example", "Fri, 02 Oct 2026 10:00:00 +0000", "", attachment_only=True),
        mail("b13@mail.example", "yesterday", "When was this?"),
    ]
    return (
        {"b11@mail.example"},
        [
            ("body", "record 'b12@mail.example': empty text"),
            ("date", "record 'b13@mail.example': unparseable date 'yesterday'"),
        ],
        messages,
    )


class MboxCase(ExportCase):
    kind = "email_mbox"
    fixture = "complaints.mbox"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset(
        {"c1.refund@mail.example", "c2.html@mail.example", "c3.attachment@mail.example", "c4.app@mail.example"}
    )
    # Plus one without a Message-ID, keyed by hash; the September message is before `since`.
    expected_count = 5
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"c5.new@mail.example"})

    def make_stream(self, fake: FakeTime, **http) -> MboxStream:
        return MboxStream(MboxConfig(path=self.export_file))

    def add_new_item(self) -> None:
        box = mailbox.mbox(self.export_file)
        box.add(mail("c5.new@mail.example", "Sat, 24 Oct 2026 10:00:00 +0000", "Second delivery also late."))
        box.close()

    def break_second_page(self) -> str:
        self.export_file.unlink()
        return "mbox file not found"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        good, problems, messages = bad_mails()
        self.export_file.unlink()
        box = mailbox.mbox(self.export_file)
        for message in messages:
            box.add(message)
        box.close()
        return good, problems


class ImapCase:
    kind = "email_imap"
    since = MboxCase.since
    expected_ids = MboxCase.expected_ids
    expected_count = MboxCase.expected_count
    expected_bookmark = MboxCase.expected_bookmark
    new_ids = MboxCase.new_ids
    # CAPABILITY, LOGIN, EXAMINE, UID SEARCH and LOGOUT: no UID FETCH when no UID is new.
    rerun_requests = 5
    retry_after = 0.0

    def __init__(self, server: FixtureServer):
        self.server = server
        # Logs into the HTTP fixture's request log, so the contract reads IMAP traffic the same way.
        self.imap = FakeImapServer(server.requests).start()
        weakref.finalize(self, self.imap.stop)

    def install(self) -> None:
        self.imap.reset()
        box = mailbox.mbox(FIXTURES / "complaints.mbox", create=False)
        messages = [box.get_bytes(key) for key in box.iterkeys()]
        box.close()
        # UIDs in arrival order; the arrival (INTERNALDATE) is the Date header here.
        dated = sorted((parsedate_to_datetime(email.message_from_bytes(m)["Date"]), m) for m in messages)
        for uid, (when, message) in enumerate(dated, start=1):
            self.imap.add(uid, when, message)

    def make_stream(self, fake: FakeTime, **http) -> ImapStream:
        config = ImapConfig(
            host="127.0.0.1", port=self.imap.port, ssl=False, user=SecretStr("cx-bot"), password=SecretStr("imap-pw")
        )
        return ImapStream(config)

    def add_new_item(self) -> None:
        when = datetime(2026, 10, 24, 10, tzinfo=UTC)
        self.imap.add(max(self.imap.messages) + 1, when, mail("c5.new@mail.example", format_datetime(when), "Late."))

    def data_requests(self) -> list:
        return self.server.log("IMAP UID")

    def inject_transient_faults(self) -> None:
        raise AssertionError("IMAP reads do not go through HttpClient")

    def break_second_page(self) -> str:
        self.imap.fail_fetch = True
        return "UID FETCH 2:6 failed: [UNAVAILABLE]"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        good, problems, messages = bad_mails()
        self.imap.reset()
        for uid, message in enumerate(messages, start=1):
            self.imap.add(uid, datetime(2026, 10, 2, 9 + uid, tzinfo=UTC), message)
        return good, problems
