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


# -- Google Business Profile: location reviews, pageToken paging -------------------------------------


def google_reviews_path(account: str, location: str) -> str:
    return f"/v4/accounts/{account}/locations/{location}/reviews"


def google_review(
    review_id: str | None,
    *,
    comment: str | None,
    star: str,
    create_time: str,
    update_time: str | None = None,
    reviewer: str = "A Google user",
    anonymous: bool = False,
    reply: str | None = None,
    account: str = "1234567890",
    location: str = "9876543210",
) -> dict:
    """A Review resource as the v4 API returns it: `comment` is left out entirely on a star-only review."""
    review: dict = {
        "name": f"accounts/{account}/locations/{location}/reviews/{review_id}",
        "reviewer": {
            "profilePhotoUrl": "https://lh3.googleusercontent.com/a/default-user=s120-c-rp-mo-br100",
            "displayName": reviewer,
            "isAnonymous": anonymous,
        },
        "starRating": star,
        "createTime": create_time,
        "updateTime": update_time or create_time,
    }
    if review_id is not None:
        review["reviewId"] = review_id
    if comment is not None:
        review["comment"] = comment
    if reply is not None:
        review["reviewReply"] = {"comment": reply, "updateTime": update_time or create_time}
    return review


def google_reviews_page(reviews: list[dict], next_token: str | None = None, *, total: int = 87) -> dict:
    """One page of reviews.list; like every Google API it omits empty and absent fields."""
    page: dict = {"averageRating": 4.1, "totalReviewCount": total}
    if reviews:
        page["reviews"] = reviews
    if next_token:
        page["nextPageToken"] = next_token
    return page


# -- Yelp Fusion: business reviews, offset paging ---------------------------------------------------


def yelp_reviews_path(business_id: str) -> str:
    return f"/v3/businesses/{business_id}/reviews"


def yelp_review(review_id: str | None, *, text: str | None, rating: object, time_created: str) -> dict:
    """A review as Fusion returns it: an excerpt of the text and a Pacific-time timestamp without offset."""
    user_id = f"u-{review_id or 'anon'}"
    review: dict = {
        "url": f"https://www.yelp.com/biz/acme-coffee-roasters-san-francisco?hrid={review_id}",
        "text": text,
        "rating": rating,
        "time_created": time_created,
        "user": {
            "id": user_id,
            "profile_url": f"https://www.yelp.com/user_details?userid={user_id}",
            "image_url": None,
            "name": "Sam K.",
        },
    }
    if review_id is not None:
        review["id"] = review_id
    return review


def yelp_reviews_page(reviews: list[dict], total: int) -> dict:
    return {"reviews": reviews, "total": total, "possible_languages": ["en", "es"]}


# -- Trustpilot: business-unit reviews, page numbers with a next-page link -------------------------


def trustpilot_reviews_path(business_unit_id: str) -> str:
    return f"/v1/business-units/{business_unit_id}/reviews"


def trustpilot_review(
    review_id: str | None,
    *,
    stars: object,
    title: str | None,
    text: str | None,
    created_at: str,
    updated_at: str | None = None,
    language: str = "en",
    reply: str | None = None,
    verified: bool = True,
) -> dict:
    review: dict = {
        "links": [
            {"href": f"https://api.trustpilot.com/v1/reviews/{review_id}", "method": "GET", "rel": "reviews"},
            {"href": "https://api.trustpilot.com/v1/consumers/5a1b2c3d4e5f", "method": "GET", "rel": "consumer"},
        ],
        "stars": stars,
        "title": title,
        "text": text,
        "language": language,
        "createdAt": created_at,
        "updatedAt": updated_at,
        "experiencedAt": created_at,
        "isVerified": verified,
        "reviewVerificationLevel": "verified" if verified else "not-verified",
        "numberOfLikes": 0,
        "status": "active",
        "companyReply": {"text": reply, "createdAt": created_at} if reply else None,
        "consumer": {
            "links": [],
            "id": "5a1b2c3d4e5f",
            "displayName": "Jo Bloggs",
            "numberOfReviews": 3,
        },
        "businessUnit": {"id": "5f1e2d3c4b5a697887766554", "displayName": "Acme Homeware"},
        "location": None,
        "countsTowardsTrustScore": True,
        "countsTowardsLocationTrustScore": None,
    }
    if review_id is not None:
        review["id"] = review_id
    return review


def trustpilot_reviews_page(reviews: list[dict], *, next_href: str | None = None, prev_href: str | None = None) -> dict:
    links = []
    if prev_href:
        links.append({"href": prev_href, "method": "GET", "rel": "prev-page"})
    if next_href:
        links.append({"href": next_href, "method": "GET", "rel": "next-page"})
    return {"reviews": reviews, "links": links}


# -- Apple App Store: the customer-reviews RSS feed as JSON ------------------------------------------


def app_store_feed_path(country: str, app_id: str, page: int) -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"


def app_store_entry(
    review_id: str | None,
    *,
    rating: str,
    title: str | None,
    content: str | None,
    updated: str,
    version: str = "5.12.0",
    author: str = "Keen user 42",
) -> dict:
    """One review entry: every value wrapped in `label`, as the XML-to-JSON conversion leaves it."""
    entry: dict = {
        "author": {
            "uri": {"label": "https://itunes.apple.com/gb/reviews/id100200300"},
            "name": {"label": author},
            "label": "",
        },
        "updated": {"label": updated},
        "im:rating": {"label": rating},
        "im:version": {"label": version},
        "link": {"attributes": {"rel": "related", "href": "https://itunes.apple.com/gb/review?id=1234567890"}},
        "im:voteSum": {"label": "0"},
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "im:voteCount": {"label": "0"},
    }
    if review_id is not None:
        entry["id"] = {"label": review_id}
    if title is not None:
        entry["title"] = {"label": title}
    if content is not None:
        entry["content"] = {"label": content, "attributes": {"type": "text"}}
    return entry


def app_store_app_entry(app_id: str) -> dict:
    """The entry older feeds put first on page 1: the app itself, not a review."""
    return {
        "im:name": {"label": "Acme Shop"},
        "im:artist": {"label": "Acme Ltd", "attributes": {"href": "https://apps.apple.com/gb/developer/id1"}},
        "id": {"label": f"https://apps.apple.com/gb/app/acme-shop/id{app_id}", "attributes": {"im:id": app_id}},
        "title": {"label": "Acme Shop - Acme Ltd"},
    }


def app_store_feed(
    entries: list[dict], *, page: int, app_id: str, country: str = "gb", last_page: int = 10, base: str = ""
) -> dict:
    """A feed page. Like the real conversion: one entry is an object, none means no `entry` key at all."""
    feed_id = f"https://mzstoreservices-int-st.itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}"

    def href(n: int) -> str:
        path = f"/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent"
        return f"{base}{path}/xml?urlDesc=/customerreviews/id={app_id}/sortby=mostrecent/json"

    store = f"https://apps.apple.com/WebObjects/MZStore.woa/wa/viewGrouping?cc={country}&id=1"
    links = [
        {"attributes": {"rel": "alternate", "type": "text/html", "href": store}},
        {"attributes": {"rel": "self", "href": href(page).replace("/xml?", "/json?")}},
        {"attributes": {"rel": "first", "href": href(1)}},
        {"attributes": {"rel": "last", "href": href(last_page)}},
        {"attributes": {"rel": "previous", "href": href(max(1, page - 1))}},
    ]
    if page < last_page:
        links.append({"attributes": {"rel": "next", "href": href(page + 1)}})
    feed: dict = {
        "author": {"name": {"label": "iTunes Store"}, "uri": {"label": "http://www.apple.com/uk/itunes/"}},
        "updated": {"label": "2026-10-27T03:14:07-07:00"},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store: Customer Reviews"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": links,
        "id": {"label": f"{feed_id}/sortby=mostrecent/json"},
    }
    if len(entries) == 1:
        feed["entry"] = entries[0]
    elif entries:
        feed["entry"] = entries
    return {"feed": feed}


# -- Freshdesk: List All Tickets, page numbers ending on a short page ------------------------------

FRESHDESK_TICKETS = "/api/v2/tickets"


def freshdesk_tickets_query(updated_since: str, page: int, per_page: int) -> dict[str, str]:
    """The exact query the connector sends for one page (the fixture routes match queries exactly)."""
    return {
        "updated_since": updated_since,
        "per_page": str(per_page),
        "page": str(page),
        "order_by": "updated_at",
        "order_type": "asc",
        "include": "description",
    }


def freshdesk_ticket(
    ticket_id: int | None,
    *,
    subject: str | None,
    description_text: str | None,
    created_at: str,
    updated_at: str,
    status: int = 2,
    priority: int = 1,
    source: int = 1,
    ticket_type: str | None = "Problem",
    tags: tuple[str, ...] = (),
    custom_fields: dict[str, object] | None = None,
) -> dict:
    """A ticket as List All Tickets returns it with include=description (documented fields, invented values)."""
    description = f"<div>{description_text}</div>" if description_text is not None else None
    return {
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "ticket_cc_emails": [],
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": 77000001,
        "priority": priority,
        "requester_id": 77100000 + (ticket_id or 0),
        "responder_id": None,
        "source": source,
        "company_id": None,
        "status": status,
        "subject": subject,
        "association_type": None,
        "support_email": None,
        "to_emails": None,
        "product_id": None,
        "id": ticket_id,
        "type": ticket_type,
        "due_by": "2026-12-01T10:00:00Z",
        "fr_due_by": "2026-11-28T10:00:00Z",
        "is_escalated": False,
        "description": description,
        "description_text": description_text,
        "custom_fields": dict(custom_fields or {}),
        "created_at": created_at,
        "updated_at": updated_at,
        "tags": list(tags),
        "attachments": [],
        "nr_due_by": None,
        "nr_escalated": False,
    }


def freshdesk_conversation(
    conversation_id: int, ticket_id: int, body_text: str, *, incoming: bool, private: bool = False
) -> dict:
    """One entry of `GET /api/v2/tickets/{id}/conversations` (a reply or a note)."""
    return {
        "body": f"<div>{body_text}</div>",
        "body_text": body_text,
        "id": conversation_id,
        "incoming": incoming,
        "private": private,
        "user_id": 77100000 + ticket_id if incoming else 77000500,
        "support_email": None if incoming else "support@acme.example",
        "source": 0,
        "category": 2,
        "to_emails": ["support@acme.example"] if incoming else [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": None,
        "email_failure_count": None,
        "outgoing_failures": None,
        "thread_id": None,
        "thread_message_id": None,
        "created_at": "2026-10-04T08:00:00Z",
        "updated_at": "2026-10-04T08:00:00Z",
        "last_edited_at": None,
        "last_edited_user_id": None,
        "attachments": [],
        "automation_id": None,
        "automation_type_id": None,
        "auto_response": False,
        "ticket_id": ticket_id,
        "source_additional_info": None,
    }
