"""An interval's ingest in a fresh process, so that the window's mining starts from a small one.

What an ingest leaves in its process stays there after its data and models are freed: pages the heap
keeps, the models' runtime. At 100,000 documents in one process the issue stage started from 908 MiB
(the models released) instead of about 200, and the run peaked at 1,846 MiB, the mining's working
memory on top of the ingest's remains (docs/benchmarks.md, "A cold run of 100,000 documents, stage by
stage"). Run in a process of its own (spawned, not forked: a fork would start with the parent's
pages), the ingest hands all of it back when the process ends, before the mining, as the nightly DAG's
ingest tasks do. A run's memory is then the larger of the two stages' plus the waiting process's
(about 200 MiB): at 10,000 documents 1,594 MiB, the mining alone 901 instead of 1,589 ("The ingest
in a process of its own").

The ingest writes the warehouse in its own transaction either way; the run's process keeps only the
ingest's result (stats and failures) and its stage timings. A per-day backfill ingests its days in
one such process (`IngestWorker`) while its window is small: seven days of the sample in 14.9 s
instead of 67.0 with a process a day ("A per-day backfill's days in one worker").
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import resource
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from cx_nlp.model_runtime import release_freed_memory
from cx_nlp.progress import StageTimer
from cx_nlp.settings import INGEST_WORKER_RECYCLE_MIB, INGEST_WORKER_WINDOW, Settings
from cx_nlp.warehouse.db import sqlite_file


def can_ingest_apart(settings: Settings) -> bool:
    """Whether another process can open the warehouse: not an SQLite database held in this process."""
    url = settings.resolved_warehouse_url()
    return make_url(url).get_backend_name() != "sqlite" or sqlite_file(url) is not None


class IngestWorker:
    """A fresh process that ingests intervals one after another: a per-day backfill's days load the
    models once in it instead of once a day (a spawned process imports torch and loads both models in
    about 6 s, which a small day's ingest does not take). Closed after the interval whose ingest is
    the run's last (`keep=False`), once a day leaves it above `recycle_above_mib`, or once the run's
    window reaches `keep_below_window` documents (`mined`)."""

    def __init__(
        self, recycle_above_mib: float = INGEST_WORKER_RECYCLE_MIB, keep_below_window: int = INGEST_WORKER_WINDOW
    ):
        # A worker kept for a backfill's next day first hands back what the day freed; one still holding
        # more than `recycle_above_mib` is replaced. The mining works beside the waiting worker: from a
        # window of `keep_below_window` documents it closes after each day (`Settings.ingest_worker_*`).
        self.recycle_above_mib = recycle_above_mib
        self.keep_below_window = keep_below_window
        self.processes_started = 0
        self.resident_mib = 0.0  # what the process held after its last interval
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> IngestWorker:
        """A worker with the run's bounds (`ingest_worker_recycle_mib`, `ingest_worker_window`)."""
        return cls(settings.ingest_worker_recycle_mib, settings.ingest_worker_window)

    def __enter__(self) -> IngestWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def mined(self, window_documents: int) -> None:
        """The run mined a window of `window_documents` after the worker's last interval: from
        `keep_below_window` on, the worker's models would wait beside the next mining, so it closes."""
        if window_documents >= self.keep_below_window:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def ingest(
        self, ingest: Callable, settings: Settings, start: date, end: date, rescore: bool, timer: StageTimer, keep: bool
    ):
        """`ingest(settings, start, end, rescore, kept)` in the worker, as `ingest_interval_apart` runs it;
        `keep`: the worker waits for another interval after this one."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self.processes_started += 1
        try:
            future = self._pool.submit(_ingest_here, ingest, settings, start, end, rescore, keep)
            ingested, seconds, documents, resident_mib = future.result()
        except BaseException:
            self.close()
            raise
        self.resident_mib = resident_mib
        if not keep or resident_mib > self.recycle_above_mib:
            self.close()
        for stage, spent in seconds.items():
            timer.record(stage, spent, documents[stage])
        return ingested


def ingest_interval_apart(
    ingest: Callable,
    settings: Settings,
    start: date,
    end: date,
    rescore: bool,
    timer: StageTimer,
    worker: IngestWorker | None = None,
    keep: bool = False,
):
    """`ingest(settings, start, end, rescore, kept)` (`pipeline.ingest_for_run`: every source over
    [start, end), the models loaded there, its own progress shown) in a fresh process, `worker`'s if
    given (`keep`: see `IngestWorker.ingest`); its stages' seconds and documents go to `timer`, and its
    result is returned."""
    if worker is None:
        with IngestWorker() as once:
            return once.ingest(ingest, settings, start, end, rescore, timer, keep=False)
    return worker.ingest(ingest, settings, start, end, rescore, timer, keep)


# What an ingest keeps in a worker for the worker's next interval (`ingest_for_run`: its models).
_KEPT: dict = {}


def _resident_mib() -> float:
    """This process's resident memory now; where /proc is missing, its peak (which errs towards recycling)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class IngestFailed(RuntimeError):
    """An ingest's error that could not come back from its process as itself: its type, message and
    traceback, as text."""


def _ingest_here(ingest: Callable, settings: Settings, start: date, end: date, rescore: bool, keep: bool):
    """`ingest(settings, start, end, rescore, kept)` in the spawned process, with what the process holds
    after it (freed memory handed back first where it waits for another interval). Its error goes back
    pickled; one that would not unpickle in the run's process (an exception whose constructor takes
    other arguments than its message) would leave the run a pool broken for no reason it could name,
    so it goes back as `IngestFailed` with the original's type, message and traceback."""
    try:
        ingested, seconds, documents = ingest(settings, start, end, rescore, _KEPT)
        if keep:
            gc.collect()
            release_freed_memory()
        return ingested, seconds, documents, _resident_mib()
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            where = "".join(traceback.format_exception(exc))
            raise IngestFailed(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}\n{where}") from None
        raise
