"""Sentiment stage: a transformer sequence classifier gives negative/neutral/positive per feedback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.records import SENTIMENT_LABELS, SentimentScore
from cx_nlp.registry import offline, resolve_model_path
from cx_nlp.textprep import chunk_by_tokens, prepare_for_model


class SentimentClassifier:
    """Wraps any local Hugging Face 3-class sentiment model; long texts are scored chunk by chunk."""

    def __init__(self, entry: ModelEntry, home: Path, device: str = "cpu"):
        offline()
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.entry = entry
        path = resolve_model_path(entry, home)
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        # fp16 weights are for shipping; CPU matmuls want fp32.
        self.model = self.model.float().to(device).eval()
        self.device = device
        self._torch = torch
        self.label_order = self._label_order()
        self.max_tokens = min(entry.max_length, getattr(self.tokenizer, "model_max_length", 512) or 512) - 2

    def _label_order(self) -> list[int]:
        """Indices of the model's outputs for negative, neutral, positive, whatever the model calls them."""
        names: dict[int, str] = {}
        for index, raw_label in self.model.config.id2label.items():
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
        batch_size = self.entry.batch_size
        with self._torch.inference_mode():
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

    def score(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> list[SentimentScore]:
        chunked = [chunk_by_tokens(prepare_for_model(t), self._count_tokens, self.max_tokens) for t in texts]
        flat = [c for chunks in chunked for c in chunks]
        weights = np.array([max(1, self._count_tokens(c)) for c in flat], dtype=float)
        # Sort by length so each batch pads little; restore order afterwards.
        order = np.argsort([len(c) for c in flat], kind="stable")
        probabilities = np.zeros((len(flat), 3))
        batch = max(1, self.entry.batch_size) * 4
        for offset in range(0, len(order), batch):
            part = order[offset : offset + batch]
            probabilities[part] = self._probabilities([flat[i] for i in part])
            if progress:
                progress(len(part))
        scores, cursor = [], 0
        for chunks in chunked:
            span = slice(cursor, cursor + len(chunks))
            cursor += len(chunks)
            # A long text's sentiment is the token-weighted mean of its chunks.
            mean = np.average(probabilities[span], axis=0, weights=weights[span])
            # Rounded as stored, so a fresh score and one read back from the warehouse aggregate alike.
            negative, neutral, positive = (round(float(v), 6) for v in mean)
            scores.append(
                SentimentScore(
                    label=SENTIMENT_LABELS[int(np.argmax(mean))],
                    negative=negative,
                    neutral=neutral,
                    positive=positive,
                    score=round(positive - negative, 6),
                    chunks=len(chunks),
                    model_name=self.entry.name,
                    model_version=self.entry.version,
                )
            )
        return scores
