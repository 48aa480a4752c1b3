"""What the connector tests share: a fake clock, fast HTTP settings and running a contract case."""

from __future__ import annotations

from pathlib import Path

from cx_nlp.sources.streams import MemoryStateStore, SyncResult, sync

CONTACT = "mailto:cx-data@acme.example"
FIXTURES = Path(__file__).parent / "fixtures"


class FakeTime:
    """Monotonic clock and sleep for HttpClient: sleeping only moves the clock and is recorded."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def options(self) -> dict:
        return {"clock": self.clock, "sleep": self.sleep}


def fast_http(**overrides) -> dict:
    settings = {
        "contact": CONTACT,
        "timeout_s": 2.0,
        "connect_timeout_s": 2.0,
        "max_attempts": 4,
        "backoff_initial_s": 0.5,
        "backoff_max_s": 8.0,
        "backoff_jitter_s": 0.5,
        "retry_after_max_s": 30.0,
        "min_interval_s": 1.0,
    }
    settings.update(overrides)
    return settings


def run(case, store: MemoryStateStore, fake: FakeTime | None = None, **http) -> SyncResult:
    stream = case.make_stream(fake or FakeTime(), **http)
    try:
        return sync(stream, store, since=case.since)
    finally:
        stream.close()


def export_path(case) -> Path | None:
    """The file a file-source case reads; None for cases served by a loopback server."""
    return getattr(case, "export_file", None)


def commit(result: SyncResult, store: MemoryStateStore) -> None:
    """What the pipeline does after writing the rows: only then move the bookmark."""
    store.set(result.stream, result.state)
