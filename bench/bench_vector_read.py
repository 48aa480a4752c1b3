"""Memory of reading a large group's vectors back from the warehouse, every unit's text distinct.

    .venv/bin/python bench/bench_vector_read.py --units 1000000

Real feedback's units are nearly all distinct texts, where the generated corpus and the real texts
that bench_window.py reuses in turn repeat many: what the reader holds per distinct hash (its hex
key and the rows that want it) grows with the distinct ones. This fills a SQLite warehouse's
embedding cache with `--units` seeded unit vectors under distinct content hashes (kept in
`--folder` for a later run of the same size), then, each in a fresh process, reads them all as the
tracker reads a group of 50,000 units or more (`vector_reader`, packed hashes as the pipeline's
window holds them, one float16 matrix): `--read-chunk` hashes at a time (the default), and all at
once (as the reader did before it read in parts). Prints JSON: seconds, the matrix's MiB, and the
peak RSS above the process's RSS before the read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import bench_env  # noqa: F401  (sets what numpy and the models read when they load: first)
from bench_pipeline import _machine
from memory_peaks import peak_rss_mib, reset_peak_rss, rss_mib

from cx_nlp.warehouse.windows import VECTOR_READ_CHUNK

MODEL = ("bench-vectors", "1")
DIMENSIONS = 384
ALL_AT_ONCE = 1_000_000_000


def text_hash(number: int) -> str:
    return hashlib.sha256(f"unit {number}".encode()).hexdigest()


def fill(url: str, units: int, batch: int = 20_000) -> None:
    import numpy as np
    from sqlalchemy import insert

    from cx_nlp.warehouse import db
    from cx_nlp.warehouse import schema as t

    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = np.random.default_rng(13)
    for start in range(0, units, batch):
        count = min(batch, units - start)
        vectors = rng.standard_normal((count, DIMENSIONS)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = [
            {
                "content_hash": text_hash(start + i),
                "model_name": MODEL[0],
                "model_version": MODEL[1],
                "dimensions": DIMENSIONS,
                "vector": vectors[i].tobytes(),
            }
            for i in range(count)
        ]
        with engine.begin() as connection:
            connection.execute(insert(t.embedding), rows)


def read_as_float16(reader, hashes) -> dict:
    """`hashes` read by a `windows.vector_reader` into one float16 matrix, as the tracker reads a group
    of 50,000 units or more: seconds, the matrix's size and the peak RSS above the start."""
    import gc

    import numpy as np

    gc.collect()
    before = rss_mib()
    reset_peak_rss()
    started = time.perf_counter()
    matrix = reader(hashes, dtype=np.float16)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "matrix_mib": round(matrix.nbytes / 2**20, 1),
        "peak_above_start_mib": round(peak_rss_mib() - before, 1),
    }


def measure(url: str, units: int, chunk: int) -> dict:
    """In this (fresh) process: every unit's vector read into one float16 matrix."""
    from cx_nlp.records import packed_hash
    from cx_nlp.warehouse import db, windows

    hashes = [packed_hash(text_hash(number)) for number in range(units)]
    reader = windows.vector_reader(db.make_engine(url), MODEL, chunk=chunk)
    return {"read_chunk": chunk, **read_as_float16(reader, hashes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--read-chunk", type=int, default=VECTOR_READ_CHUNK)
    parser.add_argument("--folder", type=Path, default=None, help="keeps the filled cache (default /tmp/cx-vectors-N)")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the fresh process: its chunk
    args = parser.parse_args()
    folder = args.folder or Path(f"/tmp/cx-vectors-{args.units}")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    if args.measure:
        print(json.dumps(measure(url, args.units, args.measure)))
        return
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": _machine(), "units": args.units, "fill_seconds": None}
    if not (folder / "filled").exists():
        (folder / "warehouse.db").unlink(missing_ok=True)
        started = time.perf_counter()
        fill(url, args.units)
        result["fill_seconds"] = round(time.perf_counter() - started, 1)
        (folder / "filled").write_text(str(args.units))
    command = [sys.executable, __file__, "--units", str(args.units), "--folder", str(folder)]
    for name, chunk in (("in_parts", args.read_chunk), ("all_at_once", ALL_AT_ONCE)):
        child = subprocess.run([*command, "--measure", str(chunk)], check=True, capture_output=True, text=True)
        result[name] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
