"""What the review listings (Google, Yelp, Trustpilot, the App Store, scraped review pages) share.

Each lists one business's reviews newest first, so a run can stop paging at the first page that
reaches back past its start: older reviews came with an earlier run. The APIs among them are reached at
a fixed base URL that tests point at a loopback server, so the base URL's host is what the HTTP client
is allowed to talk to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cx_nlp.sources.paging import Paginator, older_than
from cx_nlp.sources.streams import HttpStream, SyncContext

# An id that goes into a URL path: no slash, query or fragment can ride along and change the request.
PATH_SEGMENT = r"^[A-Za-z0-9._~-]+$"


class ReviewListingStream(HttpStream):
    """A newest-first review listing: `paginator` says how it pages, this class where a run stops."""

    @property
    def newest_first(self) -> bool:
        return True

    def get_records(self, context: SyncContext) -> Iterator[dict]:
        passed = older_than(self.replication_value, context.start) if self.newest_first else None
        yield from self.paginator(passed).items()

    def paginator(self, passed: Callable[[list[dict]], bool] | None) -> Paginator:
        """The listing's paginator; `passed` is its `EndRules.passed` (None: read every page)."""
        raise NotImplementedError
