"""E-mail specifics: mbox message parsing and incremental IMAP reads by UID."""

from __future__ import annotations

import logging
import mailbox
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from connector_cases.mailboxes import gmail_mail, mail, outlook_mail
from connector_helpers import FIXTURES, commit
from fixture_imap import FakeImapServer

from cx_nlp.records import SourceRecord
from cx_nlp.sources.connectors import ImapConfig, ImapStream, MboxConfig, MboxStream
from cx_nlp.sources.streams import MemoryStateStore, SourceError, sync


def mbox_records() -> dict[str, SourceRecord]:
    result = sync(MboxStream(MboxConfig(path=FIXTURES / "complaints.mbox")), MemoryStateStore())
    return {r.external_id: r for r in result.records}


def test_email_quoted_reply_and_signature_are_stripped():
    record = mbox_records()["c1.refund@mail.example"]
    assert record.text == "I returned the sofa three weeks ago and the refund has still not arrived."
    assert record.source_kind == "complaint"
    assert record.metadata["from"] == "Jane Doe <jane.doe@mail.example>"
    assert record.metadata["author"] == "Jane Doe"
    assert record.metadata["subject"] == "Re: Your refund request"


def test_email_html_only_message_becomes_text():
    record = mbox_records()["c2.html@mail.example"]
    assert record.text == (
        "The driver left my parcel outside and it rained all day. The box was soaked & the lamp inside is ruined."
    )
    assert record.created_at == datetime(2026, 10, 5, 8, 30, tzinfo=UTC)


def test_email_attachments_are_ignored_and_plain_text_preferred():
    records = mbox_records()
    with_attachments = records["c3.attachment@mail.example"]
    assert with_attachments.text == "I ordered the grey sofa and a beige one arrived. Photo attached."
    assert with_attachments.metadata["attachments"] == 2
    assert records["c4.app@mail.example"].text == "The app crashes every time I press pay."
    assert records["c4.app@mail.example"].created_at == datetime(2026, 10, 22, 16, tzinfo=UTC)


def test_email_without_message_id_gets_a_stable_hash_key():
    hashed = [i for i in mbox_records() if i.startswith("sha256:")]
    assert len(hashed) == 1 and hashed == [i for i in mbox_records() if i.startswith("sha256:")]


@pytest.fixture
def imap(server):
    with FakeImapServer(server.requests) as running:
        yield running


def imap_stream(imap: FakeImapServer, **config) -> ImapStream:
    values = {"host": "127.0.0.1", "port": imap.port, "ssl": False, "user": "cx-bot", "password": "imap-pw"}
    values.update(config)
    return ImapStream(ImapConfig(**values))


def test_imap_reads_incrementally_by_uid_without_marking_mail_seen(server, imap):
    first = datetime(2026, 10, 2, 9, tzinfo=UTC)
    imap.add(10, first, mail("i1@mail.example", format_datetime(first), "First complaint."))
    imap.add(11, first + timedelta(hours=2), mail("i2@mail.example", format_datetime(first), "Second complaint."))
    store = MemoryStateStore()
    one = sync(imap_stream(imap), store, since=datetime(2026, 10, 1, tzinfo=UTC))
    commit(one, store)

    assert [r.external_id for r in one.records] == ["i1@mail.example", "i2@mail.example"]
    assert one.state["cursor"] == "1:11"
    assert [r.payload["uid"] for r in one.raw] == [10, 11]
    commands = [(r.path, r.query["args"]) for r in server.requests]
    assert ("IMAP EXAMINE", '"INBOX"') in commands and ("IMAP UID SEARCH", "SINCE 01-Oct-2026") in commands
    assert ("IMAP UID FETCH", "10,11 (UID INTERNALDATE BODY.PEEK[])") in commands
    assert ("IMAP LOGIN", "***") in commands

    server.clear_log()
    imap.add(12, first + timedelta(days=1), mail("i3@mail.example", format_datetime(first), "Third."))
    two = sync(imap_stream(imap), store)
    commands = [(r.path, r.query["args"]) for r in server.requests]
    assert ("IMAP UID SEARCH", "SINCE 02-Oct-2026") in commands
    assert [a for p, a in commands if p == "IMAP UID FETCH"] == ["12 (UID INTERNALDATE BODY.PEEK[])"]
    assert [r.external_id for r in two.records] == ["i3@mail.example"] and two.state["cursor"] == "1:12"


def test_imap_new_uidvalidity_rereads_from_the_bookmark_day(server, imap):
    when = datetime(2026, 10, 2, 9, tzinfo=UTC)
    imap.add(5, when, mail("v1@mail.example", format_datetime(when), "Kept."))
    store = MemoryStateStore({"email_imap": {"replication_key_value": when.isoformat(), "cursor": "9:99"}})
    result = sync(imap_stream(imap), store)
    assert [r.payload["uid"] for r in result.raw] == [5]
    assert result.state["cursor"] == "1:5"


def test_imap_login_failure_names_the_server_not_the_password(imap):
    with pytest.raises(SourceError) as failure:
        sync(imap_stream(imap, password="wrong-pw"), MemoryStateStore())
    message = str(failure.value)
    assert f"imap://127.0.0.1:{imap.port}/INBOX: LOGIN failed" in message and "AUTHENTICATIONFAILED" in message
    assert "wrong-pw" not in message and "cx-bot" not in message


def mbox_at(path, *messages: bytes) -> MboxStream:
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.close()
    return MboxStream(MboxConfig(path=path))


def test_mbox_reads_outlook_and_gmail_headers_as_sent(tmp_path):
    result = sync(mbox_at(tmp_path / "box.mbox", outlook_mail(), gmail_mail()), MemoryStateStore())
    outlook, gmail = result.raw
    # The whole msg-id, both `@` kept; the comment is the display name, its encoded words decoded.
    assert outlook.payload["id"] == "000801dc3b5f$2a4e1c70$7eea5550$@juergen@outlook.example"
    assert outlook.payload["from_name"] == "Jürgen Müller"
    assert outlook.payload["from"] == "Jürgen Müller <juergen.mueller@outlook.example>"
    assert outlook.payload["in_reply_to"] == "c1.refund@mail.example"
    assert gmail.payload["id"] == "CAJx5k8N2f0=Yb3qPq+9hX_1v2W3mZr6Tg-q=Xw@mail.gmail.com"
    assert gmail.payload["from"] == "Zoë Smith <zoe.smith@gmail.example>"
    by_id = {r.external_id: r for r in result.records}
    assert by_id[outlook.payload["id"]].metadata["author"] == "Jürgen Müller"
    assert by_id[outlook.payload["id"]].text == "Die Rückerstattung ist immer noch nicht da."
    assert by_id[gmail.payload["id"]].metadata["author"] == "Zoë Smith"


def test_mbox_bookmark_is_the_read_position_not_the_senders_clock(tmp_path):
    path = tmp_path / "box.mbox"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    stream = mbox_at(
        path,
        mail("a@mail.example", "Fri, 02 Oct 2026 09:00:00 +0000", "First."),
        # A sender whose clock is months ahead.
        mail("future@mail.example", "Mon, 01 Mar 2027 09:00:00 +0000", "Wrong clock."),
    )
    store = MemoryStateStore()
    first = sync(stream, store, since=since)
    commit(first, store)
    assert [r.external_id for r in first.records] == ["a@mail.example", "future@mail.example"]

    box = mailbox.mbox(path)
    box.add(mail("b@mail.example", "Sat, 24 Oct 2026 10:00:00 +0000", "Later."))
    # Appended late (a forward, a mail client syncing), with an older Date than the bookmark.
    box.add(mail("late@mail.example", "Tue, 15 Sep 2026 10:00:00 +0000", "Old date, new to the file."))
    box.close()
    second = sync(MboxStream(MboxConfig(path=path)), store, since=since)
    commit(second, store)
    assert [r.external_id for r in second.records] == ["b@mail.example", "late@mail.example"]
    assert sync(MboxStream(MboxConfig(path=path)), store, since=since).raw == []


def test_mbox_rewritten_under_the_bookmark_is_read_again_from_the_start(tmp_path, caplog):
    path = tmp_path / "box.mbox"
    one, two = (mail(f"{n}@mail.example", "Fri, 02 Oct 2026 09:00:00 +0000", f"Message {n}.") for n in "12")
    store = MemoryStateStore()
    commit(sync(mbox_at(path, one, two), store), store)

    # A mail client compacts the file: the first message goes, the offsets saved no longer fit.
    box = mailbox.mbox(path)
    box.remove(next(iter(box.keys())))
    box.flush()
    box.add(mail("3@mail.example", "Fri, 02 Oct 2026 10:00:00 +0000", "Message 3."))
    box.close()
    with caplog.at_level(logging.WARNING):
        result = sync(MboxStream(MboxConfig(path=path)), store)
    # Read again from the start: at least once, never lost (message 2 sits at the bookmark and is known).
    assert [r.external_id for r in result.records] == ["3@mail.example"] and result.already_synced == 1
    assert "changed before the saved position" in caplog.text
