"""HDBSCAN at scale: the `hdbscan` package against scikit-learn's, on the miner's reduced vectors.

    .venv/bin/python bench/bench_clustering.py                          # 10k, 50k, 100k, 1M
    .venv/bin/python bench/bench_clustering.py --sizes 10000 50000 --timeout 600

Vectors have the structure of real feedback embeddings: all-MiniLM-L6-v2 vectors of the generator's
complaints (bench/generate.py: 24 recurring problems told many ways), resampled with small Gaussian
noise to any size and renormalised (`--vectors gmm`: a 384-d Gaussian mixture instead, no model).
Each size is reduced as the miner does (`PCAReducer`, 10 components) and clustered with the miner's
sizes (`HDBSCANClusterer.sizes`: min_cluster_size sqrt(n)/2, min_samples half of it) by:

- scikit-learn's `HDBSCAN` (what `HDBSCANClusterer` runs today), algorithm auto;
- the `hdbscan` package, Boruvka on a k-d tree (`algorithm="boruvka_kdtree"`);
- the same with `prediction_data=True`, then `approximate_predict` of 10% new points (the next
  night's documents assigned to the clusters already found), against the nearest-centre assignment
  the miner does for known issues.

Every measurement runs in its own process with a time limit; peak RSS is that process's. Both
libraries get 2 threads for their core distances. Writes bench/results/clustering.json; a size a
library did not finish in time is extrapolated from the measured sizes with a power law, and marked so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from memory_peaks import peak_rss_mib

from cx_nlp.issues.clustering import HDBSCANClusterer, PCAReducer, normalise_rows

ROOT = bench_env.ROOT

RESULTS = ROOT / "bench" / "results" / "clustering.json"
CACHE = Path(os.environ.get("CX_BENCH_CACHE", Path.home() / ".cache" / "cx-nlp" / "bench"))
METHODS = ("sklearn", "hdbscan_boruvka", "hdbscan_predict", "hdbscan_ms10", "sample_predict")
SAMPLE = 20_000  # points clustered by `sample_predict`; the rest are assigned with approximate_predict
NOISE = 0.02  # per dimension: a resampled point keeps a cosine of about 0.93 to its original
THREADS = 2


def base_vectors(kind: str, pool: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, topic ids) to resample from: embedded generated complaints, or a Gaussian mixture."""
    rng = np.random.default_rng(seed)
    if kind == "gmm":
        centres = normalise_rows(rng.normal(size=(24, 384)))
        topics = rng.integers(0, 24, pool)
        return normalise_rows(centres[topics] + rng.normal(scale=0.04, size=(pool, 384))), topics
    # The cache follows the generator: a change of its phrases or code embeds a new pool.
    revision = hashlib.sha256(b"".join((ROOT / "bench" / f).read_bytes() for f in ("generate.py", "phrases.yaml")))
    cached = CACHE / f"minilm-{pool}-{seed}-{revision.hexdigest()[:10]}.npz"
    if cached.exists():
        saved = np.load(cached)
        return saved["vectors"], saved["topics"]
    from generate import Generator

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    docs = [d for d in Generator(seed=seed).documents(pool * 4) if d.tone in ("negative", "mixed")][:pool]
    names = sorted({d.topic for d in docs})
    started = time.perf_counter()
    embedder = Models(load_registry(ROOT / "models" / "registry.yaml"), ROOT).embedder
    vectors = embedder.encode([d.text for d in docs])
    print(f"embedded {len(docs)} generated documents in {time.perf_counter() - started:.0f} s", flush=True)
    topics = np.array([names.index(d.topic) for d in docs])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached, vectors=vectors, topics=topics)
    return vectors, topics


def resample(base: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n noisy, renormalised copies of rows of `base`, and which row each one copies."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(base), n)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):  # chunks: a million 384-d float64 draws would need 3 GB at once
        rows = pick[start : start + 100_000]
        out[start : start + len(rows)] = base[rows] + rng.normal(scale=NOISE, size=(len(rows), base.shape[1]))
    return normalise_rows(out), pick


def fit_labels(method: str, reduced: np.ndarray, size: int, samples: int) -> tuple[np.ndarray, object]:
    """(labels, fitted model or None) of one method on the reduced points."""
    if method == "sklearn":
        from sklearn.cluster import HDBSCAN

        model = HDBSCAN(min_cluster_size=size, min_samples=samples, n_jobs=THREADS, copy=True)
        return model.fit_predict(reduced), None
    import hdbscan

    def boruvka(points: np.ndarray, size: int, samples: int, prediction_data: bool):
        return hdbscan.HDBSCAN(
            min_cluster_size=size,
            min_samples=samples,
            algorithm="boruvka_kdtree",
            core_dist_n_jobs=THREADS,
            prediction_data=prediction_data,
        ).fit(points)

    if method == "sample_predict":  # cluster a fixed-size sample, assign every point to its clusters
        pick = np.random.default_rng(0).choice(len(reduced), min(SAMPLE, len(reduced)), replace=False)
        model = boruvka(reduced[pick], *HDBSCANClusterer().sizes(len(pick)), prediction_data=True)
        labels = np.concatenate(
            [hdbscan.approximate_predict(model, reduced[i : i + 100_000])[0] for i in range(0, len(reduced), 100_000)]
        )
        return labels, model
    if method == "hdbscan_ms10":
        samples = min(samples, 10)
    model = boruvka(reduced, size, samples, prediction_data=method == "hdbscan_predict")
    return model.labels_, model


def run_child(method: str, points: Path, new_points: Path) -> dict:
    """One measurement, in this (child) process."""
    from sklearn.metrics import adjusted_rand_score

    reduced, topics = np.load(points), np.load(points.with_suffix(".topics.npy"))
    size, samples = HDBSCANClusterer().sizes(len(reduced))
    out: dict = {"min_cluster_size": size, "min_samples": min(samples, 10) if method == "hdbscan_ms10" else samples}
    started = time.perf_counter()
    labels, model = fit_labels(method, reduced, size, samples)
    out["fit_s"] = time.perf_counter() - started
    if method == "hdbscan_predict":
        out |= predict_new(model, labels, reduced, np.load(new_points))
    out["clusters"] = int(labels.max() + 1)
    out["noise_share"] = float((labels == -1).mean())
    out["ari_vs_topics"] = float(adjusted_rand_score(topics, labels))
    np.save(points.with_suffix(f".{method}.labels.npy"), labels)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def predict_new(model, labels: np.ndarray, reduced: np.ndarray, new: np.ndarray) -> dict:
    """approximate_predict of the night's new points, and the nearest-centre assignment beside it."""
    import hdbscan

    started = time.perf_counter()
    predicted, _ = hdbscan.approximate_predict(model, new)
    out = {"new_points": len(new), "approximate_predict_s": time.perf_counter() - started}
    out["new_assigned_share"] = float((predicted >= 0).mean())
    started = time.perf_counter()
    centres = np.stack([reduced[labels == k].mean(0) for k in range(labels.max() + 1)]) if labels.max() >= 0 else None
    if centres is not None:
        nearest = ((centres**2).sum(1)[None] - 2 * new @ centres.T).argmin(1)
        out["nearest_centre_s"] = time.perf_counter() - started
        known = predicted >= 0
        out["predict_agrees_with_nearest_centre"] = float((nearest[known] == predicted[known]).mean())
    return out


def measure(method: str, points: Path, new_points: Path, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", method, str(points), str(new_points)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timed_out_after_s": timeout}
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(folder: Path, n: int) -> dict:
    """ARI of each method's labels against scikit-learn's (or, without them, hdbscan's) at this size."""
    from sklearn.metrics import adjusted_rand_score

    labels = {m: folder / f"{n}.{m}.labels.npy" for m in METHODS}
    labels = {m: np.load(path) for m, path in labels.items() if path.exists()}
    reference = "sklearn" if "sklearn" in labels else "hdbscan_boruvka"
    if reference not in labels:
        return {}
    return {
        f"{m}_vs_{reference}": float(adjusted_rand_score(labels[reference], v))
        for m, v in labels.items()
        if m != reference
    }


def power_law(sizes: list[int], seconds: list[float]) -> tuple[float, float] | None:
    """(exponent, coefficient) of seconds = c * n^k, least squares in log-log; None under two points."""
    if len(sizes) < 2:
        return None
    k, log_c = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(k), float(np.exp(log_c))


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    from importlib.metadata import version

    import hdbscan  # noqa: F401
    import sklearn

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "hdbscan": version("hdbscan"),
        "numpy": np.__version__,
        "load_average_at_start": os.getloadavg(),
    }


def run(args: argparse.Namespace) -> dict:
    base, topics = base_vectors(args.vectors, args.pool, args.seed)
    results: dict = {"vectors": args.vectors, "pool": len(base), "noise": NOISE, "sizes": {}, "runs": []}
    if args.update and args.output.exists():  # add these methods and sizes to the last results
        results = json.loads(args.output.read_text(encoding="utf-8"))
    results["machine"] = machine()
    results.setdefault("runs", []).append(
        {"command": "bench/bench_clustering.py " + " ".join(sys.argv[1:]), **results["machine"]}
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            vectors, pick = resample(base, n, args.seed + n)
            truth = topics[pick]
            fresh, _ = resample(base, n // 10, args.seed + n + 1)
            started = time.perf_counter()
            reducer = PCAReducer()
            reduced = reducer.fit_transform(vectors)
            entry: dict = results["sizes"].get(str(n), {}) | {"pca_s": time.perf_counter() - started}
            del vectors
            points = folder / f"{n}.npy"
            np.save(points, reduced.astype(np.float64))
            np.save(points.with_suffix(".topics.npy"), truth)
            np.save(folder / f"{n}.new.npy", reducer.pca_.transform(fresh).astype(np.float64))
            for method in args.methods:
                if method in ("sklearn", "hdbscan_boruvka", "hdbscan_predict") and n > args.full_max:
                    entry[method] = {"skipped": f"above --full-max {args.full_max}: extrapolated"}
                    continue
                entry[method] = keep_runs(
                    entry.get(method, {}), measure(method, points, folder / f"{n}.new.npy", args.timeout)
                )
                print(f"n={n:>9,} {method:<16} {_summary(entry[method])}", flush=True)
            entry["label_agreement_ari"] = agreement(folder, n)
            results["sizes"][str(n)] = entry
            write(results, args.output)
    results["extrapolated"] = extrapolate(results["sizes"])
    results["runs"][-1]["load_average_at_end"] = os.getloadavg()
    write(results, args.output)
    return results


def keep_runs(previous: dict, measured: dict) -> dict:
    """A measurement repeated with --update keeps the earlier fit times beside it, and their median."""
    if "fit_s" not in previous or "fit_s" not in measured:
        return measured
    runs = [*previous.get("fit_s_runs", [previous["fit_s"]]), measured["fit_s"]]
    return measured | {"fit_s_runs": runs, "fit_s_median": float(np.median(runs))}


def _summary(measured: dict) -> str:
    if "fit_s" not in measured:
        return json.dumps(measured)
    text = f"fit {measured['fit_s']:8.1f} s  clusters {measured['clusters']:>4}  noise {measured['noise_share']:.2f}"
    text += f"  ARI {measured['ari_vs_topics']:.2f}  peak RSS {measured['peak_rss_mib']:,.0f} MiB"
    if "approximate_predict_s" in measured:
        text += f"  predict {measured['new_points']:,} new in {measured['approximate_predict_s']:.2f} s"
    return text


def extrapolate(sizes: dict) -> dict:
    """A power law per method over the sizes it finished, and its value at the sizes it did not."""
    out = {}
    for method in METHODS:
        done = [(int(n), _median_fit(e[method])) for n, e in sizes.items() if "fit_s" in e.get(method, {})]
        fit = power_law([n for n, _ in done], [s for _, s in done])
        if fit is None:
            continue
        k, c = fit
        missing = [int(n) for n, e in sizes.items() if "fit_s" not in e.get(method, {})]
        out[method] = {"exponent": k, "from_sizes": [n for n, _ in done]}
        out[method]["estimated_fit_s"] = {str(n): c * n**k for n in sorted({*missing, 1_000_000})}
    return out


def _median_fit(measured: dict) -> float:
    return measured.get("fit_s_median", measured["fit_s"])


def write(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(run_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000, 1_000_000])
    parser.add_argument("--vectors", choices=("minilm", "gmm"), default="minilm")
    parser.add_argument("--pool", type=int, default=2000, help="distinct documents embedded, then resampled")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per measurement")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--update", action="store_true", help="keep the other sizes and methods of the last results")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument(
        "--full-max", type=int, default=200_000, help="whole-window HDBSCAN above this size is extrapolated"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
