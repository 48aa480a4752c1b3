"""A loopback IMAP4rev1 server speaking just what imaplib needs to read a folder by UID.

CAPABILITY, LOGIN, SELECT/EXAMINE, UID SEARCH (ALL or SINCE <date>), UID FETCH and LOGOUT; anything
else is answered BAD. Each command is written into a list of LoggedRequest (the FixtureServer's own
log, when given) as path `IMAP <COMMAND>`, so a test reads one log whatever the transport.
"""

from __future__ import annotations

import shlex
import socketserver
import threading
from datetime import datetime
from typing import Self

from fixture_server import LoggedRequest

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _imap_datetime(value: datetime) -> str:
    return f"{value.day:02d}-{_MONTHS[value.month - 1]}-{value.year} {value:%H:%M:%S %z}"


def _parse_day(text: str):
    day, month, year = text.strip('"').split("-")
    return datetime(int(year), _MONTHS.index(month.title()) + 1, int(day)).date()


def _uid_set(spec: str, known: list[int]) -> list[int]:
    chosen: set[int] = set()
    for part in spec.split(","):
        if ":" in part:
            low, high = part.split(":")
            top = max(known, default=0)
            a, b = (top if low == "*" else int(low)), (top if high == "*" else int(high))
            chosen.update(u for u in known if min(a, b) <= u <= max(a, b))
        else:
            chosen.add(int(part))
    return sorted(u for u in chosen if u in known)


class FakeImapServer:
    def __init__(self, log: list[LoggedRequest] | None = None, *, user: str = "cx-bot", password: str = "imap-pw"):
        self.log = log if log is not None else []
        self.user, self.password = user, password
        self.uidvalidity = 1
        self.messages: dict[int, tuple[datetime, bytes]] = {}
        # Answer UID FETCH with NO, as a server does when the mailbox is being repaired.
        self.fail_fetch = False
        self._server: socketserver.ThreadingTCPServer | None = None

    def add(self, uid: int, internal_date: datetime, message: bytes) -> None:
        self.messages[uid] = (internal_date, message)

    def reset(self) -> None:
        self.messages.clear()
        self.fail_fetch = False
        self.uidvalidity = 1

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> FakeImapServer:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                fake._session(self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    # -- protocol ---------------------------------------------------------------------------------

    def _session(self, rfile, wfile) -> None:
        def send(line: str | bytes) -> None:
            wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

        send("* OK fake IMAP4rev1 ready")
        while line := rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            shown = "***" if command == "LOGIN" else args
            self.log.append(LoggedRequest("IMAP", "127.0.0.1", f"IMAP {command}", {"args": shown}, {}))
            if command == "CAPABILITY":
                send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = shlex.split(args)
                ok = (user, password) == (self.user, self.password)
                send(f"{tag} OK LOGIN completed" if ok else f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif command in ("SELECT", "EXAMINE"):
                send(f"* {len(self.messages)} EXISTS")
                send(f"* OK [UIDVALIDITY {self.uidvalidity}] UIDs valid")
                mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
                send(f"{tag} OK [{mode}] {command} completed")
            elif command == "UID SEARCH":
                words = args.split()
                uids = sorted(self.messages)
                if words and words[0].upper() == "SINCE":
                    since = _parse_day(words[1])
                    uids = [u for u in uids if self.messages[u][0].date() >= since]
                send("* SEARCH" + "".join(f" {u}" for u in uids))
                send(f"{tag} OK SEARCH completed")
            elif command == "UID FETCH":
                if self.fail_fetch:
                    send(f"{tag} NO [UNAVAILABLE] mailbox is being repaired")
                    continue
                spec = args.split(" ", 1)[0]
                ordered = sorted(self.messages)
                for uid in _uid_set(spec, ordered):
                    when, message = self.messages[uid]
                    sequence = ordered.index(uid) + 1
                    stamp = _imap_datetime(when)
                    head = f'* {sequence} FETCH (UID {uid} INTERNALDATE "{stamp}" BODY[] {{{len(message)}}}'
                    send(head.encode() + b"\r\n" + message + b")")
                send(f"{tag} OK FETCH completed")
            elif command == "LOGOUT":
                send("* BYE logging out")
                send(f"{tag} OK LOGOUT completed")
                return
            else:
                send(f"{tag} BAD unknown command {command}")
