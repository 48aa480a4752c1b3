"""Each distinct model input is read by the model once per call, and the results are those of reading
every input: the sentiment classifier (torch and ONNX Runtime share the path) and the embedder (which
also reads its chunks shortest first)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cx_nlp.config import load_registry
from cx_nlp.textprep import chunk_by_tokens

ROOT = Path(__file__).resolve().parent.parent

# Repeats of every kind a call holds: a text that is another's salient sentence, the same sentence in
# two texts (boilerplate), two texts that differ only in a handle (the same string once prepared for the
# model), and a text given twice.
TEXTS = [
    "The parcel never came. I waited in all day for nothing. Sort it out Northwind.",
    "The parcel never came.",
    "I waited in all day for nothing.",
    "Lovely staff at the till today. I waited in all day for nothing. Sort it out Northwind.",
    "@jane_doe my refund still has not arrived after three weeks",
    "@someone_else my refund still has not arrived after three weeks",
    "Great sofa, quick delivery and a friendly driver.",
    "Great sofa, quick delivery and a friendly driver.",
]


def _spy(monkeypatch, model, method: str) -> list[str]:
    """Records every string `model.method` is handed, calling through to the real model."""
    seen: list[str] = []
    real = getattr(model, method)

    def recording(inputs, *more):
        seen.extend(inputs)
        return real(inputs, *more)

    monkeypatch.setattr(model, method, recording)
    return seen


def _sentiment(runtime: str, tmp_path_factory):
    """The registry's sentiment model in float32 (torch), or exported to ONNX float32."""
    from cx_nlp import onnx_runtime
    from cx_nlp.sentiment import SentimentClassifier

    entry = load_registry(ROOT / "models" / "registry.yaml").sentiment.model_copy(update={"cpu_precision": "float32"})
    if runtime == "torch":
        return SentimentClassifier(entry, ROOT)
    entry = entry.on_runtime(runtime)
    cache = tmp_path_factory.mktemp("model-cache")
    folder = onnx_runtime.prepared_folder(entry, ROOT, "sentiment", cache=cache)
    return onnx_runtime.OnnxSentimentClassifier(entry, folder, threads=2)


@pytest.mark.models
@pytest.mark.parametrize("runtime", ["torch", "onnx-fp32"])
def test_sentiment_reads_each_distinct_input_once_and_scores_as_reading_all(runtime, tmp_path_factory, monkeypatch):
    classifier = _sentiment(runtime, tmp_path_factory)
    plan = classifier.model_inputs(TEXTS)
    distinct = set(plan.inputs)
    # The texts do repeat inputs, or this test would prove nothing.
    assert len(plan.inputs) - len(distinct) >= 6, plan.inputs

    seen = _spy(monkeypatch, classifier, "_probabilities")
    progress: list[int] = []
    scores = classifier.score(TEXTS, progress=progress.append)
    assert sorted(seen) == sorted(distinct), "an input reached the model twice, or one never did"
    assert sum(progress) == len(TEXTS)

    # The path without deduplication: every input through the model, repeats included.
    seen.clear()
    expected = classifier.assemble(plan, classifier.batched_probabilities(plan.inputs))
    assert len(seen) == len(plan.inputs)
    for got, want in zip(scores, expected, strict=True):
        assert (got.label, got.evidence, got.chunks) == (want.label, want.evidence, want.chunks)
        # Batches are made of other neighbours, so float32 sums may differ in their last bits.
        for field in ("negative", "neutral", "positive", "score"):
            assert getattr(got, field) == pytest.approx(getattr(want, field), abs=1e-5), field
        if want.evidence_negative is not None:
            assert got.evidence_negative == pytest.approx(want.evidence_negative, abs=1e-5)
    # Equal texts, and texts equal once prepared, score alike.
    assert scores[6] == scores[7]
    assert scores[4] == scores[5]


@pytest.mark.models
def test_embedder_embeds_each_distinct_chunk_once_and_vectors_match_one_call_per_text(monkeypatch):
    from cx_nlp.embeddings import Embedder

    entry = load_registry(ROOT / "models" / "registry.yaml").embedding.model_copy(update={"cpu_precision": "float32"})
    embedder = Embedder(entry, ROOT)
    # Two long sentences: a text of both is read in two chunks, each of which is also a text of the call.
    first = "The courier left my parcel " + " and ".join(f"at door number {n}" for n in range(40)) + "."
    second = "Support promised a refund " + " and ".join(f"on day number {n}" for n in range(40)) + "."
    both = f"{first} {second}"
    assert chunk_by_tokens(both, embedder._count_tokens, embedder.max_tokens) == [first, second]
    texts = [both, first, second, "The app crashes at checkout."]

    seen = _spy(monkeypatch, embedder, "_embed_chunks")
    vectors = embedder.encode(texts)
    assert sorted(seen) == sorted({first, second, texts[3]})
    # Shortest first, so a batch pads to chunks of about its own length.
    assert [len(c) for c in seen] == sorted(len(c) for c in seen)

    # Each text alone: its chunks read with no repeat to share.
    alone = np.vstack([embedder.encode([text]) for text in texts])
    np.testing.assert_allclose(vectors, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
