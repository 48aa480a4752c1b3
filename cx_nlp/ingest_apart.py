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
ingest's result (stats and failures) and its stage timings.
"""

from __future__ import annotations

import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from sqlalchemy.engine import make_url

from cx_nlp.progress import StageTimer
from cx_nlp.settings import Settings
from cx_nlp.warehouse.db import sqlite_file


def can_ingest_apart(settings: Settings) -> bool:
    """Whether another process can open the warehouse: not an SQLite database held in this process."""
    url = settings.resolved_warehouse_url()
    return make_url(url).get_backend_name() != "sqlite" or sqlite_file(url) is not None


def ingest_interval_apart(
    ingest: Callable, settings: Settings, start: date, end: date, rescore: bool, timer: StageTimer
):
    """`ingest(settings, start, end, rescore)` (`pipeline.ingest_for_run`: every source over [start, end),
    the models loaded there, its own progress shown) in a fresh process; its stages' seconds and
    documents go to `timer`, and its result is returned."""
    spawned = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawned) as pool:
        ingested, seconds, documents = pool.submit(_ingest_here, ingest, settings, start, end, rescore).result()
    for stage, spent in seconds.items():
        timer.record(stage, spent, documents[stage])
    return ingested


class IngestFailed(RuntimeError):
    """An ingest's error that could not come back from its process as itself: its type, message and
    traceback, as text."""


def _ingest_here(ingest: Callable, settings: Settings, start: date, end: date, rescore: bool):
    """`ingest(settings, start, end, rescore)` in the spawned process. Its error goes back pickled; one
    that would not unpickle in the run's process (an exception whose constructor takes other arguments
    than its message) would leave the run a pool broken for no reason it could name, so it goes back
    as `IngestFailed` with the original's type, message and traceback."""
    try:
        return ingest(settings, start, end, rescore)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            where = "".join(traceback.format_exception(exc))
            raise IngestFailed(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}\n{where}") from None
        raise
