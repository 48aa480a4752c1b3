"""What the review-API connectors (Google, Yelp, Trustpilot, App Store) share.

Each of those APIs lists one business's reviews newest first, so a run can stop paging at the first
review older than its bookmark; and each is reached at a fixed base URL that tests point at a loopback
server, so the base URL's host is what the HTTP client is allowed to talk to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

# An id that goes into a URL path: no slash, query or fragment can ride along and change the request.
PATH_SEGMENT = r"^[A-Za-z0-9._~-]+$"


def passed_bookmark(values: Iterable[datetime | None], start: datetime | None) -> bool:
    """Whether a newest-first page already reached rows older than this run's start.

    Strictly older: rows dated exactly at the bookmark may continue on the next page, and sync itself
    drops the ones an earlier run delivered.
    """
    return start is not None and any(value is not None and value < start for value in values)
