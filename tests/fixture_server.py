"""A loopback HTTP server that plays the web APIs and review sites the connectors read.

Routes map a path (and optionally an exact query) to a queue of canned responses: each request takes
the next one and the last one repeats, so "500 then success" is `route(path, server_error(), ok)`.
Every request is logged with its path, query and headers so a test can assert what was fetched.
The payload builders below reproduce each API's real response shape, written for this project.
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


# -- Zendesk: incremental ticket export, cursor-based ------------------------------------------------

ZENDESK_EXPORT = "/api/v2/incremental/tickets/cursor.json"


def zendesk_ticket(
    ticket_id: int | None,
    *,
    subject: str | None,
    description: str | None,
    created_at: str,
    updated_at: str,
    status: str = "open",
    tags: tuple[str, ...] = (),
    channel: str = "email",
    custom_fields: dict[int, object] | None = None,
    base: str = "https://acme.zendesk.com",
) -> dict:
    """A ticket as the export returns it (the fields the Tickets API documents, values invented)."""
    ticket = {
        "url": f"{base}/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created_at,
        "updated_at": updated_at,
        "generated_timestamp": 0,
        "type": "problem",
        "subject": subject,
        "raw_subject": subject,
        "description": description,
        "priority": "normal",
        "status": status,
        "recipient": "support@acme.example",
        "requester_id": 9000 + (ticket_id or 0),
        "submitter_id": 9000 + (ticket_id or 0),
        "assignee_id": 501,
        "organization_id": None,
        "group_id": 42,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": list(tags),
        "custom_fields": [{"id": fid, "value": value} for fid, value in (custom_fields or {}).items()],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": 1,
        "fields": [{"id": fid, "value": value} for fid, value in (custom_fields or {}).items()],
        "followup_ids": [],
        "ticket_form_id": 360000001,
        "brand_id": 360000002,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    return ticket


def zendesk_export_page(tickets: list[dict], after_cursor: str | None, end_of_stream: bool, base: str) -> dict:
    after_url = f"{base}{ZENDESK_EXPORT}?cursor={after_cursor}" if after_cursor else None
    return {
        "tickets": tickets,
        "after_url": after_url,
        "after_cursor": after_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }


# -- Review pages: schema.org Review in JSON-LD, microdata, or plain HTML ---------------------------


def jsonld_review(
    *,
    author: str | None,
    date: str | None,
    body: str | None,
    rating: float | str | None = None,
    title: str | None = None,
    review_id: str | None = None,
    url: str | None = None,
    best: int = 5,
) -> dict:
    review: dict = {"@type": "Review"}
    if review_id:
        review["@id"] = review_id
    if url:
        review["url"] = url
    if author is not None:
        review["author"] = {"@type": "Person", "name": author}
    if date is not None:
        review["datePublished"] = date
    if title is not None:
        review["name"] = title
    if body is not None:
        review["reviewBody"] = body
    if rating is not None:
        review["reviewRating"] = {"@type": "Rating", "ratingValue": rating, "bestRating": best, "worstRating": 1}
    return review


def _page(head: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>Reviews</title>"
        f"{head}</head><body>{body}</body></html>"
    )


def _next_link(next_href: str | None) -> str:
    return f'<link rel="next" href="{next_href}">' if next_href else ""


def product_reviews_page(
    product: str, reviews: list[dict], next_href: str | None = None, *, graph: bool = False
) -> str:
    """A product page with JSON-LD: a Product with AggregateRating and a `review` array, or an @graph."""
    product_node = {
        "@type": "Product",
        "@id": "#product",
        "name": product,
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": 3.4, "reviewCount": 120},
    }
    if graph:
        reviewed = [dict(r, itemReviewed={"@id": "#product", "name": product}) for r in reviews]
        data: dict = {
            "@context": "https://schema.org",
            "@graph": [product_node, {"@type": "BreadcrumbList", "itemListElement": []}, *reviewed],
        }
    else:
        data = {"@context": "https://schema.org", **product_node, "review": reviews}
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    visible = "".join(f"<article><p>{r.get('reviewBody', '')}</p></article>" for r in reviews)
    nav = f'<nav><a rel="next" href="{next_href}">Next</a></nav>' if next_href else ""
    return _page(script + _next_link(next_href), f"<h1>{product}</h1>{visible}{nav}")


def microdata_reviews_page(business: str, reviews: list[dict], next_href: str | None = None) -> str:
    """A LocalBusiness page marked up with microdata only (rating and author as nested items)."""
    items = []
    for r in reviews:
        rating = (
            f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            f'<meta itemprop="worstRating" content="1"><span itemprop="ratingValue">{r["rating"]}</span>/'
            f'<span itemprop="bestRating">5</span></div>'
            if r.get("rating") is not None
            else ""
        )
        date = f'<time itemprop="datePublished" datetime="{r["date"]}">{r["date"]}</time>' if r.get("date") else ""
        body = f'<p itemprop="reviewBody">{r["body"]}</p>' if r.get("body") else ""
        items.append(
            '<div itemprop="review" itemscope itemtype="https://schema.org/Review">'
            '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<span itemprop="name">{r["author"]}</span></span>'
            f"{date}{rating}{body}</div>"
        )
    nav = f'<a rel="next" href="{next_href}">Older reviews</a>' if next_href else ""
    return _page(
        "",
        f'<div itemscope itemtype="https://schema.org/LocalBusiness"><h1 itemprop="name">{business}</h1>'
        f'<div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
        f'<span itemprop="ratingValue">4.1</span></div>{"".join(items)}</div>{nav}',
    )


def plain_reviews_page(reviews: list[dict], next_href: str | None = None) -> str:
    """A page with no structured data at all: only the site's own classes (the CSS-selector fallback)."""
    items = "".join(
        f'<li class="review" data-review-id="{r["id"]}"><b class="who">{r["author"]}</b>'
        f'<span class="when">{r["date"]}</span><span class="stars">{r["rating"]}</span>'
        f'<div class="text">{r["body"]}</div></li>'
        for r in reviews
    )
    nav = f'<a class="pager-next" href="{next_href}">More</a>' if next_href else ""
    return _page("", f'<ul class="reviews">{items}</ul>{nav}')
