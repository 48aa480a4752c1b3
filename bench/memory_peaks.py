"""Peak resident memory per step of a benchmark, read exactly rather than sampled.

Linux keeps a process's high-water mark (VmHWM in /proc/self/status) and starts it again from the
current RSS when 5 is written to /proc/self/clear_refs. So the peak of a step is the mark read when
the step ends, if the mark was reset when it began: a step of a few milliseconds that allocates a
gigabyte is seen, where a sampling thread can miss it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mib() -> float:
    return _status("VmRSS")


def peak_rss_mib() -> float:
    """This process's peak RSS since it started or since `reset_peak_rss`. Not getrusage's ru_maxrss:
    Linux carries that over from the parent across fork and exec, and it cannot be reset."""
    return _status("VmHWM")


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class StepPeaks:
    """Peak RSS filed under the step that reached it.

    `close(step)` files the peak since the last close under `step` (for hooks called as a step ends,
    such as a stopwatch's lap); `within(label)` files what runs inside it under `label` and what ran
    before under the label it interrupts; `enter(label)` switches without returning."""

    def __init__(self, label: str = "setup"):
        self.label = label
        self.peaks: dict[str, float] = {}
        # RSS as each step began (the highest of its beginnings): what it held on to from the steps before,
        # against which its peak shows what it took itself.
        self.entered: dict[str, float] = {label: rss_mib()}
        reset_peak_rss()

    def close(self, step: str) -> None:
        self.peaks[step] = max(self.peaks.get(step, 0.0), peak_rss_mib())
        reset_peak_rss()

    def enter(self, label: str) -> None:
        self.close(self.label)
        self.label = label
        self.entered[label] = max(self.entered.get(label, 0.0), rss_mib())

    @contextmanager
    def within(self, label: str) -> Iterator[None]:
        before = self.label
        self.enter(label)
        try:
            yield
        finally:
            self.enter(before)

    def wrap(self, owner, name: str, label: str) -> None:
        """Files what `owner.name` does under `label`."""
        function = getattr(owner, name)

        def labelled(*args, **kwargs):
            with self.within(label):
                return function(*args, **kwargs)

        setattr(owner, name, labelled)

    def read(self) -> dict[str, float]:
        """Every step's peak, the running one's so far included."""
        self.close(self.label)
        return dict(self.peaks)
