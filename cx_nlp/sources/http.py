"""The one HTTP client every web source uses: host allow-list, politeness, retries and typed errors.

Connectors never talk to httpx directly. Keeping timeouts, retries, rate limits, robots.txt and auth in
this one class means a fix to any of them reaches every source at once, and a connector stays a
declaration of *what* to fetch.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.robotparser import RobotFileParser

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from cx_nlp import __version__, secrets

log = logging.getLogger(__name__)

# The token robots.txt groups are matched against; the full User-Agent adds the version and contact.
ROBOTS_AGENT = "cx-nlp"


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """`value` with each lone UTF-16 surrogate in its strings (dict keys too) replaced by U+FFFD.

    JSON may escape half a pair (`\\ud83d`: an emoji an API's excerpt cut in two) and the e-mail parser
    keeps undecodable header bytes as surrogates. Such a string has no UTF-8 form, so it could be neither
    hashed nor stored; a pair that is whole becomes its character.
    """
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    return value


class HttpError(Exception):
    """A request could not be completed; the message names the method, the URL and why."""

    def __init__(self, url: str, reason: str):
        # The message reaches logs and the warehouse: a key in the URL's query must not.
        super().__init__(secrets.mask(f"{url}: {reason}"))
        self.url = url
        self.reason = secrets.mask(reason)


class HostNotAllowedError(HttpError):
    """The URL's host is not in the client's allowed_hosts: nothing was sent."""


class RobotsDisallowedError(HttpError):
    """robots.txt forbids this URL to the cx-nlp agent: nothing was sent."""


class HttpStatusError(HttpError):
    """The server answered with an error status (after retries, when the status was retryable)."""

    def __init__(self, url: str, status: int, *, retry_after: float | None = None, attempts: int = 1):
        retryable = status == 429 or status >= 500
        detail = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(url, f"HTTP {status}{detail}")
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable
        self.attempts = attempts


class InvalidJSONError(HttpError):
    """The response body is not valid JSON (often a truncated body or an HTML error page)."""


class BearerAuth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    token: SecretStr


class BasicAuth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # A SecretStr where the username is itself the credential (Freshdesk's API key), so reprs hide it.
    username: str | SecretStr
    password: SecretStr


class ApiKeyAuth(BaseModel):
    """A key sent in a header of the API's choosing (Trustpilot's `apikey`, many others' `X-Api-Key`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    header: str = Field(min_length=1)
    key: SecretStr


Auth = BearerAuth | BasicAuth | ApiKeyAuth


class HttpClientConfig(BaseModel):
    """Transport settings of one source; the defaults suit a polite nightly batch, not a live service."""

    model_config = ConfigDict(extra="forbid")

    allowed_hosts: frozenset[str] = Field(default_factory=frozenset)
    # Shown in the User-Agent so a site operator who sees our traffic can reach a person.
    contact: str | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_initial_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    backoff_jitter_s: float = Field(default=1.0, ge=0)
    # A server may ask for a very long pause; past this we retry anyway rather than stall the nightly run.
    retry_after_max_s: float = Field(default=120.0, ge=0)
    min_interval_s: float = Field(default=1.0, ge=0)
    respect_robots: bool = False

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _lower_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = [value]
        return frozenset(str(h).strip().lower() for h in value) if value is not None else value


def user_agent(contact: str | None) -> str:
    return f"{ROBOTS_AGENT}/{__version__} (+{contact})" if contact else f"{ROBOTS_AGENT}/{__version__}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or garbled."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    # A date already past means "now": never a negative sleep.
    return max(0.0, (when - now).total_seconds())


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, HttpStatusError):
        return exc.retryable
    # Connection refused/reset, timeouts and bodies cut mid-stream are all worth another try.
    return isinstance(exc, httpx.TransportError)


class HttpClient:
    """Synchronous httpx client with allow-listed hosts, per-host pacing, retries and robots.txt.

    Not thread-safe: one client per stream run, which is how the batch pipeline uses it.
    `clock`/`sleep` drive the rate limit and the retry pauses and `now` dates Retry-After, so tests
    can run the whole policy without waiting.
    """

    def __init__(
        self,
        config: HttpClientConfig,
        *,
        auth: Auth | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.user_agent = user_agent(config.contact)
        self._auth = auth
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._last_request: dict[str, float] = {}
        self._crawl_delay: dict[str, float] = {}
        self._robots: dict[str, tuple[RobotFileParser, str]] = {}
        self._backoff = wait_exponential_jitter(
            initial=config.backoff_initial_s, max=config.backoff_max_s, jitter=config.backoff_jitter_s
        )
        self._client = httpx.Client(
            timeout=httpx.Timeout(config.timeout_s, connect=config.connect_timeout_s),
            headers={"User-Agent": self.user_agent},
            follow_redirects=True,
            max_redirects=5,
            # Checked on every hop, so a redirect cannot carry us (or our credentials) to another host.
            event_hooks={"request": [self._check_redirect_host]},
        )

    # -- public API --------------------------------------------------------------------------------

    def get(
        self, url: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """GET with the full policy; returns the httpx.Response of a 2xx/3xx answer or raises an HttpError."""
        target = self._check_host(url, params)
        if self.config.respect_robots and not self.allowed(str(target)):
            _, why = self._robots[self._origin(target)]
            raise RobotsDisallowedError(str(target), f"disallowed by {self._origin(target)}/robots.txt{why}")
        return self._request(target, headers=headers)

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON body, its strings free of lone surrogates.

        A body that is not valid UTF-8 is read with U+FFFD for each bad byte, and a warning says so: one
        stray Latin-1 byte must not cost the whole page (a page at a saved cursor would fail every night).
        """
        response = self.get(url, params=params, headers={"Accept": "application/json"})
        content = response.content
        try:
            try:
                data = json.loads(content)
            except UnicodeDecodeError as exc:
                text = content.decode("utf-8", errors="replace")
                bad = text.count("\ufffd") - content.decode("utf-8", errors="ignore").count("\ufffd")
                log.warning(
                    "%s: body is not UTF-8 (%d bad byte(s), the first at byte %d); read with U+FFFD in their place",
                    secrets.mask(str(response.url)),
                    bad,
                    exc.start,
                )
                data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidJSONError(str(response.url), f"invalid JSON ({len(content)} bytes): {exc}") from exc
        return without_lone_surrogates(data)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's host lets the cx-nlp agent fetch it (fetched once per host)."""
        target = self._check_host(url)
        origin = self._origin(target)
        if origin not in self._robots:
            self._robots[origin] = self._fetch_robots(origin)
        parser, _ = self._robots[origin]
        return parser.can_fetch(ROBOTS_AGENT, str(target))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------------

    @staticmethod
    def _origin(url: httpx.URL) -> str:
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    def _check_host(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.URL:
        target = httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)
        if target.scheme not in ("http", "https"):
            raise HttpError(url, f"unsupported scheme {target.scheme!r}")
        if target.host.lower() not in self.config.allowed_hosts:
            allowed = ", ".join(sorted(self.config.allowed_hosts)) or "none configured"
            raise HostNotAllowedError(str(target), f"host {target.host!r} is not in allowed_hosts ({allowed})")
        return target

    def _check_redirect_host(self, request: httpx.Request) -> None:
        if request.url.host.lower() not in self.config.allowed_hosts:
            raise HostNotAllowedError(str(request.url), f"redirected to host {request.url.host!r} not in allowed_hosts")

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if isinstance(self._auth, BearerAuth):
            headers["Authorization"] = f"Bearer {self._auth.token.get_secret_value()}"
        elif isinstance(self._auth, BasicAuth):
            username = self._auth.username
            if isinstance(username, SecretStr):
                username = username.get_secret_value()
            pair = f"{username}:{self._auth.password.get_secret_value()}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
        elif isinstance(self._auth, ApiKeyAuth):
            headers[self._auth.header] = self._auth.key.get_secret_value()
        return headers

    def _wait_turn(self, host: str) -> None:
        interval = max(self.config.min_interval_s, self._crawl_delay.get(host, 0.0))
        last = self._last_request.get(host)
        if last is not None:
            remaining = interval - (self._clock() - last)
            if remaining > 0:
                self._sleep(remaining)
        self._last_request[host] = self._clock()

    def _wait_before_retry(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, HttpStatusError) and exc.retry_after is not None:
            return min(exc.retry_after, self.config.retry_after_max_s)
        return self._backoff(state)

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        target = secrets.mask(str(state.args[0]))
        log.warning("retrying %s in %.1fs (attempt %d failed: %s)", target, wait, state.attempt_number, exc)

    def _attempt(self, url: httpx.URL, headers: dict[str, str], tolerate_4xx: bool) -> httpx.Response:
        self._wait_turn(url.host.lower())
        response = self._client.get(url, headers=headers)
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._now())
            raise HttpStatusError(str(url), status, retry_after=retry_after)
        if status >= 400 and not tolerate_4xx:
            raise HttpStatusError(str(url), status)
        return response

    def _request(
        self, url: httpx.URL, *, headers: Mapping[str, str] | None = None, tolerate_4xx: bool = False
    ) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.config.max_attempts),
            wait=self._wait_before_retry,
            retry=retry_if_exception(_is_retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        attempts = 0

        def attempt(target: httpx.URL) -> httpx.Response:
            nonlocal attempts
            attempts += 1
            return self._attempt(target, self._headers(headers), tolerate_4xx)

        try:
            return retrying(attempt, url)
        except HttpStatusError as exc:
            if attempts > 1:
                raise HttpStatusError(exc.url, exc.status, retry_after=exc.retry_after, attempts=attempts) from exc
            raise
        except httpx.TransportError as exc:
            raise HttpError(str(url), f"{type(exc).__name__} after {attempts} attempts: {exc}") from exc

    def _fetch_robots(self, origin: str) -> tuple[RobotFileParser, str]:
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            response = self._request(httpx.URL(f"{origin}/robots.txt"), tolerate_4xx=True)
        except HttpError as exc:
            # Google and RFC 9309 treat an unreachable robots.txt as "disallow everything" until it is back.
            log.warning("robots.txt of %s unavailable, treating the host as disallowed: %s", secrets.mask(origin), exc)
            parser.disallow_all = True
            return parser, f" (robots.txt unavailable: {exc.reason})"
        if response.status_code in (401, 403):
            parser.disallow_all = True
            return parser, f" (robots.txt answered HTTP {response.status_code})"
        if response.status_code >= 400:
            # No robots.txt (404 and friends) means no restrictions, per RFC 9309.
            parser.allow_all = True
            return parser, ""
        parser.parse(response.text.splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            self._crawl_delay[httpx.URL(origin).host.lower()] = float(delay)
        return parser, ""


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
