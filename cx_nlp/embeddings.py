"""Embedding stage: sentence-transformers vectors, L2-normalised, long texts averaged over chunks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.registry import offline, resolve_model_path
from cx_nlp.textprep import chunk_by_tokens


class Embedder:
    def __init__(self, entry: ModelEntry, home: Path, device: str = "cpu"):
        offline()
        from sentence_transformers import SentenceTransformer

        self.entry = entry
        self.model = SentenceTransformer(resolve_model_path(entry, home), device=device, local_files_only=True)
        self.max_tokens = min(entry.max_length, self.model.max_seq_length) - 2
        self.dimensions = int(self.model.get_embedding_dimension())

    def _count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        chunked = [chunk_by_tokens(t, self._count_tokens, self.max_tokens) for t in texts]
        flat = [c for chunks in chunked for c in chunks]
        vectors = np.zeros((len(flat), self.dimensions), dtype=np.float32)
        step = self.entry.batch_size * 4
        for offset in range(0, len(flat), step):
            vectors[offset : offset + step] = self.model.encode(
                flat[offset : offset + step],
                batch_size=self.entry.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(min(step, len(flat) - offset))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        cursor = 0
        for i, chunks in enumerate(chunked):
            out[i] = vectors[cursor : cursor + len(chunks)].mean(axis=0)
            cursor += len(chunks)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()
