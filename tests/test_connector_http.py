"""HttpClient: Retry-After, backoff, timeouts, per-host rate limits, auth headers, allow-list and robots.txt.

Retries and rate limits run on a fake clock; nothing sleeps for real except one deliberate 0.1 s read timeout.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from connector_helpers import CONTACT, FakeTime, fast_http
from fixture_server import Canned, FixtureServer, ok, robots, server_error, slow, too_many_requests, truncated_json
from pydantic import SecretStr

from cx_nlp.sources.http import (
    BasicAuth,
    BearerAuth,
    HostNotAllowedError,
    HttpClient,
    HttpClientConfig,
    HttpError,
    HttpStatusError,
    InvalidJSONError,
    parse_retry_after,
)


def client(fake: FakeTime | None = None, **overrides) -> HttpClient:
    settings = fast_http(allowed_hosts=["127.0.0.1", "localhost"], min_interval_s=0.0)
    settings.update(overrides)
    return HttpClient(HttpClientConfig(**settings), **(fake or FakeTime()).options())


def test_parse_retry_after_seconds_and_http_dates():
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 20 Oct 2026 12:00:45 GMT", now) == 45.0
    assert parse_retry_after("Tue, 20 Oct 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_is_honoured_and_capped(server):
    server.route("/a", too_many_requests("3"), ok({"ok": 1}))
    server.route("/b", too_many_requests("3600"), ok({"ok": 2}))
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    server.route("/c", too_many_requests(when), ok({"ok": 3}))
    fake = FakeTime()
    with client(fake, retry_after_max_s=30) as http:
        assert http.get_json(server.url("/a")) == {"ok": 1}
        assert http.get_json(server.url("/b")) == {"ok": 2}
        assert http.get_json(server.url("/c")) == {"ok": 3}
    assert fake.sleeps[:2] == [3.0, 30.0]
    assert 17 <= fake.sleeps[2] <= 20


def test_backoff_is_exponential_with_jitter_then_gives_up_naming_url(server):
    server.route("/flaky", server_error(500), server_error(503), server_error(500), ok({"ok": True}))
    fake = FakeTime()
    with client(fake, backoff_initial_s=1.0, backoff_jitter_s=0.5) as http:
        assert http.get_json(server.url("/flaky")) == {"ok": True}
    assert [int(s) for s in fake.sleeps] == [1, 2, 4]
    assert all(0 <= s - int(s) <= 0.5 for s in fake.sleeps)

    server.route("/down", server_error(500))
    with client() as http, pytest.raises(HttpStatusError) as failure:
        http.get(server.url("/down"))
    assert failure.value.status == 500 and failure.value.attempts == 4
    assert "/down: HTTP 500 after 4 attempts" in str(failure.value)
    assert len(server.log("/down")) == 4


def test_client_errors_are_not_retried(server):
    with client() as http, pytest.raises(HttpStatusError) as failure:
        http.get(server.url("/missing"))
    assert failure.value.status == 404 and not failure.value.retryable
    assert len(server.log("/missing")) == 1


def test_read_timeout_and_refused_connection_are_retried(server):
    server.route("/slow", slow(ok({"late": True}), 0.5), ok({"late": False}))
    fake = FakeTime()
    with client(fake, timeout_s=0.1) as http:
        assert http.get_json(server.url("/slow")) == {"late": False}
    assert len(server.log("/slow")) == 2 and len(fake.sleeps) == 1

    closed = FixtureServer().start()
    dead_url = closed.url("/gone")
    closed.stop()
    with client() as http, pytest.raises(HttpError, match="ConnectError after 4 attempts"):
        http.get(dead_url)


def test_rate_limit_spaces_requests_per_host(server):
    server.route("/r", ok({}))
    fake = FakeTime()
    with client(fake, min_interval_s=2.0) as http:
        http.get(server.url("/r"))
        http.get(server.url("/r"))  # same host at once: waits the full interval
        fake.now += 0.5
        http.get(server.url("/r"))  # half a second already passed
        http.get(server.url("/r", host="localhost"))  # another host: no wait
    assert fake.sleeps == [2.0, 1.5]


def test_user_agent_auth_and_secret_hygiene(server):
    server.route("/me", ok({}))
    auth = BasicAuth(username="svc", password=SecretStr("pa55"))
    with HttpClient(HttpClientConfig(**fast_http(allowed_hosts=["127.0.0.1"])), auth=auth) as http:
        http.get(server.url("/me"))
    with HttpClient(HttpClientConfig(**fast_http(allowed_hosts=["127.0.0.1"])), auth=BearerAuth(token="t0k")) as http:
        http.get(server.url("/me"))
    first, second = server.log("/me")
    assert first.headers["user-agent"] == f"cx-nlp/0.1.0 (+{CONTACT})"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"svc:pa55").decode()
    assert second.headers["authorization"] == "Bearer t0k"
    assert "pa55" not in repr(auth) and "t0k" not in repr(BearerAuth(token="t0k"))


def test_invalid_json_raises_a_typed_error_naming_the_url(server):
    server.route("/broken.json", truncated_json({"tickets": [{"id": 1, "subject": "x" * 50}]}))
    with client() as http, pytest.raises(InvalidJSONError) as failure:
        http.get_json(server.url("/broken.json"))
    assert failure.value.url == server.url("/broken.json")
    assert "invalid JSON" in str(failure.value)


def test_foreign_hosts_are_refused_before_sending_even_via_redirect(server):
    server.route("/go", Canned(302, b"", {"Location": server.url("/landed", host="localhost")}))
    with client(allowed_hosts=["127.0.0.1"]) as http:
        with pytest.raises(HostNotAllowedError, match="'localhost' is not in allowed_hosts"):
            http.get(server.url("/x", host="localhost"))
        with pytest.raises(HostNotAllowedError, match="redirected to host 'localhost'"):
            http.get(server.url("/go"))
    assert [(r.host, r.path) for r in server.requests] == [("127.0.0.1", "/go")]


def test_robots_txt_is_fetched_once_per_host_and_interpreted(server):
    server.route("/robots.txt", robots("/private/"))
    with client() as http:
        assert http.allowed(server.url("/public/page"))
        assert not http.allowed(server.url("/private/page"))
        assert http.allowed(server.url("/other"))
    assert len(server.log("/robots.txt")) == 1

    server.route("/robots.txt", Canned(404, "no robots here"))
    with client() as http:
        assert http.allowed(server.url("/private/page"))
    server.route("/robots.txt", server_error(503))
    with client() as http:
        assert not http.allowed(server.url("/anything"))
