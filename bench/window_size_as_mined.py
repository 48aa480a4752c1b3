"""The pipeline's window of a filled warehouse read as mined, and its mining units: RSS before and after,
the read's peak, seconds. Over the warehouse `bench_window_mining.py` fills (its vectors are stored under
the registry's embedding model, which `bench_window.py`'s own read does not name):

    .venv/bin/python bench/bench_window_mining.py --documents 1000000   # fills /tmp/cx-window-mining-1000000
    .venv/bin/python bench/window_size_as_mined.py /tmp/cx-window-mining-1000000

Prints JSON.
"""

import json
import sys
import time

import bench_env  # sets what numpy and the models read when they load: first
from bench_window import END, START
from memory_peaks import peak_rss_mib, reset_peak_rss, rss_mib
from sqlalchemy import create_engine

from cx_nlp.config import load_registry
from cx_nlp.issues.units import window_units
from cx_nlp.warehouse import windows


def main() -> None:
    embedding = load_registry(bench_env.ROOT / "models" / "registry.yaml").embedding
    engine = create_engine(f"sqlite:///{sys.argv[1]}/warehouse.db")
    before = rss_mib()
    reset_peak_rss()
    started = time.perf_counter()
    with engine.connect() as connection:
        model = (embedding.name, embedding.version)
        documents = windows.window_documents(
            connection, START, END, model, vectors_for=windows.no_vectors, as_mined=True
        )
    read_seconds = time.perf_counter() - started
    after, peak = rss_mib(), peak_rss_mib()
    units = window_units(documents)
    result = {
        "documents": len(documents),
        "segments_held": sum(len(d.segments) for d in documents),
        "units": len(units),
        "window_mib": round(after - before, 1),
        "read_peak_mib": round(peak, 1),
        "rss_before_mib": round(before, 1),
        "units_mib": round(rss_mib() - after, 1),
        "read_seconds": round(read_seconds, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
