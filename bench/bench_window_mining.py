"""The issue stage of a pipeline run over a window of 100,000 to 1,000,000 documents, without the models.

    .venv/bin/python bench/bench_window_mining.py --documents 100000
    .venv/bin/python bench/bench_window_mining.py --documents 1000000 --no-spill   # vectors in memory

`pipeline.mine_window`, as a nightly run calls it once the models are done (window read as mined,
digest, each group's vectors read into the matrix its fit holds, the fit, keywords and verbatims
read back, figures, lineage, and the issue tables written in one transaction), on a warehouse filled
as `bench_window.py` fills it (seed 13, 28 days, segments split as the pipeline splits them, the
generator's tones and touchpoints), with vectors that have the structure `bench_miner.py` mines:
each distinct text is given one of 2,000 all-MiniLM-L6-v2 vectors of the generator's complaints
(`bench_clustering.base_vectors`, chosen by the text's hash) with noise, renormalised, and stored
under the registry's embedding model. Cold: nothing mined before; each measure mines a copy of
the filled warehouse. In a fresh process: peak RSS of each step (`memory_peaks.StepPeaks`, the steps
of `bench_memory.py --issue-steps`, and the tracker's read of a group's vectors), seconds, issues,
units. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
from bench_pipeline import _machine
from bench_window import END, START, fill
from memory_peaks import StepPeaks, rss_mib

ROOT = bench_env.ROOT
POOL, POOL_SEED = 2000, 13
NEVER = 10**12  # a spill bar no window reaches


def resampled_vectors():
    """content hash -> one of the pool's vectors (by the hash) with bench_clustering's noise (seeded,
    in the fill's order), renormalised."""
    import numpy as np
    from bench_clustering import NOISE, base_vectors

    base, _ = base_vectors("minilm", POOL, POOL_SEED)
    noise = np.random.default_rng(POOL_SEED)

    def vector_of(content_hash: str) -> np.ndarray:
        vector = base[int(content_hash[:8], 16) % len(base)] + noise.normal(scale=NOISE, size=base.shape[1])
        return vector / np.linalg.norm(vector)

    return vector_of


def measure(url: str, spill_from: int) -> dict:
    """Mine the window in this (fresh) process; stage and step peaks."""
    from bench_memory import watch_issue_steps, watch_stages

    from cx_nlp import pipeline
    from cx_nlp.issues import miner, tracking
    from cx_nlp.progress import StageTimer
    from cx_nlp.settings import Settings

    memory = StepPeaks()
    watch_stages(memory)
    watch_issue_steps(memory)
    memory.wrap(tracking, "_group_vectors", "issues: read vectors")
    # The description's parts, and the pull-in before it (outliers joined to the nearest issue).
    memory.wrap(miner.IssueMiner, "_pull_in", "issues: pull in")
    memory.wrap(miner, "keyword_labels", "issues: describe: members read for keywords")
    memory.wrap(miner, "cluster_keywords", "issues: describe: keywords")
    memory.wrap(miner, "distinct_texts", "issues: describe: verbatims")
    settings = Settings(warehouse_url=url, issue_spill_from=spill_from)
    context, engine = pipeline.open_pipeline(settings)
    start_rss = rss_mib()
    started = time.perf_counter()
    with StageTimer(False) as timer:
        issues, stats = pipeline.mine_window(context, engine, START, END, timer=timer)
    seconds = round(time.perf_counter() - started, 1)
    peaks = memory.read()
    return {
        "spill_from": spill_from,
        "seconds": seconds,
        "stage_seconds": timer.seconds,
        "issues": len(issues),
        "members": sum(i.figures.volume for i in issues),
        "stats": stats,
        "rss_at_start_mib": round(start_rss),
        "peak_mib_by_step": {label: round(peak) for label, peak in peaks.items()},
        "rss_at_step_start_mib": {label: round(rss) for label, rss in memory.entered.items()},
        "peak_rss_mib": round(max(peaks.values())),
        "largest_issue_volume": max((i.figures.volume for i in issues), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="keeps the filled warehouse (default /tmp/cx-window-mining-N)")
    parser.add_argument(
        "--spill-from", type=int, help="units from which a fit's vectors go to a file (default: the setting's)"
    )
    parser.add_argument("--no-spill", action="store_true", help="a fit's vectors in memory whatever its size")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the fresh process: its spill bar
    args = parser.parse_args()
    folder = args.folder or Path(f"/tmp/cx-window-mining-{args.documents}")
    if args.measure is not None:
        print(json.dumps(measure(f"sqlite:///{folder / 'mined.db'}", args.measure)))
        return
    from cx_nlp.config import load_registry
    from cx_nlp.settings import Settings

    folder.mkdir(parents=True, exist_ok=True)
    filled = folder / "warehouse.db"
    fill_seconds = None
    if not (folder / "filled").exists():
        filled.unlink(missing_ok=True)
        embedding = load_registry(ROOT / "models" / "registry.yaml").embedding
        started = time.perf_counter()
        fill(
            f"sqlite:///{filled}",
            args.documents,
            model=(embedding.name, embedding.version),
            vector_of=resampled_vectors(),
        )
        fill_seconds = round(time.perf_counter() - started, 1)
        (folder / "filled").write_text(str(args.documents))
    shutil.copyfile(filled, folder / "mined.db")  # cold: a mined warehouse would keep its issues
    spill_from = NEVER if args.no_spill else args.spill_from or Settings().issue_spill_from
    command = [sys.executable, __file__, "--documents", str(args.documents), "--folder", str(folder)]
    child = subprocess.run([*command, "--measure", str(spill_from)], check=True, capture_output=True, text=True)
    result = {
        "command": " ".join(["bench/bench_window_mining.py", *sys.argv[1:]]),
        "fill_seconds": fill_seconds,
        "machine": _machine(),
        "measured_at": datetime.now(UTC).isoformat(),
        **json.loads(child.stdout.strip().splitlines()[-1]),
    }
    (folder / "mined.db").unlink()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
