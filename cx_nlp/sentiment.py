"""Sentiment stage: a transformer sequence classifier gives negative/neutral/positive per feedback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.model_runtime import (
    ADAPTER_CONFIG,
    batch_size_on,
    forward_precision,
    offline,
    place_model,
    release_freed_memory,
    resolve_model_path,
)
from cx_nlp.records import SENTIMENT_LABELS, SentimentScore, sentiment_head
from cx_nlp.textprep import additive_counter, chunk_many, distinct_with_index, prepare_for_model, split_sentences


def adapter_base_path(folder: Path, entry: ModelEntry, home: Path) -> str:
    """The base model a LoRA adapter folder names, resolved like any registry path (packaged:..., or a
    folder relative to the project)."""
    import json

    base = json.loads((folder / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
    return resolve_model_path(entry.model_copy(update={"path": base}), home)


def _load_adapter(folder: Path, entry: ModelEntry, home: Path):
    """A LoRA adapter folder: load the base model it names, apply the adapter, fold it into the weights."""
    import warnings

    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForSequenceClassification

    base_path = adapter_base_path(folder, entry, home)
    head = {}
    base_labels = set(AutoConfig.from_pretrained(base_path, local_files_only=True).id2label.values())
    if not base_labels >= set(SENTIMENT_LABELS):
        # A plain encoder (packaged:all-mpnet-base-v2) has no sentiment head: the adapter carries one,
        # trained with train-sentiment's output order.
        head = sentiment_head()
    model = AutoModelForSequenceClassification.from_pretrained(base_path, local_files_only=True, **head).float()
    with warnings.catch_warnings():
        # peft asks transformers for a renamed attribute while wrapping; nothing here to change.
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        return PeftModel.from_pretrained(model, str(folder)).merge_and_unload()


def load_classifier(entry: ModelEntry, home: Path):
    """The registry entry's classifier as one float32 torch model (an adapter merged into its base), and
    the folder its tokenizer loads from."""
    from transformers import AutoModelForSequenceClassification

    path = resolve_model_path(entry, home)
    if (Path(path) / ADAPTER_CONFIG).is_file():
        model = _load_adapter(Path(path), entry, home)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
    # fp16 weights are for shipping; CPU matmuls want fp32.
    return model.float().eval(), path


@dataclass(frozen=True)
class ScoringPlan:
    """The model inputs of one `score` call and how they map back to its texts."""

    inputs: list[str]  # every text's chunks in order, then every text's salient sentences in order
    chunks: list[list[str]]  # per text
    sentences: list[list[str]]  # per text: its salient sentences (none, or two or more)
    weights: np.ndarray  # tokens of each chunk, the first len(weights) inputs


class SentimentClassifier:
    """Wraps any local Hugging Face 3-class sentiment model; long texts are scored chunk by chunk."""

    def __init__(self, entry: ModelEntry, home: Path, device: str = "cpu"):
        offline()
        import torch
        from transformers import AutoTokenizer

        model, path = load_classifier(entry, home)
        self.model = place_model(model, entry, device)
        self.device = device
        self._torch = torch
        self._configure(entry, AutoTokenizer.from_pretrained(path, local_files_only=True), self.model.config.id2label)

    def _configure(self, entry: ModelEntry, tokenizer, id2label: dict) -> None:
        """What every backend shares: the entry, the tokenizer, the output order and the chunk length."""
        self.entry = entry
        self.batch_size = batch_size_on(entry, self.device)
        self.tokenizer = tokenizer
        self._count_many = additive_counter(tokenizer)
        self.label_order = self._label_order(id2label)
        self.max_tokens = min(entry.max_length, getattr(self.tokenizer, "model_max_length", 512) or 512) - 2

    def _label_order(self, id2label: dict) -> list[int]:
        """Indices of the model's outputs for negative, neutral, positive, whatever the model calls them."""
        names: dict[int, str] = {}
        for index, raw_label in id2label.items():
            label = self.entry.label_map.get(raw_label, str(raw_label)).lower()
            names[int(index)] = label
        order = []
        for wanted in SENTIMENT_LABELS:
            matches = [i for i, name in names.items() if name == wanted]
            if len(matches) != 1:
                raise ValueError(
                    f"model {self.entry.ref}: labels {sorted(names.values())} do not name {wanted!r}; "
                    "set label_map in models/registry.yaml"
                )
            order.append(matches[0])
        return order

    def _count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _probabilities(self, texts: Sequence[str]) -> np.ndarray:
        out = []
        batch_size = self.batch_size
        with self._torch.inference_mode(), forward_precision(self.entry, self.device):
            for offset in range(0, len(texts), batch_size):
                encoded = self.tokenizer(
                    list(texts[offset : offset + batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens + 2,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**encoded).logits.float()
                out.append(self._torch.softmax(logits, dim=-1)[:, self.label_order].cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 3))

    def salient_sentences(self, text: str) -> list[str]:
        """Sentences that can carry a verdict: long enough, and statements rather than questions."""
        sentences = [
            s
            for s in split_sentences(text)
            if len(s.split()) >= self.entry.evidence_min_words and not s.rstrip().endswith("?")
        ]
        return sentences if len(sentences) >= 2 else []

    def score(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> list[SentimentScore]:
        plan = self.model_inputs(texts)
        return self.assemble(plan, self.input_probabilities(plan.inputs, progress, len(texts)))

    def model_inputs(self, texts: Sequence[str]) -> ScoringPlan:
        """What the model reads for `texts`: each text's chunks, then every salient sentence, in one flat
        list (chunks and sentences go through the model together: one sort, full batches)."""
        prepared = [prepare_for_model(t) for t in texts]
        chunked, counts = chunk_many(prepared, self._count_tokens, self.max_tokens, self._count_many)
        sentences = [self.salient_sentences(t) for t in prepared]
        flat = [c for chunks in chunked for c in chunks] + [s for group in sentences for s in group]
        weights = np.array([max(1, n) for group in counts for n in group], dtype=float)
        return ScoringPlan(flat, chunked, sentences, weights)

    def input_probabilities(
        self, inputs: Sequence[str], progress: Callable[[int], None] | None = None, texts: int | None = None
    ) -> np.ndarray:
        """Probabilities of each input, every distinct input read by the model once.

        A call repeats many inputs: a short text's only chunk is the text itself, the evidence sentences
        of a feedback are also its segments (scored in the same call by `enrichment`), and boilerplate
        recurs across tickets (30% of the bundled sample's inputs, more on templated text). The model's
        output depends only on the string, so one row per distinct string is fanned back out."""
        distinct, index = distinct_with_index(inputs)
        return self.batched_probabilities(distinct, progress, texts)[index]

    def batched_probabilities(
        self, inputs: Sequence[str], progress: Callable[[int], None] | None = None, texts: int | None = None
    ) -> np.ndarray:
        """Probabilities of each input, in order, every one of them through the model. `progress` gets
        the caller's `texts` in proportion, spread over the inputs."""
        # Sort by length so each batch pads little; restore order afterwards.
        order = np.argsort([len(c) for c in inputs], kind="stable")
        probabilities = np.zeros((len(inputs), 3))
        batch = self.batch_size * 4
        total = len(inputs) if texts is None else texts
        reported = 0
        for offset in range(0, len(order), batch):
            part = order[offset : offset + batch]
            probabilities[part] = self._probabilities([inputs[i] for i in part])
            release_freed_memory()
            if progress:
                done = total * (offset + len(part)) // len(inputs)
                progress(done - reported)
                reported = done
        return probabilities

    def assemble(self, plan: ScoringPlan, probabilities: np.ndarray) -> list[SentimentScore]:
        """Each text's score from the probabilities of `plan.inputs`, row for row."""
        n_chunks = len(plan.weights)
        weights = plan.weights
        scores, cursor, sentence_cursor = [], 0, n_chunks
        threshold = self.entry.negative_evidence
        for chunks, group in zip(plan.chunks, plan.sentences):
            span = slice(cursor, cursor + len(chunks))
            cursor += len(chunks)
            # A long text's sentiment is the token-weighted mean of its chunks.
            mean = np.average(probabilities[span], axis=0, weights=weights[span])
            # Rounded as stored, so a fresh score and one read back from the warehouse aggregate alike.
            negative, neutral, positive = (round(float(v), 6) for v in mean)
            label = SENTIMENT_LABELS[int(np.argmax(mean))]
            evidence = evidence_negative = None
            if group:
                sentence_negative = probabilities[sentence_cursor : sentence_cursor + len(group), 0]
                sentence_cursor += len(group)
                worst = int(np.argmax(sentence_negative))
                evidence, evidence_negative = group[worst], round(float(sentence_negative[worst]), 6)
                # Thanks to the agent do not cancel out a refund that never came: one clearly negative
                # sentence makes the contact a complaint, whatever the average of the rest says.
                if threshold is not None and evidence_negative >= threshold:
                    label = "negative"
            scores.append(
                SentimentScore(
                    label=label,
                    negative=negative,
                    neutral=neutral,
                    positive=positive,
                    score=round(positive - negative, 6),
                    chunks=len(chunks),
                    model_name=self.entry.name,
                    model_version=self.entry.version,
                    evidence=evidence,
                    evidence_negative=evidence_negative,
                )
            )
        return scores
