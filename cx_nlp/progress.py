"""Per-stage wall time, document counts and an optional progress bar for a pipeline run."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class StageTimer:
    """Per-stage wall time, documents and a rich progress bar (or none, for tests and Airflow logs).

    A stage entered again (the model stages run once per chunk of an interval) adds its seconds and
    documents to the stage's, and its work to the same bar."""

    def __init__(self, show: bool):
        self.show = show
        self.seconds: dict[str, float] = {}
        self.documents: dict[str, int] = {}
        self._tasks: dict[str, object] = {}
        self._progress = None
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )

    def __enter__(self) -> StageTimer:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        task = self._bar(name, total)
        started = time.perf_counter()

        def advance(n: int = 1) -> None:
            if task is not None:
                self._progress.advance(task, n)

        try:
            yield advance
        finally:
            self.record(name, time.perf_counter() - started, total)
            if task is not None:
                self._progress.update(task, completed=max(self.documents[name], 1))

    def record(self, name: str, seconds: float, documents: int) -> None:
        """A stage's seconds and documents, added to its earlier ones: `stage` records each entry, and a
        stage timed in another process is recorded as it comes back."""
        self.seconds[name] = round(self.seconds.get(name, 0.0) + seconds, 3)
        self.documents[name] = self.documents.get(name, 0) + documents

    def _bar(self, name: str, total: int):
        if self._progress is None:
            return None
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=max(total, 1))
        else:
            self._progress.update(self._tasks[name], total=max(self.documents.get(name, 0) + total, 1))
        return self._tasks[name]

    def rates(self) -> dict[str, float]:
        return {n: round(self.documents[n] / s, 1) for n, s in self.seconds.items() if s > 0 and self.documents[n]}


class Stopwatch:
    """Seconds per named step of a fit, for logs and benchmarks (`IssueMiner.timings_`)."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self.started = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = self.laps.get(step, 0.0) + now - self.started
        self.started = now
