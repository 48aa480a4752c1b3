"""Where the models run (CX_DEVICE): "auto" takes a CUDA GPU when torch sees one and the CPU otherwise,
a GPU asked for by name must exist, and on a GPU the weights take the entry's `gpu_precision` and the
batches its `gpu_batch_size`. Vectors and probabilities come back as float32 whatever the weights' dtype.
On the CPU, the runtime's caches of per-shape kernels are bounded unless the environment sizes them.
The GPU itself is measured by bench/bench_gpu.py (docs/benchmarks.md, "GPU")."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from cx_nlp.config import ModelEntry
from cx_nlp.model_runtime import KERNEL_CACHE_CAPACITY, batch_size_on, offline, place_model, select_device
from cx_nlp.registry import Models
from cx_nlp.settings import Settings

TEXTS = [
    "The parcel never arrived and nobody answered my emails.",
    "Checkout was quick and the staff at the store were lovely.",
    "I was charged twice for one order. The refund has still not come after three weeks of waiting.",
    "App keeps crashing when I open my basket",
]


def _without_gpu(monkeypatch, count: int = 0) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_auto_takes_a_gpu_when_torch_sees_one_and_the_cpu_otherwise(monkeypatch):
    _without_gpu(monkeypatch)
    assert select_device("auto") == "cpu"
    _without_gpu(monkeypatch, count=1)
    assert select_device("auto") == "cuda"
    assert select_device("cpu") == "cpu"


def test_a_gpu_asked_for_by_name_must_exist(monkeypatch):
    _without_gpu(monkeypatch)
    with pytest.raises(RuntimeError, match="CX_DEVICE=cuda: torch sees no CUDA GPU"):
        select_device("cuda")
    _without_gpu(monkeypatch, count=2)
    assert select_device("cuda:1") == "cuda:1"
    with pytest.raises(RuntimeError, match="CX_DEVICE=cuda:2: torch sees 2 CUDA GPU"):
        select_device("cuda:2")


def test_the_device_setting_is_checked_at_start_up(monkeypatch):
    monkeypatch.setenv("CX_DEVICE", "cuda:0")
    assert Settings().device == "cuda:0"
    assert Settings(device="cpu").device == "cpu"
    with pytest.raises(ValidationError, match="device"):
        Settings(device="gpu")


def test_models_resolve_the_device_when_the_first_model_loads(monkeypatch):
    models = Models(registry=None, home=None, device="auto")
    _without_gpu(monkeypatch, count=1)
    assert models.device == "cuda"
    assert Models(registry=None, home=None, device="cpu").device == "cpu"


def test_models_from_settings_read_the_settings_registry_home_and_device():
    settings = Settings(device="cpu", model_registry=Path("models/registry_mpnet.yaml"))
    models = Models.from_settings(settings)
    registry = Models.from_settings(Settings()).registry
    assert models.registry.sentiment.name != registry.sentiment.name
    assert (models.home, models.requested_device) == (settings.home, "cpu")
    assert Models.from_settings(settings, registry).registry is registry  # one the caller read already


def test_gpu_batches_are_larger_unless_the_entry_sets_them():
    entry = ModelEntry(name="m", version="1", path="x", batch_size=32)
    assert batch_size_on(entry, "cpu") == 32
    assert batch_size_on(entry, "cuda") == 256
    assert batch_size_on(entry.model_copy(update={"gpu_batch_size": 1000}), "cuda:1") == 1000
    with pytest.raises(ValidationError):
        ModelEntry(name="m", version="1", path="x", gpu_precision="int4")


def test_weights_take_the_precision_of_the_device():
    entry = ModelEntry(name="m", version="1", path="x", gpu_precision="bfloat16")
    shipped = torch.nn.Linear(4, 2).half()  # float16 weights, as models are shipped
    assert place_model(shipped, entry, "cpu").weight.dtype == torch.float32
    # The meta device stands for a GPU here: same cast, no memory.
    placed = place_model(torch.nn.Linear(4, 2), entry, "meta")
    assert placed.weight.dtype == torch.bfloat16 and placed.weight.device.type == "meta"
    default = ModelEntry(name="m", version="1", path="x")  # float32: measured fastest for MiniLM on a GPU
    assert place_model(torch.nn.Linear(4, 2).half(), default, "meta").weight.dtype == torch.float32


def test_half_precision_weights_give_float32_outputs_close_to_float32(models):
    """What a GPU's float16 weights do to the outputs, on the CPU (slowly): vectors and probabilities
    stay float32 arrays, cosines above 0.999, the same labels."""
    embedder, classifier = models.embedder, models.sentiment
    vectors = embedder.encode(TEXTS)
    scores = classifier.score(TEXTS)
    embed_model, sentiment_model = embedder.model, classifier.model
    embed_entry, sentiment_entry = embedder.entry, classifier.entry
    try:
        # As on a GPU: the weights' own dtype, no CPU autocast around them.
        embedder.entry = embed_entry.model_copy(update={"cpu_precision": "float32"})
        classifier.entry = sentiment_entry.model_copy(update={"cpu_precision": "float32"})
        embedder.model = copy.deepcopy(embed_model).to(torch.float16)
        classifier.model = copy.deepcopy(sentiment_model).to(torch.float16)
        half_vectors = embedder.encode(TEXTS)
        half_scores = classifier.score(TEXTS)
    finally:
        embedder.model, classifier.model = embed_model, sentiment_model
        embedder.entry, classifier.entry = embed_entry, sentiment_entry
    assert half_vectors.dtype == np.float32
    assert np.sum(vectors * half_vectors, axis=1).min() > 0.999
    assert [s.label for s in half_scores] == [s.label for s in scores]
    assert max(abs(a.negative - b.negative) for a, b in zip(scores, half_scores)) < 0.02
    # the session's models are untouched
    assert np.allclose(embedder.encode(TEXTS), vectors, atol=1e-6)


def test_loading_models_bounds_the_kernel_caches_unless_the_environment_sizes_them(monkeypatch):
    # Both read by torch's CPU runtime when it makes its first kernel: left unset, each keeps 1,024.
    monkeypatch.setenv("LRU_CACHE_CAPACITY", "unset")
    monkeypatch.delenv("LRU_CACHE_CAPACITY")
    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "512")
    offline()
    assert os.environ["LRU_CACHE_CAPACITY"] == str(KERNEL_CACHE_CAPACITY)
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "512"
