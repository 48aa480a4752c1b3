"""Memory and time of reading a spilled fit's rows by issue, as a night at a million documents does.

    .venv/bin/python bench/bench_spilled_reads.py                       # 2.4 million units, 1,181 issues
    .venv/bin/python bench/bench_spilled_reads.py --rows-per-read 256   # the read size before

A `SpilledRows` file of `--units` unit vectors (float16, seeded: `--issues` directions with noise) is
written, a seeded sample of 50,000 units is labelled with its issue (what a cold fit clusters), and
then, as `IssueMiner` does: the pull-in (every other unit joins its nearest issue's centre, read by
index), each issue's centre read by index (`group_centre`), and the keyword members' cosines
(`keyword_labels`). For each step: seconds, the peak RSS it reached over the RSS it began at (the
kernel's high-water mark), the peak of its mapped file pages and of its anonymous memory (sampled
every 2 ms), and the peak of Python's and numpy's allocations (tracemalloc). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import tracemalloc

import bench_env  # noqa: F401 (sets what numpy reads when it loads: first)
from bench_pipeline import _machine
from memory_peaks import peak_rss_mib, reset_peak_rss, rss_mib


def _status() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) / 1024
    return fields


class _Sampler:
    """The highest mapped-file and anonymous RSS seen while a step runs."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}
        self.running = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while self.running:
            for name, value in _status().items():
                self.peaks[name] = max(self.peaks.get(name, 0.0), value)
            time.sleep(0.002)


def _step(name: str, work, results: dict) -> None:
    sampler = _Sampler()
    began = rss_mib()
    reset_peak_rss()
    tracemalloc.start()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sampler.running = False
    results[name] = {
        "seconds": round(seconds, 1),
        "rss_at_start_mib": round(began),
        "peak_over_start_mib": round(peak_rss_mib() - began),
        "file_pages_peak_mib": round(sampler.peaks.get("RssFile", 0)),
        "anonymous_peak_mib": round(sampler.peaks.get("RssAnon", 0)),
        "allocations_peak_mib": round(traced / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2_400_000)
    parser.add_argument("--issues", type=int, default=1_181)
    parser.add_argument("--rows-per-read", type=int, help="SPILLED_READ_ROWS (default: the library's)")
    args = parser.parse_args()

    import numpy as np

    from cx_nlp.issues import clustering, keywords
    from cx_nlp.issues.clustering import SpilledRows, members_by_label
    from cx_nlp.issues.miner import IssueMiner

    if args.rows_per_read:
        clustering.SPILLED_READ_ROWS = args.rows_per_read
    dimensions = 384
    rng = np.random.default_rng(13)
    rows = SpilledRows(args.units, dimensions)
    directions = rng.normal(size=(args.issues, dimensions)).astype(np.float32)
    issue_of = rng.integers(0, args.issues, args.units)
    for start in range(0, args.units, clustering.BLOCK_ROWS):
        part = issue_of[start : start + clustering.BLOCK_ROWS]
        block = directions[part] + rng.normal(scale=0.5, size=(len(part), dimensions)).astype(np.float32)
        rows[start : start + len(part)] = (block / np.linalg.norm(block, axis=1, keepdims=True)).astype(np.float16)
    labels = np.full(args.units, -1)
    sample = rng.choice(args.units, 50_000, replace=False)
    labels[sample] = issue_of[sample]
    methods = np.array(["cluster"] * args.units, dtype=object)
    group_ids = sorted(set(labels.tolist()) - {-1})
    results: dict[str, dict] = {}
    miner = IssueMiner()
    _step("pull in", lambda: miner._pull_in(rows, labels, methods, group_ids), results)
    by_label = members_by_label(labels)
    centres: list = []
    _step("centres", lambda: centres.extend(clustering.group_centre(rows, by_label[g]) for g in group_ids), results)
    _step("keyword members", lambda: keywords.keyword_labels(rows, labels, by_label, group_ids, centres), results)
    print(
        json.dumps(
            {
                "command": "bench/bench_spilled_reads.py",
                "units": args.units,
                "issues": args.issues,
                "rows_per_read": clustering.SPILLED_READ_ROWS,
                "steps": results,
                "machine": _machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
