"""The registry's models on a GPU: each model stage's throughput and its fidelity to the CPU's float32.

    python bench/bench_gpu.py --tweets 20000 --tickets 4000 --output bench/results/gpu.json
    python bench/bench_gpu.py --fidelity-file airline.csv      # a labelled CSV with `text` and `sentiment`

Texts are the generator's (bench/generate.py): social posts, and complaint narratives of 150-300 words.
For each GPU precision (`gpu_precision` of the registry entries) the script times both model stages as
the pipeline calls them (`SentimentClassifier.score`: chunks plus salient sentences; `Embedder.encode`:
chunks averaged), after a warm-up, in documents per second; then it times the CPU work those calls do
before the GPU sees a text (tokenising and sentence splitting) on its own, the floor that a faster GPU
cannot lower. Fidelity: the same texts on the CPU in float32 against each GPU precision: cosine of the
document vectors (mean and minimum), agreement of the sentiment labels, the largest probability
difference, and macro-F1 of both when the texts carry labels.

End to end (the pipeline with its warehouse, reruns and next nights) is bench/bench_nights.py, which
runs on the GPU whenever CX_DEVICE (default "auto") finds one.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first

ROOT = bench_env.ROOT
PRECISIONS = ("float16", "bfloat16", "float32")


def generated_texts(kind: str, count: int, seed: int) -> list[str]:
    """`count` generated texts of one length class (bench_pipeline's: tweets or tickets)."""
    from bench_pipeline import generated_documents

    return [doc.text for doc in generated_documents(kind, count, seed)]


def registry_in(precision: str, base=None):
    """The registry the settings name (CX_MODEL_REGISTRY) with both entries' `gpu_precision` set (and
    float32 on the CPU)."""
    from cx_nlp.config import load_registry
    from cx_nlp.settings import Settings

    settings = Settings(home=ROOT)
    base = base or load_registry(settings.path(settings.model_registry))
    changes = {"gpu_precision": precision, "cpu_precision": "float32"}
    return base.model_copy(
        update={
            "sentiment": base.sentiment.model_copy(update=changes),
            "embedding": base.embedding.model_copy(update=changes),
        }
    )


def seconds_of(fn) -> tuple[float, object]:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
    started = time.perf_counter()
    value = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - started, value


def time_models(models, corpora: dict[str, list[str]]) -> dict:
    """Documents per second of each model stage on each corpus, after a warm-up over every tenth text
    (each batch shape the timed calls meet has been seen once: kernels load and tune on first use)."""
    from cx_nlp.textprep import chunk_many

    sentiment, embedder = models.sentiment, models.embedder
    warm = [t for texts in corpora.values() for t in texts[::10]]
    sentiment.score(warm)
    embedder.encode(warm)
    out = {}
    for kind, texts in corpora.items():
        sentiment_s, _ = seconds_of(lambda texts=texts: sentiment.score(texts))
        embed_s, _ = seconds_of(lambda texts=texts: embedder.encode(texts))
        plan_s, plan = seconds_of(lambda texts=texts: sentiment.model_inputs(texts))
        chunk_s, _ = seconds_of(
            lambda texts=texts: chunk_many(texts, embedder._count_tokens, embedder.max_tokens, embedder._count_many)
        )
        out[kind] = {
            "documents": len(texts),
            "sentiment_inputs": len(plan.inputs),
            "sentiment_docs_per_s": round(len(texts) / sentiment_s, 1),
            "embed_docs_per_s": round(len(texts) / embed_s, 1),
            "both_docs_per_s": round(len(texts) / (sentiment_s + embed_s), 1),
            # CPU work of each call before any forward pass: the sentiment call's chunks, counts and
            # evidence sentences, the embedding call's chunks.
            "cpu_sentiment_planning_s": round(plan_s, 2),
            "cpu_embed_chunking_s": round(chunk_s, 2),
        }
        print(
            f"{kind:<8} {len(texts):>6} docs  sentiment {out[kind]['sentiment_docs_per_s']:>8.1f}/s"
            f"  embed {out[kind]['embed_docs_per_s']:>8.1f}/s  both {out[kind]['both_docs_per_s']:>8.1f}/s"
            f"  (CPU planning {plan_s:.1f} s, chunking {chunk_s:.1f} s)"
        )
    return out


def model_outputs(models, texts: list[str]) -> dict:
    """What fidelity compares: document vectors, sentiment labels and probabilities."""
    import numpy as np

    scores = models.sentiment.score(texts)
    return {
        "vectors": models.embedder.encode(texts),
        "labels": [s.label for s in scores],
        "probabilities": np.array([[s.negative, s.neutral, s.positive] for s in scores]),
    }


def fidelity(reference: dict, candidate: dict, gold: list[str] | None) -> dict:
    """The candidate models' outputs against the reference's (CPU float32) on the same texts."""
    import numpy as np
    from sklearn.metrics import f1_score

    cosines = np.sum(reference["vectors"] * candidate["vectors"], axis=1)
    agreement = np.mean([a == b for a, b in zip(reference["labels"], candidate["labels"])])
    out = {
        "texts": len(cosines),
        "cosine_mean": round(float(cosines.mean()), 5),
        "cosine_min": round(float(cosines.min()), 5),
        "label_agreement": round(float(agreement), 4),
        "max_probability_difference": round(
            float(np.abs(reference["probabilities"] - candidate["probabilities"]).max()), 4
        ),
    }
    if gold:
        out["macro_f1_cpu_float32"] = round(float(f1_score(gold, reference["labels"], average="macro")), 4)
        out["macro_f1"] = round(float(f1_score(gold, candidate["labels"], average="macro")), 4)
    return out


def fidelity_sets(path: Path | None, count: int, seed: int) -> dict[str, tuple[list[str], list[str] | None]]:
    """Generated tweets and tickets (long texts: chunks and evidence sentences), and a labelled file."""
    half = count // 2
    sets = {"generated": (generated_texts("tweets", half, seed + 1) + generated_texts("tickets", half, seed + 2), None)}
    if path is not None:
        import pandas as pd

        frame = pd.read_csv(path).dropna(subset=["text"])
        frame = frame.sample(n=min(count, len(frame)), random_state=seed)
        labels = frame["sentiment"].astype(str).tolist() if "sentiment" in frame else None
        sets[path.name] = (frame["text"].astype(str).tolist(), labels)
    return sets


def machine() -> dict:
    """bench_pipeline's record of the machine (CPU, flags, library versions), and the GPU if any."""
    import torch
    from bench_pipeline import _machine

    info = _machine()
    if torch.cuda.is_available():
        info |= {"gpu": torch.cuda.get_device_name(0), "cuda": torch.version.cuda}
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=4_000)
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS))
    parser.add_argument("--fidelity-texts", type=int, default=2_000)
    parser.add_argument("--fidelity-file", type=Path, help="CSV with a text column (and sentiment labels)")
    parser.add_argument("--device", default="auto", help="CX_DEVICE for the timed models")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "gpu.json")
    args = parser.parse_args()

    from cx_nlp.registry import Models

    corpora = {
        "tweets": generated_texts("tweets", args.tweets, args.seed),
        "tickets": generated_texts("tickets", args.tickets, args.seed),
    }
    sets = fidelity_sets(args.fidelity_file, args.fidelity_texts, args.seed)
    reference_models = Models(registry_in("float32"), ROOT, "cpu")
    reference = {name: model_outputs(reference_models, texts) for name, (texts, _) in sets.items()}
    del reference_models
    results = {"machine": machine(), "precisions": {}}
    for precision in args.precisions:
        models = Models(registry_in(precision), ROOT, args.device)
        print(f"-- {precision} on {models.device}")
        results["precisions"][precision] = {
            "device": models.device,
            "throughput": time_models(models, corpora),
            "fidelity_to_cpu_float32": {
                name: fidelity(reference[name], model_outputs(models, texts), gold)
                for name, (texts, gold) in sets.items()
            },
        }
        print(json.dumps(results["precisions"][precision]["fidelity_to_cpu_float32"]))
        del models
        # After each precision, so that a run stopped at its time limit keeps what it measured.
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
