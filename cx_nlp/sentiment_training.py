"""Fine-tune a transformer encoder into the 3-class sentiment classifier the pipeline uses.

No fine-tuned sentiment model can be downloaded here, so the project trains its own default from
the packaged MiniLM encoder and a labelled corpus, and records how to reproduce it in a model card.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cx_nlp.config import CPU_PRECISIONS, CpuPrecision
from cx_nlp.model_runtime import cpu_autocast
from cx_nlp.packaged_models import describe, is_packaged, packaged_model_path
from cx_nlp.records import SENTIMENT_LABELS, sentiment_head
from cx_nlp.sentiment_corpora import BUILTIN_CORPUS, LabelledText, describe_corpora, load_corpora, stratified_split

log = logging.getLogger(__name__)


@dataclass
class TrainingConfig:
    corpus: str = BUILTIN_CORPUS
    base_model: str = "packaged:all-MiniLM-L6-v2"
    output_dir: Path = Path("models/cx-sentiment-minilm")
    epochs: float = 1.0
    batch_size: int = 32
    max_length: int = 64
    learning_rate: float = 8e-5
    warmup_share: float = 0.06
    seed: int = 13
    test_share: float = 0.1
    min_confidence: float = 0.5
    max_examples: int | None = None
    threads: int | None = None
    save_fp16: bool = True
    # > 0: train a LoRA adapter of this rank on top of `base_model` instead of every weight. The
    # adapter is under a megabyte, so a domain-adapted model can be committed beside its base.
    lora_rank: int = 0
    # With several comma-separated corpora: at most this many examples of each (0: all).
    max_per_corpus: int = 0
    # How the model card describes the corpus; the bundled corpus has its own description.
    corpus_note: str | None = None
    # "bfloat16": forward and loss under CPU autocast (master weights and optimizer stay float32),
    # where the CPU has bfloat16 natively; else float32.
    cpu_precision: CpuPrecision = "float32"
    # Corpora labelled by stars (a packaged star-rated set): keep every 1-3 star review and at most
    # half as many 4-5 star ones (`cap_praise`). `--from-warehouse` caps when it writes its corpus.
    cap_praise: bool = True
    # Examples of a corpus with a teacher's probabilities (`LabelledText.targets`) learn them, at full
    # weight, instead of the teacher's label weighted by its confidence (distillation with soft targets).
    soft_targets: bool = False


@dataclass
class TrainingReport:
    model_dir: str
    corpus: str
    base_model: str
    train_size: int
    test_size: int
    accuracy: float
    macro_f1: float
    per_class_f1: dict[str, float]
    confusion_matrix: list[list[int]]
    seconds: float
    examples_per_second: float
    config: dict = field(default_factory=dict)
    command: str = ""


def classification_scores(
    gold: list[int], predicted: list[int]
) -> tuple[float, float, dict[str, float], list[list[int]]]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = list(range(len(SENTIMENT_LABELS)))
    per_class = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    return (
        float(accuracy_score(gold, predicted)),
        float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        {SENTIMENT_LABELS[i]: round(float(v), 4) for i, v in enumerate(per_class)},
        confusion_matrix(gold, predicted, labels=labels).tolist(),
    )


def resolve_base_model(base_model: str) -> str:
    if is_packaged(base_model):
        return str(packaged_model_path(base_model))
    return base_model


@dataclass
class _Optimisation:
    """What a training step needs besides the model: the loss, the optimiser and its learning-rate schedule."""

    loss_fn: Any
    optimizer: Any
    scheduler: Any
    total_steps: int


@dataclass
class _TrainingRun:
    seconds: float
    examples_seen: int


def train_sentiment(config: TrainingConfig, command: str | None = None) -> TrainingReport:
    _prepare_torch(config)
    train, test = _training_data(config)
    tokenizer, model = _load_model(config)
    run = train_model(model, tokenizer, train, config)
    predicted = predict_labels(model, tokenizer, [e.text for e in test], config.max_length)
    accuracy, macro_f1, per_class, matrix = classification_scores([e.label for e in test], predicted)
    log.info("test split: accuracy %.4f macro-F1 %.4f", accuracy, macro_f1)

    out = _save_model(model, tokenizer, config)
    report = TrainingReport(
        model_dir=str(out),
        corpus=config.corpus,
        base_model=config.base_model,
        train_size=len(train),
        test_size=len(test),
        accuracy=round(accuracy, 4),
        macro_f1=round(macro_f1, 4),
        per_class_f1=per_class,
        confusion_matrix=matrix,
        seconds=round(run.seconds, 1),
        examples_per_second=round(run.examples_seen / run.seconds, 2),
        config={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        command=command or "cx-nlp " + shlex.join(sys.argv[1:]),
    )
    (out / "training_report.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    (out / "README.md").write_text(model_card(report))
    return report


def _prepare_torch(config: TrainingConfig) -> None:
    """Check the precision, set the thread count and seed every random generator training draws from."""
    import torch

    if config.cpu_precision not in CPU_PRECISIONS:
        raise ValueError(f"cpu_precision {config.cpu_precision!r}: expected {' or '.join(CPU_PRECISIONS)}")
    if config.threads:
        torch.set_num_threads(config.threads)
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)


def _training_data(config: TrainingConfig) -> tuple[list[LabelledText], list[LabelledText]]:
    """The train and test splits of the configured corpora, cut to `max_examples` where set."""
    examples = load_corpora(
        config.corpus, config.min_confidence, config.max_per_corpus, config.seed, cap_star_praise=config.cap_praise
    )
    train, test = stratified_split(examples, config.test_share, config.seed)
    if config.max_examples:
        train = train[: config.max_examples]
        test = test[: max(30, config.max_examples // 5)]
    log.info("corpus %s: %d train / %d test examples", config.corpus, len(train), len(test))
    return train, test


def _load_model(config: TrainingConfig):
    """The base model's tokenizer and a fp32 classifier on it, wrapped in a LoRA adapter if configured."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    base_path = resolve_base_model(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(base_path, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(base_path, local_files_only=True, **sentiment_head())
    # A shipped model may be fp16; training on the CPU needs fp32 weights.
    model = model.float()
    if config.lora_rank:
        model = _with_lora(model, config)
    return tokenizer, model


def _with_lora(model, config: TrainingConfig):
    from peft import LoraConfig, TaskType, get_peft_model

    # Every linear layer of the encoder (attention and feed-forward) gets a low-rank update; the
    # classification head is trained in full (task type SEQ_CLS saves it with the adapter).
    model = get_peft_model(
        model,
        LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=config.lora_rank,
            lora_alpha=2 * config.lora_rank,
            lora_dropout=0.1,
            # Every linear layer but the head, whatever the architecture names them (BERT's
            # query/key/value/dense, MPNet's q/k/v/o/dense).
            target_modules="all-linear",
        ),
    )
    # Name the base as the user gave it (a project-relative folder or packaged:...), not this
    # machine's absolute path, so the adapter loads wherever the project is checked out.
    model.peft_config["default"].base_model_name_or_path = config.base_model
    return model


def _optimisation(model, train_size: int, config: TrainingConfig) -> _Optimisation:
    import torch
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=config.learning_rate, weight_decay=0.01
    )
    steps_per_epoch = math.ceil(train_size / config.batch_size)
    total_steps = max(1, int(steps_per_epoch * config.epochs))
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total_steps * config.warmup_share), total_steps)
    return _Optimisation(torch.nn.CrossEntropyLoss(reduction="none"), optimizer, scheduler, total_steps)


def train_model(model, tokenizer, train: list[LabelledText], config: TrainingConfig) -> _TrainingRun:
    """Train the parameters of `model` that require gradients: `epochs` passes over `train` in seeded
    shuffled batches (AdamW, linear warm-up and decay, clipped gradients, each example's loss weighted
    by its annotators' agreement), logging progress every 50 steps."""
    model.train()
    optimisation = _optimisation(model, len(train), config)
    total_steps = optimisation.total_steps

    started = time.perf_counter()
    seen = 0
    step = 0
    rng = random.Random(config.seed)
    order = list(range(len(train)))
    while step < total_steps:
        rng.shuffle(order)
        for offset in range(0, len(order), config.batch_size):
            if step >= total_steps:
                break
            batch = [train[i] for i in order[offset : offset + config.batch_size]]
            loss = _train_step(model, tokenizer, batch, optimisation, config)
            step += 1
            seen += len(batch)
            if step % 50 == 0 or step == total_steps:
                rate = seen / (time.perf_counter() - started)
                log.info("step %d/%d loss %.4f (%.1f examples/s)", step, total_steps, loss.item(), rate)
    return _TrainingRun(seconds=time.perf_counter() - started, examples_seen=seen)


def _encode(tokenizer, texts: list[str], max_length: int):
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def _train_step(model, tokenizer, batch: list[LabelledText], optimisation: _Optimisation, config: TrainingConfig):
    """One optimiser step on `batch`; returns its loss."""
    import torch

    encoded = _encode(tokenizer, [e.text for e in batch], config.max_length)
    with cpu_autocast(config.cpu_precision, config.base_model):
        logits = model(**encoded).logits
    labels, weights = _targets(batch, config.soft_targets)
    loss = (optimisation.loss_fn(logits.float(), labels) * weights).sum() / weights.sum()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimisation.optimizer.step()
    optimisation.scheduler.step()
    optimisation.optimizer.zero_grad()
    return loss


def _targets(batch: list[LabelledText], soft: bool):
    """What `batch` learns and each example's weight: label indices weighted by annotator agreement
    (crowd labels are noisy), or with `soft` and a teacher's probabilities in the batch, one
    distribution a row (a label as its one-hot), the teacher's rows at full weight."""
    import torch

    if not (soft and any(e.targets is not None for e in batch)):
        labels = torch.tensor([e.label for e in batch])
        return labels, torch.tensor([e.weight for e in batch], dtype=torch.float32)
    one_hot = torch.eye(len(SENTIMENT_LABELS))
    rows = [torch.tensor(e.targets) if e.targets is not None else one_hot[e.label] for e in batch]
    weights = [1.0 if e.targets is not None else e.weight for e in batch]
    return torch.stack(rows).float(), torch.tensor(weights, dtype=torch.float32)


def predict_labels(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> list[int]:
    """The model's label index for each text (float32, batches of about one length)."""
    import torch

    model.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    predicted = np.zeros(len(texts), dtype=int)
    with torch.inference_mode():
        for offset in range(0, len(texts), batch_size):
            rows = order[offset : offset + batch_size]
            encoded = _encode(tokenizer, [texts[i] for i in rows], max_length)
            predicted[rows] = model(**encoded).logits.argmax(-1).numpy()
    return predicted.tolist()


def _save_model(model, tokenizer, config: TrainingConfig) -> Path:
    """Save the model (in fp16 if configured) and its tokenizer to the output folder; returns the folder."""
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if config.save_fp16:
        model = model.half()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def _how_trained(report: TrainingReport) -> str:
    base = f"`{report.base_model}`"
    if is_packaged(report.base_model):
        base += f" ({describe(report.base_model)})"
    rank = report.config.get("lora_rank")
    if rank:
        return (
            f"A LoRA adapter (rank {rank}, every attention and feed-forward layer, head trained in full) on top of "
            f"{base}; the folder holds the adapter only, and loading it needs the base folder and `peft`"
        )
    return f"Fine-tuned end to end from {base}"


def model_card(report: TrainingReport) -> str:
    matrix = "\n".join(
        f"| {SENTIMENT_LABELS[i]} | " + " | ".join(str(v) for v in row) + " |"
        for i, row in enumerate(report.confusion_matrix)
    )
    return f"""---
language: en
license: apache-2.0
pipeline_tag: text-classification
base_model: {report.base_model}
---
# {Path(report.model_dir).name}

3-class sentiment classifier (negative / neutral / positive) for customer feedback, for cx-nlp.
{_how_trained(report)}, saved in {"fp16" if report.config.get("save_fp16") else "fp32"} safetensors.

## Data
{report.config.get("corpus_note") or describe_corpora(report.config)}
Stratified split with seed {report.config.get("seed")}: {report.train_size} train, {report.test_size} test examples.

## Results on the held-out test split
- accuracy: **{report.accuracy}**
- macro-F1: **{report.macro_f1}**
- F1 per class: {", ".join(f"{k} {v}" for k, v in report.per_class_f1.items())}

Confusion matrix (rows gold, columns predicted: negative, neutral, positive):

| gold | negative | neutral | positive |
|---|---|---|---|
{matrix}

## Reproduce
```
{report.command}
```
Training settings: {json.dumps({k: v for k, v in report.config.items() if k not in ("output_dir",)})}.
Trained on CPU in {report.seconds} s ({report.examples_per_second} examples/s).

## Limits
Trained on short English texts: long reviews and tickets are scored by the pipeline sentence-chunk by
chunk. English only. Texts of a domain its corpus lacks score worse: measure with `cx-nlp evaluate`.
"""
