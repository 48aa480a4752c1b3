"""What holding a fit's vectors as float16 costs in issue quality, on real labelled feedback.

    .venv/bin/python bench/bench_half_precision.py REAL/banking77_all.csv REAL/airline_all.csv --nudges 3

Each `evaluate` file's rows with a gold issue are embedded once with the default registry's embedding
model (cached beside the other benchmark caches), then mined in one `IssueMiner` fit as the pipeline
clusters across touchpoints (UMAP, the shipped merge and join bars, `cluster_limit` as shipped), once
with float32 vectors and once held as float16 (`half_precision_from=0`): NMI and adjusted Rand index
against the gold issues (outliers one label), issues, outlier share, seconds, peak RSS of each fit,
and how far float16 moves each vector (its cosine to its float32 twin). UMAP and HDBSCAN amplify any
difference, so `--nudges N` fits N times more each way, the vectors each moved by a seeded relative
1e-6 (far less than float16's rounding): the spread any change of the vectors' last bits gives, and
float16's mean against float32's over the same starts. The pipeline
holds a fit in float16 from 50,000 units (`CX_ISSUE_HALF_PRECISION_FROM`); forcing it here measures
the same arithmetic on sets whose labels say what the issues are. Results in
bench/results/half_precision_real.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from bench_clustering import CACHE
from bench_pipeline import _machine, write_results
from memory_peaks import peak_rss_mib, reset_peak_rss

from cx_nlp.issues import IssueMiner
from cx_nlp.issues.clustering import HalfPrecisionRows, UMAPReducer, normalise_rows

ROOT = bench_env.ROOT
RESULTS = ROOT / "bench" / "results" / "half_precision_real.json"


def labelled(path: Path) -> tuple[list[str], np.ndarray]:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[frame["issue"] != ""]
    return frame["text"].tolist(), frame["issue"].to_numpy()


def embedded(texts: list[str]) -> np.ndarray:
    """The default registry's vectors of `texts`, cached by their content."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cached = CACHE / f"half-precision-{key}.npy"
    if cached.exists():
        return np.load(cached)
    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    started = time.perf_counter()
    vectors = Models(load_registry(ROOT / "models" / "registry.yaml"), ROOT).embedder.encode(texts)
    print(f"embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, vectors)
    return vectors


def nudged(vectors: np.ndarray, seed: int) -> np.ndarray:
    """`vectors` each moved by a seeded relative 1e-6: their last bits, nothing a model would notice."""
    noise = np.random.default_rng(seed).normal(size=vectors.shape).astype(np.float32)
    return vectors * (1 + np.float32(1e-6) * noise)


def fit(texts: list[str], vectors: np.ndarray, gold: np.ndarray, half: bool) -> tuple[dict, IssueMiner]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    reset_peak_rss()
    started = time.perf_counter()
    miner = IssueMiner(reducer=UMAPReducer(), half_precision_from=0 if half else None).fit(texts, vectors)
    seconds = time.perf_counter() - started
    found = miner.labels_
    return {
        "issue_nmi": round(float(normalized_mutual_info_score(gold, found)), 4),
        "issue_ari": round(float(adjusted_rand_score(gold, found)), 4),
        "issues": len(miner.clusters_),
        "outlier_share": round(float(miner.outlier_share_), 4),
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_rss_mib()),
    }, miner


def measure(path: Path, nudges: int) -> dict:
    texts, gold = labelled(path)
    vectors = embedded(texts)
    exact = normalise_rows(vectors.astype(np.float32))
    cosines = np.einsum("ij,ij->i", HalfPrecisionRows.unit_length(exact)[:], exact)
    out: dict = {"rows": len(texts), "gold_issues": len(set(gold.tolist()))}
    out["float16_cosine_to_float32"] = {"mean": float(cosines.mean()), "min": float(cosines.min())}
    arms = [("float32", vectors, False), ("float16", vectors, True)]
    for seed in range(1, nudges + 1):
        arms += [
            (f"float32_nudged_{seed}", nudged(vectors, seed), False),
            (f"float16_nudged_{seed}", nudged(vectors, seed), True),
        ]
    for name, given, half in arms:
        out[name], _ = fit(texts, given, gold, half)
        print(f"{path.name} {name}: {out[name]}", flush=True)
    for kind in ("float32", "float16"):
        runs = [v["issue_nmi"] for k, v in out.items() if k.startswith(kind) and "issue_nmi" in v]
        out[f"{kind}_nmi_runs"] = {"mean": round(float(np.mean(runs)), 4), "min": min(runs), "max": max(runs)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+", help="evaluate files with an issue column")
    parser.add_argument("--nudges", type=int, default=3, help="float32 fits on vectors moved in their last bits")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    command = f"bench/bench_half_precision.py {' '.join(map(str, args.datasets))} --nudges {args.nudges}"
    results: dict = {"machine": _machine(), "command": command}
    results["sets"] = {path.stem: measure(path, args.nudges) for path in args.datasets}
    write_results(args.output, results)
    print(json.dumps(results["sets"], indent=1))


if __name__ == "__main__":
    main()
