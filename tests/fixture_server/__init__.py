"""A loopback HTTP server that plays the web APIs and review sites the connectors read.

Routes map a path (and optionally an exact query) to a queue of canned responses: each request takes
the next one and the last one repeats, so "500 then success" is `route(path, server_error(), ok)`.
Every request is logged with its path, query and headers so a test can assert what was fetched.
The payload builders, one module per imitated API (`fixture_server.zendesk`, `.freshdesk`,
`.review_pages`, `.google_business`, `.yelp`, `.trustpilot`, `.app_store`), reproduce each API's
real response shape, written for this project.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Canned:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering: longer than the client's timeout makes a read timeout.
    delay_s: float = 0.0

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json; charset=utf-8"
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        return self.body, "application/octet-stream"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def target(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(self.query.items()))
        return f"{self.path}?{query}" if query else self.path


def ok(body: bytes | str | dict | list, **headers: str) -> Canned:
    return Canned(200, body, dict(headers))


def too_many_requests(retry_after: str = "2") -> Canned:
    return Canned(
        429, {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"}, {"Retry-After": retry_after}
    )


def server_error(status: int = 500) -> Canned:
    return Canned(status, "<html><body><h1>Internal Server Error</h1></body></html>")


def slow(response: Canned, delay_s: float) -> Canned:
    return Canned(response.status, response.body, dict(response.headers), delay_s)


def truncated_json(body: dict) -> Canned:
    """A complete HTTP response whose JSON body was cut off, as a proxy dropping the tail leaves it."""
    text = json.dumps(body)
    return Canned(200, text[: len(text) // 2].encode(), {"Content-Type": "application/json"})


def robots(*disallowed: str, crawl_delay: float | None = None) -> Canned:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed)]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay:g}")
    return Canned(200, ("\n".join(lines) + "\n").encode(), {"Content-Type": "text/plain"})


class FixtureServer:
    """Threaded loopback server on 127.0.0.1 with a free port; `start()`/`stop()` or a `with` block."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, tuple[tuple[str, str], ...] | None], list[Canned]] = {}
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> FixtureServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    def url(self, path: str = "", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # -- routes and log ---------------------------------------------------------------------------

    @staticmethod
    def _key(path: str, query: dict[str, str] | None) -> tuple[str, tuple[tuple[str, str], ...] | None]:
        return path, (tuple(sorted((k, str(v)) for k, v in query.items())) if query is not None else None)

    def route(self, path: str, *responses: Canned, query: dict[str, str] | None = None) -> None:
        """Serve `responses` in turn for this path (and exact query, if given); the last one repeats."""
        assert responses, "a route needs at least one response"
        with self._lock:
            self._routes[self._key(path, query)] = list(responses)

    def fail_first(self, path: str, *faults: Canned, query: dict[str, str] | None = None) -> None:
        """Put one-shot faults in front of a route's current responses."""
        with self._lock:
            key = self._key(path, query)
            self._routes[key] = [*faults, *self._routes[key]]

    def log(self, path_prefix: str = "") -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        host = (handler.headers.get("Host") or "").rsplit(":", 1)[0]
        with self._lock:
            self.requests.append(
                LoggedRequest("GET", host, parts.path, query, {k.lower(): v for k, v in handler.headers.items()})
            )
            queue = self._routes.get(self._key(parts.path, query)) or self._routes.get(self._key(parts.path, None))
            if queue is None:
                response = Canned(404, {"error": "RecordNotFound", "description": f"No route for {parts.path}"})
            else:
                response = queue.pop(0) if len(queue) > 1 else queue[0]
        if response.delay_s:
            time.sleep(response.delay_s)
        body, content_type = response.encoded()
        try:
            handler.send_response(response.status)
            headers = {"Content-Type": content_type, **response.headers, "Content-Length": str(len(body))}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The client gave up (a timeout test); nothing to answer.
