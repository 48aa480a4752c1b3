"""What the review-API connectors (Google, Yelp, Trustpilot, App Store) share.

Each of those APIs lists one business's reviews newest first, so a run can stop paging at the first
review older than its bookmark; and each is reached at a fixed base URL that tests point at a loopback
server, so the base URL's host is what the HTTP client is allowed to talk to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import httpx

from cx_nlp.sources.http import HttpClientConfig

# An id that goes into a URL path: no slash, query or fragment can ride along and change the request.
PATH_SEGMENT = r"^[A-Za-z0-9._~-]+$"


def pin_base_url(base_url: str, http: HttpClientConfig, *, example: str) -> tuple[str, HttpClientConfig]:
    """The normalised base URL and an HTTP config whose allowed_hosts admits it (and, by default, only it)."""
    url = httpx.URL(base_url.strip().rstrip("/"))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url {base_url!r} must be an http(s) URL such as {example}")
    host = url.host.lower()
    if not http.allowed_hosts:
        http = http.model_copy(update={"allowed_hosts": frozenset({host})})
    elif host not in http.allowed_hosts:
        raise ValueError(f"http.allowed_hosts {sorted(http.allowed_hosts)} does not include {host!r}")
    return str(url).rstrip("/"), http


def passed_bookmark(values: Iterable[datetime | None], start: datetime | None) -> bool:
    """Whether a newest-first page already reached rows older than this run's start.

    Strictly older: rows dated exactly at the bookmark may continue on the next page, and sync itself
    drops the ones an earlier run delivered.
    """
    return start is not None and any(value is not None and value < start for value in values)
