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


def outlook_mail() -> bytes:
    """A reply from Outlook desktop as it lands in an mbox: an old-style comment display name in encoded
    words, a Message-ID with an `@` in its left part, In-Reply-To with the trailing comment Outlook adds."""
    return (
        "From juergen.mueller@outlook.example Mon Oct 12 07:41:05 2026\n"
        "Received: from AM9PR02MB7283.eurprd02.prod.outlook.com (2603:10a6:20b:3f0::7) by\n"
        " AM0PR02MB5523.eurprd02.prod.outlook.com with HTTPS; Mon, 12 Oct 2026 07:41:03 +0000\n"
        "From: juergen.mueller@outlook.example (=?iso-8859-1?Q?J=FCrgen_M=FCller?=)\n"
        'To: "complaints@acme.example" <complaints@acme.example>\n'
        "Subject: =?iso-8859-1?Q?AW:_Ihre_R=FCckerstattung?=\n"
        "Thread-Topic: Ihre Ruckerstattung\n"
        "Thread-Index: AQHZ8k3Fq2b1mXyVbEuW0T3sN9cG7w==\n"
        "Date: Mon, 12 Oct 2026 07:41:02 +0000\n"
        "Message-ID: <000801dc3b5f$2a4e1c70$7eea5550$@juergen@outlook.example>\n"
        "References: <c1.refund@mail.example>\n"
        "In-Reply-To: <c1.refund@mail.example> (Jane Doe's message of \"Fri, 02 Oct 2026 09:00:00\n"
        ' +0000")\n'
        "Accept-Language: de-DE, en-US\n"
        "Content-Language: de-DE\n"
        "X-MS-Has-Attach:\n"
        "X-MS-TNEF-Correlator:\n"
        "MIME-Version: 1.0\n"
        'Content-Type: text/plain; charset="iso-8859-1"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Die R=FCckerstattung ist immer noch nicht da.\n\n"
    ).encode("ascii")


def gmail_mail() -> bytes:
    """A message from Gmail: encoded-word display name, Gmail's Message-ID, multipart/alternative."""
    return (
        "From zoe.smith@gmail.example Tue Oct 13 17:22:12 2026\n"
        "MIME-Version: 1.0\n"
        "Date: Tue, 13 Oct 2026 18:22:10 +0100\n"
        "Message-ID: <CAJx5k8N2f0=Yb3qPq+9hX_1v2W3mZr6Tg-q=Xw@mail.gmail.com>\n"
        "Subject: Refund for order 5531\n"
        "From: =?UTF-8?Q?Zo=C3=AB_Smith?= <zoe.smith@gmail.example>\n"
        "To: complaints@acme.example\n"
        'Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"\n\n'
        "--000000000000a1b2c3d4e5f60718\n"
        'Content-Type: text/plain; charset="UTF-8"\n\n'
        "Still no refund for order 5531.\n\n"
        "--000000000000a1b2c3d4e5f60718\n"
        'Content-Type: text/html; charset="UTF-8"\n\n'
        '<div dir="ltr">Still no refund for order 5531.</div>\n\n'
        "--000000000000a1b2c3d4e5f60718--\n"
    ).encode("ascii")


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
