"""Issue mining as the window grows: a cold window of 10k to 1M documents, then the next night.

    .venv/bin/python bench/bench_miner.py                                   # 10k, 100k, 1M
    .venv/bin/python bench/bench_miner.py --sizes 10000 --output /tmp/miner.json
    .venv/bin/python bench/bench_miner.py --reducer umap        # as the pipeline clusters across touchpoints
    .venv/bin/python bench/bench_miner.py --cluster-limit 0     # cluster every leftover, however many
    .venv/bin/python bench/bench_miner.py --no-half-precision  # float32 vectors whatever the fit's size
    .venv/bin/python bench/bench_miner.py --no-spill           # float16 vectors in memory whatever the size

What `IssueMiner.fit` costs for one group (one touchpoint, or all of them clustered across), on
vectors with the structure of real feedback embeddings: bench_clustering.base_vectors (all-MiniLM-L6-v2
vectors of the generator's complaints), resampled with small noise to each size and renormalised; each
vector keeps the text it came from, for the keywords. Documents are spread evenly over 28 days.

Per size, in a fresh process (peak RSS reset between phases):

1. cold: the miner over the whole window at once (sizes up to `--cold-limit`); above it, the window
   built up night by night in `--build-nights` tranches, each mined as the next night with the
   documents before it known (how a deployment reaches a large window: it never mines one cold);
2. next night: day 0 leaves the window and `--new-share` of the window arrives; known issues and each
   document's issue from the cold phase, `new` marking the arrivals (the night's cost follows them);
3. the same night without `new` (the whole residual clustered, every issue checked for a split), where
   the window is at most `--cold-limit`, for the ratio;
4. real BERTopic with its defaults over the cold window's texts and the same vectors (UMAP seeded,
   HDBSCAN minimum topic size 10, c-TF-IDF, then `reduce_outliers` and `update_topics`, as `evaluate`
   runs it), up to `--bertopic-limit` documents: a notebook re-fits it on the whole window every night.

Every fit clusters at most `--cluster-limit` leftovers (the miner's default; 0: no limit), a seeded
sample above it, the rest joining by nearest centre, and holds its vectors as float16 from
`--half-precision-from` of them (the miner's default), in a temporary file from `--spill-from` (the
miner's default; `--no-spill`: never). With `--vectors-in-place` as well, the window's vectors are held
from the start as the fit holds them (float16, in a file from `--spill-from`), as the tracker reads a
large group's.

Each phase reports seconds and peak RSS (and the miner's own split of both: join known, split,
cluster, merge, pull in, describe), residual size, clusters, outlier share, adjusted Rand index
against the generator's topics and stability (the documents that stay in the window and were in an
issue: share still in the same one). Results in bench/results/miner.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from bench_clustering import base_vectors, resample
from bench_pipeline import _machine, write_results
from memory_peaks import StepPeaks, peak_rss_mib, reset_peak_rss

from cx_nlp.issues import IssueMiner
from cx_nlp.issues.clustering import BLOCK_ROWS, HalfPrecisionRows, PCAReducer, SpilledRows, UMAPReducer
from cx_nlp.issues.miner import CLUSTER_LIMIT, HALF_PRECISION_FROM, SPILL_FROM
from cx_nlp.progress import Stopwatch

ROOT = bench_env.ROOT

RESULTS = ROOT / "bench" / "results" / "miner.json"
POOL, POOL_SEED = 2000, 13
DAYS = 28


def pool_texts() -> list[str]:
    """The texts of base_vectors' documents, in its order (the same seeded draw and filter)."""
    from generate import Generator

    docs = [d for d in Generator(seed=POOL_SEED).documents(POOL * 4) if d.tone in ("negative", "mixed")][:POOL]
    return [d.text for d in docs]


def documents(n: int, seed: int, base: np.ndarray, topics: np.ndarray) -> dict:
    vectors, pick = resample(base, n, seed)  # `pick`: the base vector, so the text, each one copies
    day = np.random.default_rng(seed + 10_000).integers(0, DAYS, n)
    return {"vectors": vectors, "topics": topics[pick], "pick": pick, "day": day}


# What reduces vectors before HDBSCAN (`--reducer`): PCA per touchpoint, UMAP across touchpoints (the
# pipeline's default grouping, CX_ISSUE_REDUCER=auto).
REDUCERS = {"pca": PCAReducer, "umap": UMAPReducer}


# Peak RSS of each step of the fit running now (join known, split, cluster, merge, pull in, describe):
# every lap of the miner's stopwatch files the peak since the last one under the step it ends.
STEP_PEAKS = StepPeaks()
_lap = Stopwatch.lap


def _lap_reading_memory(self, step: str) -> None:
    _lap(self, step)
    STEP_PEAKS.close(step)


Stopwatch.lap = _lap_reading_memory


def mine(options: dict, texts, vectors, known=None, previous=None, new=None) -> tuple[IssueMiner, float]:
    """`options`: "reducer" (a REDUCERS name), "cluster_limit" (0: none), "half_precision_from" and
    "spill_from" (None: never) and "merge_similarity" (None: the miner's default)."""
    STEP_PEAKS.peaks.clear()
    started = time.perf_counter()
    reducer = REDUCERS[options["reducer"]]()
    # --vectors-in-place: the miner divides the window's vectors in place (as the tracker lets it divide
    # the array it copies out for a fit), so the process holds them once; later phases read them divided.
    in_place = options.get("vectors_in_place", False)
    merge = {} if options.get("merge_similarity") is None else {"merge_similarity": options["merge_similarity"]}
    miner = IssueMiner(
        reducer=reducer,
        cluster_limit=options["cluster_limit"] or None,
        half_precision_from=options["half_precision_from"],
        spill_from=options.get("spill_from", SPILL_FROM),
        copy_embeddings=not in_place,
        **merge,
    ).fit(texts, vectors, known_centroids=known, previous=previous, new=new)
    return miner, time.perf_counter() - started


def describe(miner: IssueMiner, seconds: float, topics: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score

    return {
        "seconds": round(seconds, 2),
        "steps_s": {k: round(v, 2) for k, v in miner.timings_.items()},
        "residual": int(miner.residual_size_),
        "clustered": int(miner.clustered_size_),
        "clusters": len(miner.clusters_),
        "new_clusters": sum(c.known is None for c in miner.clusters_),
        "outlier_share": round(float(miner.outlier_share_), 4),
        "ari_vs_topics": round(float(adjusted_rand_score(topics, miner.labels_)), 4),
        "peak_rss_mib": round(max([peak_rss_mib(), *STEP_PEAKS.peaks.values()])),
        "steps_peak_rss_mib": {step: round(peak) for step, peak in STEP_PEAKS.peaks.items()},
    }


def issue_of(miner: IssueMiner, n: int) -> np.ndarray:
    """Each document's cluster as an index into miner.clusters_ (-1: none)."""
    out = np.full(n, -1)
    for index, cluster in enumerate(miner.clusters_):
        out[cluster.members] = index
    return out


def run_size(
    n: int, new_share: float, cold_limit: int, build_nights: int, seed: int, bertopic_limit: int, options: dict
) -> dict:
    base, topics = base_vectors("minilm", POOL, POOL_SEED)
    texts_of = pool_texts()
    window = documents(n, seed, base, topics)
    out: dict = {"documents": n, **options}
    order = np.argsort(window["day"], kind="stable")  # oldest first: the tranches of a built-up window
    for key in ("vectors", "topics", "pick", "day"):
        window[key] = window[key][order]
    texts = [texts_of[i] for i in window["pick"]]
    if options.get("vectors_in_place"):  # held as the tracker reads a group of this size
        window["vectors"] = held_as_fitted(options, [window["vectors"]])

    reset_peak_rss()
    if n <= cold_limit:
        miner, seconds = mine(options, texts, window["vectors"])
        out["cold"] = describe(miner, seconds, window["topics"])
    else:
        if isinstance(window["vectors"], SpilledRows):  # a night's rows would be read out as float32
            raise SystemExit("vectors held in a file are mined cold: --cold-limit at least the size")
        bounds = np.linspace(0, n, build_nights + 1).astype(int)
        miner, steps, total = None, [], 0.0
        for night, (low, high) in enumerate(itertools.pairwise(bounds)):
            known = np.array([c.centroid for c in miner.clusters_]) if miner else None
            previous = np.concatenate([issue_of(miner, low), np.full(high - low, -1)]) if miner else None
            new = np.arange(high) >= low
            miner, seconds = mine(
                options, texts[:high], window["vectors"][:high], known, previous, new if night else None
            )
            total += seconds
            steps.append({"window": int(high), **describe(miner, seconds, window["topics"][:high])})
            print(f"  built up to {high}: {seconds:.1f} s", flush=True)
        out["cold_built_up"] = {"seconds": round(total, 2), "nights": steps}
        out["cold"] = steps[-1] | {"seconds": round(total, 2)}
    cold_issue = issue_of(miner, n)
    centroids = np.array([c.centroid for c in miner.clusters_]) if miner.clusters_ else None
    print(f"{n}: cold {out['cold']['seconds']} s, {len(miner.clusters_)} issues", flush=True)
    del miner

    arrivals = documents(int(n * new_share), seed + 1, base, topics)
    stays = window["day"] > 0
    if options.get("vectors_in_place"):
        vectors = held_as_fitted(options, [Rows(window["vectors"], np.flatnonzero(stays)), arrivals["vectors"]])
    else:
        vectors = np.concatenate([window["vectors"][stays], arrivals["vectors"]])
    night_topics = np.concatenate([window["topics"][stays], arrivals["topics"]])
    night_texts = [t for t, keep in zip(texts, stays) if keep] + [texts_of[i] for i in arrivals["pick"]]
    previous = np.concatenate([cold_issue[stays], np.full(len(arrivals["vectors"]), -1)])
    del arrivals["vectors"]  # the night holds its own window's vectors only, as the tracker's group does
    if n > bertopic_limit:
        del window["vectors"]
    new = np.arange(len(vectors)) >= int(stays.sum())
    for phase, mark in (("next_night", new), ("next_night_whole_residual", None)):
        if mark is None and n > cold_limit:
            continue
        reset_peak_rss()
        miner, seconds = mine(options, night_texts, vectors, centroids, previous, mark)
        out[phase] = describe(miner, seconds, night_topics)
        after = issue_of(miner, len(vectors))
        known_after = np.array([c.known if c.known is not None else -2 for c in miner.clusters_] + [-1])[after]
        was = np.flatnonzero(previous >= 0)
        out[phase]["stability"] = round(float((known_after[was] == previous[was]).mean()), 4) if len(was) else None
        out[phase]["of_cold"] = round(seconds / out["cold"]["seconds"], 3)
        print(f"{n}: {phase} {seconds:.1f} s ({out[phase]['of_cold']} of cold)", flush=True)
        del miner
    if n <= bertopic_limit:
        reset_peak_rss()
        out["bertopic"] = bertopic(texts, window["vectors"], window["topics"])
        out["bertopic"]["of_cold"] = round(out["bertopic"]["seconds"] / out["cold"]["seconds"], 3)
        print(f"{n}: BERTopic {out['bertopic']['seconds']} s", flush=True)
    return out


class Rows:
    """Some rows of a matrix (held rows or an array), read a block at a time."""

    def __init__(self, matrix, rows: np.ndarray):
        self.matrix, self.rows = matrix, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, part: slice) -> np.ndarray:
        return np.asarray(self.matrix[self.rows[part]])


def held_as_fitted(options: dict, parts: list):
    """`parts` (arrays, or `Rows`) one after the other, held as a fit of their size holds its vectors:
    float32, float16, or float16 in a temporary file; copied a block at a time, so a held window's
    float32 matrix is never whole in memory."""
    count = sum(len(part) for part in parts)
    miner = IssueMiner(half_precision_from=options["half_precision_from"], spill_from=options.get("spill_from"))
    held = miner.empty_rows((count, parts[0][:1].shape[1]))
    at = 0
    for part in parts:
        for start in range(0, len(part), BLOCK_ROWS):
            block = part[start : start + BLOCK_ROWS]
            held[at : at + len(block)] = block
            at += len(block)
    if isinstance(held, SpilledRows):
        return held
    return held.rows if isinstance(held, HalfPrecisionRows) else held  # an array: parts of it are arrays


def bertopic(texts: list[str], vectors: np.ndarray, topics: np.ndarray) -> dict:
    """BERTopic's defaults on the given vectors; its embedding backend is never asked for a vector."""
    from bertopic import BERTopic
    from bertopic.backend import BaseEmbedder
    from sklearn.metrics import adjusted_rand_score
    from umap import UMAP

    class GivenVectors(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            raise RuntimeError("the benchmark passes every vector")

    started = time.perf_counter()
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=13)
    model = BERTopic(embedding_model=GivenVectors(), umap_model=umap_model)
    raw, _ = model.fit_transform(texts, embeddings=vectors)
    fitted = time.perf_counter() - started
    reduced = model.reduce_outliers(texts, raw) if -1 in raw and any(t != -1 for t in raw) else raw
    model.update_topics(texts, topics=reduced)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "fit_s": round(fitted, 2),
        "topics": len(set(reduced) - {-1}),
        "raw_outlier_share": round(float(np.mean(np.array(raw) == -1)), 4),
        "ari_vs_topics": round(float(adjusted_rand_score(topics, reduced)), 4),
        "peak_rss_mib": round(max([peak_rss_mib(), *STEP_PEAKS.peaks.values()])),
        "steps_peak_rss_mib": {step: round(peak) for step, peak in STEP_PEAKS.peaks.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--new-share", type=float, default=0.1)
    parser.add_argument("--cold-limit", type=int, default=100_000, help="Larger windows are built up night by night.")
    parser.add_argument("--build-nights", type=int, default=10)
    parser.add_argument("--bertopic-limit", type=int, default=100_000, help="Run BERTopic up to this window size.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reducer", choices=sorted(REDUCERS), default="pca")
    parser.add_argument("--cluster-limit", type=int, default=CLUSTER_LIMIT, help="Most leftovers clustered (0: all).")
    parser.add_argument("--vectors-in-place", action="store_true", help="Let the miner divide the vectors in place.")
    parser.add_argument("--half-precision-from", type=int, default=HALF_PRECISION_FROM, help="float16 from this size.")
    parser.add_argument("--no-half-precision", action="store_true", help="float32 vectors whatever the size.")
    parser.add_argument("--spill-from", type=int, default=SPILL_FROM, help="float16 vectors in a file from this size.")
    parser.add_argument("--no-spill", action="store_true", help="float16 vectors in memory whatever the size.")
    parser.add_argument("--merge-similarity", type=float, help="Same-night merge bar (default: the miner's).")
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds per size.")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_size(
            args.child,
            args.new_share,
            args.cold_limit,
            args.build_nights,
            args.seed,
            args.bertopic_limit,
            {
                "reducer": args.reducer,
                "cluster_limit": args.cluster_limit,
                "half_precision_from": None if args.no_half_precision else args.half_precision_from,
                "spill_from": None if args.no_spill else args.spill_from,
                "vectors_in_place": args.vectors_in_place,
                "merge_similarity": args.merge_similarity,
            },
        )
        print(json.dumps(result))
        return
    # Sizes run before into the same file stay (a 1M window takes long): each size records its command.
    earlier = json.loads(args.output.read_text())["sizes"] if args.output.exists() else {}
    results: dict = {"machine": _machine(), "sizes": earlier}
    base_vectors("minilm", POOL, POOL_SEED)  # embed the pool once, before the children read its cache
    for n in args.sizes:
        command = [sys.executable, __file__, "--child", str(n), "--new-share", str(args.new_share)]
        command += ["--cold-limit", str(args.cold_limit), "--build-nights", str(args.build_nights)]
        command += ["--seed", str(args.seed), "--bertopic-limit", str(args.bertopic_limit), "--reducer", args.reducer]
        command += ["--cluster-limit", str(args.cluster_limit)] + ["--vectors-in-place"] * args.vectors_in_place
        command += ["--half-precision-from", str(args.half_precision_from)]
        command += ["--no-half-precision"] * args.no_half_precision
        command += ["--spill-from", str(args.spill_from)] + ["--no-spill"] * args.no_spill
        if args.merge_similarity is not None:
            command += ["--merge-similarity", str(args.merge_similarity)]
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=args.timeout, check=False)
            lines = done.stdout.strip().splitlines()
            results["sizes"][str(n)] = json.loads(lines[-1]) if done.returncode == 0 else {"failed": done.returncode}
            results["sizes"][str(n)]["command"] = " ".join(sys.argv)
            results["sizes"][str(n)]["cpu_flags"] = results["machine"]["cpu_flags"]
            results["sizes"][str(n)]["load_average_after"] = os.getloadavg()
        except subprocess.TimeoutExpired:
            results["sizes"][str(n)] = {"timed_out_after_s": args.timeout}
        print(json.dumps(results["sizes"][str(n)], indent=1), flush=True)
        write_results(args.output, results)


if __name__ == "__main__":
    main()
