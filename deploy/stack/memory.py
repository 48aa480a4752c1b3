"""The stack's memory while a test runs: samples `podman stats` (or `docker stats`) in a thread.

The command prints one `NAME USAGE / LIMIT` line per container (`--format "{{.Name}} {{.MemUsage}}"`);
containers whose name starts with `cx-stack` count. `stop()` gives the peak of their sum and each one's
own peak, in MB (10^6 bytes, as the engines print them).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import threading

UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
SIZE = re.compile(r"^([\d.]+)\s*([a-z]+)$", re.IGNORECASE)


def parse_size(value: str) -> float:
    match = SIZE.match(value.strip())
    if not match or match.group(2).lower() not in UNITS:
        raise ValueError(f"not a size: {value!r}")
    return float(match.group(1)) * UNITS[match.group(2).lower()]


def parse_stats(output: str, prefix: str = "cx-stack") -> dict[str, float]:
    """Container name -> bytes in use, for the containers whose name starts with `prefix`."""
    usage = {}
    for line in output.splitlines():
        name, _, rest = line.strip().partition(" ")
        if name.startswith(prefix) and "/" in rest:
            usage[name] = parse_size(rest.split("/")[0])
    return usage


class MemorySampler:
    def __init__(self, command: str, every: float = 5.0):
        self.command = shlex.split(command)
        self.every = every
        self.total_peak = 0.0
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                output = subprocess.run(self.command, capture_output=True, text=True, timeout=60).stdout
                usage = parse_stats(output)
            except (subprocess.TimeoutExpired, ValueError):
                usage = {}
            self.total_peak = max(self.total_peak, sum(usage.values()))
            for name, used in usage.items():
                self.peaks[name] = max(self.peaks.get(name, 0.0), used)
            self._stop.wait(self.every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(timeout=90)
        return {
            "total": round(self.total_peak / 1e6),
            "containers": {name: round(peak / 1e6) for name, peak in sorted(self.peaks.items())},
        }
